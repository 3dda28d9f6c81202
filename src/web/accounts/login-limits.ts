/**
 * Limits on logging in and registering, in memory, keyed by keyed hashes
 * (never a raw address or a stored username).  Why this shape is in
 * docs/decisions/0016:
 *
 * - failed logins are limited per account AND client together, so one
 *   person guessing at an account from a shared address (a NAT, a campus)
 *   does not lock everyone else there out of their own accounts;
 * - one client guessing across many accounts is limited per client, with a
 *   limit far above what the people behind one address mistype;
 * - guessing at one account from many clients slows that account down:
 *   after a few failures each further attempt from an unknown browser must
 *   wait a little longer (1 s, 2 s, 4 s … at most a minute): never a lockout;
 * - a browser where the account logged in before (`isKnownDevice`) is held
 *   back by none of that, only by its own, generous limit.
 */
import { ProgressiveDelay, RateLimiter } from "../../services/limits.ts";

const WINDOW_MS = 15 * 60_000;

/** Failed logins allowed per account and client in 15 minutes. */
export const LOGIN_PER_ACCOUNT_AND_CLIENT = { max: 5, windowMs: WINDOW_MS } as const;
/** Failed logins allowed per client, whatever the accounts, in 15 minutes. */
export const LOGIN_PER_CLIENT = { max: 50, windowMs: WINDOW_MS } as const;
/** Failed logins from a known browser, per account, in 15 minutes. */
export const LOGIN_PER_KNOWN_DEVICE = { max: 20, windowMs: WINDOW_MS } as const;
/** Failed logins per account (from unknown browsers) before the slow-down starts. */
export const ACCOUNT_FREE_FAILURES = 10;
/** The longest wait the slow-down asks for. */
export const ACCOUNT_MAX_DELAY_MS = 60_000;

/** Registration attempts that reach the username check, per client and hour. */
export const REGISTER_ATTEMPTS = { max: 10, windowMs: 3_600_000 } as const;
/** Accounts created per client and day. */
export const REGISTER_ACCOUNTS = { max: 5, windowMs: 86_400_000 } as const;

export type LoginCheck =
  | { ok: true; release: () => void }
  | { ok: false; waitMs: number; reason: "client" | "account" };

/** The login and registration limits of one app. */
export class AccountGuards {
  readonly #pair = new RateLimiter([LOGIN_PER_ACCOUNT_AND_CLIENT]);
  readonly #client = new RateLimiter([LOGIN_PER_CLIENT]);
  readonly #device = new RateLimiter([LOGIN_PER_KNOWN_DEVICE]);
  readonly #account = new ProgressiveDelay({
    free: ACCOUNT_FREE_FAILURES,
    windowMs: WINDOW_MS,
    maxDelayMs: ACCOUNT_MAX_DELAY_MS,
  });
  readonly registerAttempts = new RateLimiter([REGISTER_ATTEMPTS]);
  readonly registerAccounts = new RateLimiter([REGISTER_ACCOUNTS]);

  /**
   * Counts a login attempt before the password is checked (so parallel
   * guesses count too).  On success the caller calls `release()`, which takes
   * the attempt back: only failures are counted.  `account` and `client` are
   * keyed hashes; `account` is one for unknown usernames too.
   */
  attempt(account: string, client: string, knownDevice: boolean, now: number = Date.now()): LoginCheck {
    if (knownDevice) {
      const wait = this.#device.consume(account, now);
      if (wait > 0) return { ok: false, waitMs: wait, reason: "account" };
      return { ok: true, release: () => this.#device.refund(account) };
    }
    const pairKey = `${account}:${client}`;
    const waitPair = this.#pair.consume(pairKey, now);
    if (waitPair > 0) return { ok: false, waitMs: waitPair, reason: "client" };
    const waitClient = this.#client.consume(client, now);
    if (waitClient > 0) {
      this.#pair.refund(pairKey);
      return { ok: false, waitMs: waitClient, reason: "client" };
    }
    const waitAccount = this.#account.consume(account, now);
    if (waitAccount > 0) {
      this.#pair.refund(pairKey);
      this.#client.refund(client);
      return { ok: false, waitMs: waitAccount, reason: "account" };
    }
    return {
      ok: true,
      release: () => {
        this.#pair.refund(pairKey);
        this.#client.refund(client);
        this.#account.refund(account);
      },
    };
  }

  sweep(now: number = Date.now()): void {
    this.#pair.sweep(now);
    this.#client.sweep(now);
    this.#device.sweep(now);
    this.#account.sweep(now);
    this.registerAttempts.sweep(now);
    this.registerAccounts.sweep(now);
  }
}
