/**
 * `npm run admin -- create USERNAME`: creates a site-owner (admin) account.
 * The password is the first line of stdin when stdin is not a terminal
 * (`echo "$PASSWORD" | npm run admin -- create alice`); with a terminal, or
 * with nothing on stdin, a random one-time password is generated and printed
 * once.  An existing username is refused (exit code 1).
 *
 * `npm run admin -- registration open|invite|closed`: sets who can register.
 *
 * Moderation (src/services/moderation.ts, the same rules as /admin/declarations):
 * `list` prints every Declaration and Copy; `reports` the open reports;
 * `unpublish|hide|show|publish|delete SLUG --reason "…"` acts on one (a reason
 * is required to unpublish, hide or delete: its author is shown it).
 */
import { randomBytes } from "node:crypto";
import { ConfigError, loadConfig, readEnvironment } from "../config.ts";
import {
  createAccount,
  findAccountByUsername,
  getRegistrationMode,
  hashPassword,
  isRegistrationMode,
  normalizeUsername,
  passwordProblem,
  REGISTRATION_MODES,
  setRegistrationMode,
  usernameProblem,
} from "../db/accounts.ts";
import { getDeclarationBySlug } from "../db/declarations.ts";
import { listAllDeclarations, listQueuedReports } from "../db/moderation.ts";
import { MODERATION_ACTIONS, moderate, moderationForm, type ModerationActionName } from "../services/moderation.ts";
import { openSiteDatabase } from "../setup.ts";

const USAGE = `Usage:
  npm run admin -- create USERNAME           create an admin account (password: first line of stdin, or generated)
  npm run admin -- registration ${REGISTRATION_MODES.join("|")}   set who can register
  npm run admin -- list                      every Declaration and copy, with its state and open reports
  npm run admin -- reports                   the open reports (visitors' and other servers')
  npm run admin -- unpublish SLUG --reason "…"   off the list, no new signatures (the author sees the reason)
  npm run admin -- hide SLUG --reason "…"        left off the list on / (the page stays)
  npm run admin -- show SLUG                 on the list again
  npm run admin -- publish SLUG              published again after an unpublish
  npm run admin -- delete SLUG --reason "…"      deleted with its versions and signatures
`;

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

/** The first line of stdin, or "" when stdin is a terminal or empty. */
async function passwordFromStdin(): Promise<string> {
  if (process.stdin.isTTY) return "";
  let text = "";
  for await (const chunk of process.stdin) {
    text += String(chunk);
    if (text.includes("\n")) break;
  }
  return text.split(/\r?\n/)[0]!;
}

async function create(typed: string | undefined): Promise<void> {
  if (typed == null) fail(USAGE);
  const username = normalizeUsername(typed);
  const problem = usernameProblem(username);
  if (problem != null) fail(`Cannot use the username "${typed}": ${problem}`);
  const given = await passwordFromStdin();
  const generated = given === "";
  const password = generated ? randomBytes(15).toString("base64url") : given;
  const passwordError = passwordProblem(password);
  if (passwordError != null) fail(`The password on stdin cannot be used: ${passwordError}`);

  const config = loadConfig(readEnvironment());
  const db = openSiteDatabase(config);
  try {
    if (findAccountByUsername(db, username) != null)
      fail(`There is already an account "${username}"; nothing was changed.`);
    const passwordHash = await hashPassword(password);
    const outcome = db.transaction((tx) => createAccount(tx, { username, passwordHash, role: "admin" }), {
      behavior: "immediate",
    });
    if (outcome.kind !== "created") fail(`There is already an account "${username}"; nothing was changed.`);
    process.stdout.write(`Created the admin account "${username}".\n`);
    if (generated) {
      process.stdout.write(`Its password (shown only now): ${password}\n`);
    }
    process.stdout.write(`Log in at ${new URL("/login", config.origin).href}\n`);
    if (getRegistrationMode(db) === "closed") {
      process.stdout.write(
        "Registration is closed; open it at /admin or with: npm run admin -- registration open|invite\n",
      );
    }
  } finally {
    db.$client.close();
  }
}

function registration(mode: string | undefined): void {
  if (mode == null || !isRegistrationMode(mode)) fail(USAGE);
  const config = loadConfig(readEnvironment());
  const db = openSiteDatabase(config);
  try {
    db.transaction((tx) => setRegistrationMode(tx, mode), { behavior: "immediate" });
  } finally {
    db.$client.close();
  }
  process.stdout.write(`Registration is now ${mode}.\n`);
}

function withDatabase<T>(run: (db: ReturnType<typeof openSiteDatabase>) => T): T {
  const config = loadConfig(readEnvironment());
  const db = openSiteDatabase(config);
  try {
    return run(db);
  } finally {
    db.$client.close();
  }
}

function list(): void {
  withDatabase((db) => {
    const all = listAllDeclarations(db);
    if (all.length === 0) process.stdout.write("No Declarations.\n");
    for (const d of all) {
      const what =
        d.sourceUrl == null
          ? "this site's own"
          : `copy of "${d.sourceTitle ?? d.sourceUrl}" by ${d.owner ?? "a former account"}${d.wordsChanged != null ? `, ${d.wordsChanged} words differ` : ""}`;
      const state = [d.status, d.hidden ? "hidden" : null, `${d.signatureCount} signatures`]
        .concat(d.openReports > 0 ? [`${d.openReports} open reports`] : [])
        .filter((x) => x != null)
        .join(", ");
      process.stdout.write(`${d.slug}\t${d.title}\t${what}\t${state}\n`);
    }
  });
}

function reports(): void {
  withDatabase((db) => {
    const open = listQueuedReports(db, { resolved: false, limit: 1000 });
    if (open.length === 0) process.stdout.write("No open reports.\n");
    for (const r of open) {
      const from = r.kind === "visitor" ? "visitor" : `server ${r.actorUri}`;
      const text = r.text.replace(/\s+/g, " ");
      process.stdout.write(`${r.kind} ${r.id}\t${r.created.toISOString()}\t${r.slug ?? "-"}\t${from}\t${text}\n`);
    }
  });
}

/** `unpublish|hide|show|publish|delete SLUG [--reason TEXT]`. */
function moderateCommand(action: ModerationActionName, args: string[]): void {
  let slug: string | undefined;
  let reason = "";
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--reason") {
      if (i + 1 >= args.length) fail("--reason needs a text.");
      reason = args[++i]!;
    } else if (arg.startsWith("--reason=")) reason = arg.slice("--reason=".length);
    else if (slug == null && !arg.startsWith("--")) slug = arg;
    else fail(USAGE);
  }
  if (slug == null) fail(USAGE);
  const parsed = moderationForm.safeParse({ action, reason });
  if (!parsed.success) fail(`Nothing was changed: ${parsed.error.issues[0]!.message} (--reason "…")`);
  const outcome = withDatabase((db) =>
    db.transaction(
      (tx) => {
        const declaration = getDeclarationBySlug(tx, slug);
        return declaration == null ? null : moderate(tx, declaration, action, parsed.data.reason, null);
      },
      { behavior: "immediate" },
    ),
  );
  if (outcome == null) fail(`There is no Declaration "${slug}"; nothing was changed.`);
  if (outcome.kind === "unchanged") {
    process.stdout.write(`Nothing to do: "${slug}" is already so.\n`);
    return;
  }
  const done: Record<ModerationActionName, string> = {
    unpublish: "unpublished",
    hide: "hidden from the list",
    show: "shown on the list again",
    publish: "published again",
    delete: "deleted",
  };
  process.stdout.write(`"${slug}" is ${done[action]}.\n`);
}

function isModerationAction(command: string | undefined): command is ModerationActionName {
  return (MODERATION_ACTIONS as readonly (string | undefined)[]).includes(command);
}

try {
  const [command, ...args] = process.argv.slice(2);
  if (isModerationAction(command)) moderateCommand(command, args);
  else if (args.length > 1) fail(USAGE);
  else if (command === "create") await create(args[0]);
  else if (command === "registration") registration(args[0]);
  else if (command === "list" && args.length === 0) list();
  else if (command === "reports" && args.length === 0) reports();
  else fail(USAGE);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  for (const problem of error.problems) process.stderr.write(`${problem}\n`);
  process.exit(1);
}
