/** A logged-in browser for HTTP-level tests of pages that need an account. */
import { createAccount, createSession, findAccountByUsername } from "../../src/db/accounts.ts";
import type { Db } from "../../src/db/client.ts";
import { csrfFrom, type CsrfPair } from "./forms.ts";

type App = { db: Db; app: Parameters<typeof csrfFrom>[0] };

/**
 * CSRF cookie and token plus a session cookie made in the database for
 * `username` (an author account is created when missing; its password is
 * never used).
 */
export async function loggedIn(t: App, username: string): Promise<CsrfPair> {
  let account = findAccountByUsername(t.db, username);
  if (account == null) {
    const outcome = createAccount(t.db, { username, passwordHash: "unused", role: "author" });
    if (outcome.kind !== "created") throw new Error(outcome.kind);
    account = findAccountByUsername(t.db, username)!;
  }
  const { token } = createSession(t.db, account.id);
  const pair = await csrfFrom(t.app, "/login");
  return { cookie: `${pair.cookie}; __Host-session=${token}`, csrf: pair.csrf };
}

/** GET `path`, as `who` when given. */
export function getAs(t: App, path: string, who?: CsrfPair) {
  return t.app.request(path, who == null ? {} : { headers: { Cookie: who.cookie } });
}
