/**
 * What the strike-day rehearsal (bench/rehearsal.ts) does as a person would
 * with a browser: keep cookies, read a form's CSRF token, log in as the site
 * owner and post a strike notice from /admin/strike.
 */
import { spawn } from "node:child_process";

/** A minimal cookie jar: name → value, from Set-Cookie answers. */
export class Browser {
  readonly #cookies = new Map<string, string>();
  readonly base: string;

  constructor(base: string) {
    this.base = base;
  }

  get cookieHeader(): string {
    return [...this.#cookies].map(([k, v]) => `${k}=${v}`).join("; ");
  }

  async request(
    path: string,
    init: { method?: string; form?: Record<string, string> } = {},
  ): Promise<{ status: number; location: string | null; html: string }> {
    const headers: Record<string, string> = { cookie: this.cookieHeader, origin: this.base };
    let body: string | undefined;
    if (init.form != null) {
      headers["content-type"] = "application/x-www-form-urlencoded";
      body = new URLSearchParams(init.form).toString();
    }
    const response = await fetch(this.base + path, {
      method: init.method ?? (body == null ? "GET" : "POST"),
      headers,
      body,
      redirect: "manual",
      signal: AbortSignal.timeout(60_000),
    });
    for (const c of response.headers.getSetCookie()) {
      const [pair] = c.split(";");
      const eq = pair!.indexOf("=");
      if (eq > 0) this.#cookies.set(pair!.slice(0, eq).trim(), pair!.slice(eq + 1).trim());
    }
    return { status: response.status, location: response.headers.get("location"), html: await response.text() };
  }

  /** The value of a form's hidden input `name` in `html`. */
  static field(html: string, name: string): string | undefined {
    const input = new RegExp(`<input[^>]*name="${name}"[^>]*>`).exec(html)?.[0];
    return input == null ? undefined : /value="([^"]*)"/.exec(input)?.[1]?.replace(/&amp;/g, "&");
  }
}

/** The CSRF cookie and token, and the revision, of the signing form (what a browser gets with the page). */
export async function signingForm(
  base: string,
  slug: string,
): Promise<{ cookie: string; token: string; revision: string }> {
  const browser = new Browser(base);
  const page = await browser.request(`/d/${slug}/sign`);
  const token = Browser.field(page.html, "csrf");
  if (page.status !== 200 || token == null)
    throw new Error(`GET /d/${slug}/sign answered ${page.status} without a CSRF token`);
  return { cookie: browser.cookieHeader, token, revision: Browser.field(page.html, "revision") ?? "1" };
}

/** Logs in at /login; throws unless the site answers with a redirect. */
export async function logIn(browser: Browser, username: string, password: string): Promise<void> {
  const form = await browser.request("/login");
  const csrf = Browser.field(form.html, "csrf");
  if (csrf == null) throw new Error(`GET /login answered ${form.status} without a CSRF token`);
  const answer = await browser.request("/login", { form: { csrf, username, password, next: "/admin/strike" } });
  if (answer.status !== 303) throw new Error(`POST /login answered ${answer.status}`);
}

/**
 * Posts a strike notice for `slug` now, as the site owner does on
 * /admin/strike ("Post a notice now": the preview, then its confirmation).  Resolves with the answer's status and
 * when it came (the notice is committed by then).
 */
export async function postNotice(
  base: string,
  username: string,
  password: string,
  slug: string,
): Promise<{ status: number; location: string | null; steps: { login: number; page: number; post: number } }> {
  const browser = new Browser(base);
  const started = performance.now();
  await logIn(browser, username, password);
  const loggedIn = performance.now();
  const page = await browser.request("/admin/strike");
  const csrf = Browser.field(page.html, "csrf");
  if (page.status !== 200 || csrf == null)
    throw new Error(`GET /admin/strike answered ${page.status} without a CSRF token`);
  const read = performance.now();
  // Two steps, as on the page: the preview, then the confirmation bound to it.
  const preview = await browser.request("/admin/strike/post-now", { form: { csrf, declaration: slug } });
  const digest = Browser.field(preview.html, "preview");
  const nonce = Browser.field(preview.html, "nonce");
  if (preview.status !== 200 || digest == null || nonce == null)
    throw new Error(`POST /admin/strike/post-now answered ${preview.status} without a notice to confirm`);
  const confirm: Record<string, string> = {
    csrf: Browser.field(preview.html, "csrf") ?? csrf,
    declaration: slug,
    preview: digest,
    nonce,
  };
  if (/name="outside"/.test(preview.html)) confirm.outside = "yes";
  const answer = await browser.request("/admin/strike/post-now/confirm", { form: confirm });
  return {
    status: answer.status,
    location: answer.location,
    steps: { login: loggedIn - started, page: read - loggedIn, post: performance.now() - read },
  };
}

/** `npm run admin -- create USERNAME` with the password on stdin, as the README says. */
export function createAdmin(root: string, env: NodeJS.ProcessEnv, username: string, password: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", "src/cli/admin.ts", "create", username], {
      cwd: root,
      env,
      stdio: ["pipe", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (out += d));
    child.on("close", (code) =>
      code === 0 ? resolve(out) : reject(new Error(`admin create exited with ${code}: ${out}`)),
    );
    child.stdin.end(`${password}\n`);
  });
}

/** `npm run check-counts` on the data folder: its exit code and what it printed. */
export function checkCounts(root: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", "src/cli/check-counts.ts"], {
      cwd: root,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (output += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (output += d));
    child.on("close", (code) => resolve({ code, output: output.trim() }));
  });
}
