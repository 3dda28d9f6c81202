/**
 * Accounts in the browser: register, log in, log out, the account page, and
 * the site owner's /admin (registration mode, invite codes, the account list).
 * Every form carries a CSRF token; errors come back next to the fields with
 * what was typed kept (never a password).  Pages that show who is logged in
 * are sent with Cache-Control: no-store.
 */
import { Hono, type Context } from "hono";
import {
  countUnusedInvites,
  createAccount,
  createInvite,
  findAccountByUsername,
  getRegistrationMode,
  hashPassword,
  inviteIsUnused,
  listAccounts,
  needsRehash,
  setPasswordHash,
  setRegistrationMode,
  verifyDummyPassword,
  verifyPassword,
  type Account,
} from "../../db/accounts.ts";
import { listOwnedDeclarations } from "../../db/copies.ts";
import { deletedFor, moderationSentence } from "../../services/moderation.ts";
import { copiesBehindSource } from "../../db/remote-copies.ts";
import { keyedHash } from "../../services/limits.ts";
import { clientSubject } from "../kit/client.ts";
import { readForm } from "../kit/body.ts";
import { csrfFor, forbiddenPage, notSavedPage, personalPage } from "../layout/personal.tsx";
import type { WebDeps, WebEnv } from "../kit/context.ts";
import { CSRF_FIELD, verifyCsrf } from "../kit/csrf.ts";
import { type Guarded, requireAdmin, safeNext } from "../kit/guards.ts";
import { plural } from "../kit/format.ts";
import { parseForm, parseRequest } from "../kit/params.ts";
import { loginForm, nextQuery, registerForm, registrationModeForm } from "./account-forms.ts";
import { AccountGuards } from "./login-limits.ts";
import { SiteFollowersOf } from "../fediverse/index.ts";
import { currentAccount, endSession, isKnownDevice, rememberDevice, startSession } from "../kit/session.ts";
import { AccountView, withNext, AdminView, LoginForm, RegisterForm, type AccountFormState } from "./AccountViews.tsx";

export const accountRoutes = new Hono<WebEnv>();

/** The site's administration page: registration mode, invites (mounted at /admin). */
export const siteAdminRoutes = new Hono<WebEnv>();

/** Account forms are small: a username, two passwords of ≤ 200 characters (up to 12 bytes each once percent-encoded), an invite code. */
export const MAX_ACCOUNT_BODY_BYTES = 8 * 1024;

const EXPIRED_FORM = "This form expired or was not sent from this site. Please try again.";
const WRONG_LOGIN = "Wrong username or password.";

/** One set of login and registration limits per app (its deps object lives as long as the app), swept each minute. */
const accountGuards = new WeakMap<WebDeps, { guards: AccountGuards; lastSweep: number }>();
function guardsFor(deps: WebDeps): AccountGuards {
  let entry = accountGuards.get(deps);
  if (entry == null) {
    entry = { guards: new AccountGuards(), lastSweep: Date.now() };
    accountGuards.set(deps, entry);
  }
  if (Date.now() - entry.lastSweep > 60_000) {
    entry.guards.sweep();
    entry.lastSweep = Date.now();
  }
  return entry.guards;
}

/** "Please try again in 3 minutes." or "… in 20 seconds." */
function tryAgainIn(waitMs: number): string {
  const seconds = Math.max(1, Math.ceil(waitMs / 1000));
  return seconds < 60
    ? `Please try again in ${plural(seconds, "second", "seconds")}.`
    : `Please try again in ${plural(Math.ceil(seconds / 60), "minute", "minutes")}.`;
}

type Status = 200 | 400 | 403 | 409 | 413 | 415 | 429;

// ---------------------------------------------------------------------------
// Register

function registerPage(c: Context<WebEnv>, next: string, state: AccountFormState, status: Status) {
  const mode = getRegistrationMode(c.get("deps").db);
  return personalPage(
    c,
    "Register",
    <section class="sign-page" aria-labelledby="register-title">
      <h1 id="register-title">Create an account</h1>
      {mode === "closed" ? (
        <>
          <p class="notice" role="status">
            Registration is closed on this site. Its owner can open it, or invite you.
          </p>
          <p>
            Already have an account? <a href={withNext("/login", next)}>Log in</a>.
          </p>
        </>
      ) : (
        <>
          <p>An account lets you copy and edit Declarations. Signing does not need one.</p>
          <RegisterForm csrf={csrfFor(c)} mode={mode} next={next} state={state} />
        </>
      )}
    </section>,
    status,
  );
}

accountRoutes.get("/register", (c) => {
  const next = queryNext(c);
  if (currentAccount(c) != null) return c.redirect(next, 303);
  return registerPage(c, next, {}, 200);
});

accountRoutes.post("/register", async (c) => {
  const { db, secret, config, batcher } = c.get("deps");
  const mode = getRegistrationMode(db);
  if (mode === "closed") return registerPage(c, "/account", {}, 403);

  const body = await readForm(c, MAX_ACCOUNT_BODY_BYTES);
  if (!body.ok) return registerPage(c, "/account", { formError: body.message }, body.status);
  const values = body.value;
  const next = safeNext(values.next);
  const kept = { username: values.username ?? "", invite: values.invite ?? "" };
  if (!verifyCsrf(c, secret, config.origin, values[CSRF_FIELD]))
    return registerPage(c, next, { values: kept, formError: EXPIRED_FORM }, 403);

  const form = parseForm(registerForm(mode), values);
  if (!form.ok) return registerPage(c, next, { values: kept, errors: form.errors }, 400);
  const { username, password, invite } = form.value;
  if (mode === "invite" && !inviteIsUnused(db, invite))
    return registerPage(
      c,
      next,
      { values: kept, errors: { invite: "This invite code is not valid or has already been used." } },
      400,
    );

  // Only a complete, valid form (with a valid invite code when one is needed)
  // learns whether the name is free, and each client may ask only so often:
  // the answer cannot be used to list who has an account here
  // (docs/decisions/0016).  A taken name is one more field error (400).
  const guards = guardsFor(c.get("deps"));
  const client = keyedHash(secret, "register", clientSubject(c));
  const wait = guards.registerAttempts.consume(client);
  if (wait > 0) {
    c.header("Retry-After", String(Math.ceil(wait / 1000)));
    return registerPage(
      c,
      next,
      { values: kept, formError: `Too many registration attempts from your connection. ${tryAgainIn(wait)}` },
      429,
    );
  }
  const taken = { values: kept, errors: { username: "This username is not available; please choose another." } };
  if (findAccountByUsername(db, username) != null) return registerPage(c, next, taken, 400);
  const waitAccounts = guards.registerAccounts.consume(client);
  if (waitAccounts > 0) {
    c.header("Retry-After", String(Math.ceil(waitAccounts / 1000)));
    return registerPage(
      c,
      next,
      {
        values: kept,
        formError: `Too many accounts were created from your connection today. ${tryAgainIn(waitAccounts)}`,
      },
      429,
    );
  }

  const passwordHash = await hashPassword(password);
  const outcome = await batcher
    .run(() =>
      createAccount(db, { username, passwordHash, role: "author", inviteCode: mode === "invite" ? invite : undefined }),
    )
    .catch((error: unknown) => {
      guards.registerAccounts.refund(client);
      throw error;
    });
  if (outcome.kind !== "created") guards.registerAccounts.refund(client);
  switch (outcome.kind) {
    case "taken":
      return registerPage(c, next, taken, 400);
    case "invalid-invite":
      return registerPage(
        c,
        next,
        { values: kept, errors: { invite: "This invite code is not valid or has already been used." } },
        400,
      );
    case "created":
      await startSession(c, outcome.account);
      rememberDevice(c, { id: outcome.account.id, passwordHash });
      return c.redirect(next, 303);
  }
});

// ---------------------------------------------------------------------------
// Log in, log out

function loginPage(c: Context<WebEnv>, next: string, state: AccountFormState, status: Status) {
  const mode = getRegistrationMode(c.get("deps").db);
  return personalPage(
    c,
    "Log in",
    <section class="sign-page" aria-labelledby="login-title">
      <h1 id="login-title">Log in</h1>
      <LoginForm csrf={csrfFor(c)} next={next} state={state} registration={mode} />
    </section>,
    status,
  );
}

/** `?next=` of the login and registration pages: a path on this site, or the account page. */
function queryNext(c: Context<WebEnv>): string {
  const query = parseRequest(nextQuery, { next: c.req.query("next") });
  return query.ok ? query.value.next : "/account";
}

accountRoutes.get("/login", (c) => {
  const next = queryNext(c);
  if (currentAccount(c) != null) return c.redirect(next, 303);
  return loginPage(c, next, {}, 200);
});

accountRoutes.post("/login", async (c) => {
  const deps = c.get("deps");
  const { db, secret, config, batcher } = deps;
  const body = await readForm(c, MAX_ACCOUNT_BODY_BYTES);
  if (!body.ok) return loginPage(c, "/account", { formError: body.message }, body.status);
  const values = body.value;
  const next = safeNext(values.next);
  const kept = { username: values.username ?? "" };
  if (!verifyCsrf(c, secret, config.origin, values[CSRF_FIELD]))
    return loginPage(c, next, { values: kept, formError: EXPIRED_FORM }, 403);

  const form = parseForm(loginForm, values);
  if (!form.ok) return loginPage(c, next, { values: kept, errors: form.errors }, 400);
  const { username, password } = form.value;

  // Every attempt is counted before the password is checked (so parallel
  // guesses count too); a successful one is taken back.  The limits are per
  // account and client together, per client, and a slow-down per account;
  // a browser this account logged in from before is exempt from all three
  // (login-limits.ts, docs/decisions/0016).  Unknown usernames are limited
  // the same way, so the answers do not tell which names exist.
  const row = findAccountByUsername(db, username);
  const check = guardsFor(deps).attempt(
    keyedHash(secret, "login-account", username),
    keyedHash(secret, "login", clientSubject(c)),
    row != null && isKnownDevice(c, row),
  );
  if (!check.ok) {
    c.header("Retry-After", String(Math.ceil(check.waitMs / 1000)));
    const why =
      check.reason === "client"
        ? "Too many failed logins from your connection."
        : "Too many failed logins for this username just now.";
    return loginPage(c, next, { values: kept, formError: `${why} ${tryAgainIn(check.waitMs)}` }, 429);
  }

  // An unknown username costs one scrypt too, so timing does not tell whether it exists.
  const ok = row == null ? await verifyDummyPassword(password) : await verifyPassword(password, row.passwordHash);
  if (row == null || !ok) return loginPage(c, next, { values: kept, formError: WRONG_LOGIN }, 400);

  check.release();
  let passwordHash = row.passwordHash;
  if (needsRehash(row.passwordHash)) {
    passwordHash = await hashPassword(password);
    await batcher.run(() => setPasswordHash(db, row.id, passwordHash));
  }
  await startSession(c, row);
  rememberDevice(c, { id: row.id, passwordHash });
  return c.redirect(next, 303);
});

accountRoutes.post("/logout", async (c) => {
  const { secret, config } = c.get("deps");
  const body = await readForm(c, MAX_ACCOUNT_BODY_BYTES);
  if (!body.ok) {
    return personalPage(
      c,
      "Log out",
      <section class="error-page">
        <h1>Could not log out</h1>
        <p>{body.message}</p>
      </section>,
      body.status,
    );
  }
  if (!verifyCsrf(c, secret, config.origin, body.value[CSRF_FIELD])) return forbiddenPage(c, EXPIRED_FORM);
  await endSession(c);
  return c.redirect("/", 303);
});

// ---------------------------------------------------------------------------
// The account page and /admin

accountRoutes.get("/account", (c) => {
  const account = currentAccount(c);
  if (account == null) return c.redirect("/login?next=/account", 303);
  const { db } = c.get("deps");
  const owned = listOwnedDeclarations(db, account.id);
  const behind = copiesBehindSource(db, account.id);
  return personalPage(
    c,
    "Your account",
    <AccountView
      account={account}
      csrf={csrfFor(c)}
      owned={owned.map((d) => ({ ...d, sourceAhead: behind.has(d.slug), moderation: moderationSentence(db, d) }))}
      deleted={deletedFor(db, account.id)}
    />,
  );
});

function adminPage(
  c: Context<WebEnv>,
  extra: { newInvite?: string; saved?: boolean; modeError?: string } = {},
  status: Status | 201 = 200,
) {
  const { db } = c.get("deps");
  return personalPage(
    c,
    "Site administration",
    <>
      <AdminView
        csrf={csrfFor(c)}
        mode={getRegistrationMode(db)}
        accounts={listAccounts(db)}
        unusedInvites={countUnusedInvites(db)}
        {...extra}
      />
      <SiteFollowersOf deps={c.get("deps")} />
    </>,
    status,
  );
}

siteAdminRoutes.get("/", (c) => {
  const guard = requireAdmin(c, "/admin");
  if (!guard.ok) return guard.response;
  return adminPage(c, { saved: c.req.query("saved") === "1" });
});

/** Reads an admin form: the admin and its fields, or the response to send instead. */
async function adminForm(c: Context<WebEnv>): Promise<Guarded<{ admin: Account; values: Record<string, string> }>> {
  const guard = requireAdmin(c, "/admin");
  if (!guard.ok) return guard;
  const { secret, config } = c.get("deps");
  const body = await readForm(c, MAX_ACCOUNT_BODY_BYTES);
  if (!body.ok) {
    return { ok: false, response: notSavedPage(c, body, "Site administration") };
  }
  if (!verifyCsrf(c, secret, config.origin, body.value[CSRF_FIELD]))
    return { ok: false, response: forbiddenPage(c, EXPIRED_FORM) };
  return { ok: true, admin: guard.admin, values: body.value };
}

siteAdminRoutes.post("/registration", async (c) => {
  const form = await adminForm(c);
  if (!form.ok) return form.response;
  const parsed = parseForm(registrationModeForm, form.values);
  if (!parsed.ok) return adminPage(c, { modeError: parsed.errors.mode! }, 400);
  const { db, batcher } = c.get("deps");
  await batcher.run(() => setRegistrationMode(db, parsed.value.mode));
  return c.redirect("/admin?saved=1", 303);
});

siteAdminRoutes.post("/invites", async (c) => {
  const form = await adminForm(c);
  if (!form.ok) return form.response;
  const { db, batcher } = c.get("deps");
  const code = await batcher.run(() => createInvite(db, form.admin.id));
  // Shown in this response only (never in a URL, never stored in clear).
  return adminPage(c, { newInvite: code }, 201);
});
