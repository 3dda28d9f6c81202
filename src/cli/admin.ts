/**
 * `npm run admin -- create USERNAME`: creates a site-owner (admin) account.
 * The password is the first line of stdin when stdin is not a terminal
 * (`echo "$PASSWORD" | npm run admin -- create alice`); with a terminal, or
 * with nothing on stdin, a random one-time password is generated and printed
 * once.  An existing username is refused (exit code 1).
 *
 * `npm run admin -- registration open|invite|closed`: sets who can register.
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
import { openSiteDatabase } from "../setup.ts";

const USAGE = `Usage:
  npm run admin -- create USERNAME           create an admin account (password: first line of stdin, or generated)
  npm run admin -- registration ${REGISTRATION_MODES.join("|")}   set who can register
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

try {
  const [command, argument, ...rest] = process.argv.slice(2);
  if (rest.length > 0) fail(USAGE);
  if (command === "create") await create(argument);
  else if (command === "registration") registration(argument);
  else fail(USAGE);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  for (const problem of error.problems) process.stderr.write(`${problem}\n`);
  process.exit(1);
}
