/**
 * Headless Chromium for page tests: Debian's own binary driven by
 * playwright-core (never a downloaded browser), started with the flags that
 * keep it from reaching for the network.  `watchPage` records what a page did:
 * every request, requests to other origins (aborted), console errors and
 * warnings, uncaught errors and Content-Security-Policy violations.
 */
import { existsSync, mkdirSync } from "node:fs";
import { resolve } from "node:path";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { afterAll, beforeAll } from "vitest";
import { createTestApp, type TestAppOptions } from "./app.ts";
import { freePort } from "./process.ts";
import { startServer } from "./server.ts";

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
export const RESULTS = resolve(import.meta.dirname, "..", "..", "test-results");

const LAUNCH_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

export const haveChromium = existsSync(CHROMIUM);
if (!haveChromium && process.env.CI) {
  throw new Error(`${CHROMIUM} is missing: install Debian's chromium package (see .ci/run).`);
}

export async function launchBrowser(): Promise<Browser> {
  mkdirSync(RESULTS, { recursive: true });
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: LAUNCH_ARGS, timeout: 45_000 });
}

export interface PageWatch {
  readonly requests: string[];
  readonly foreign: string[];
  readonly consoleMessages: string[];
  readonly pageErrors: string[];
  /** CSP violations seen by the page itself (call after navigation). */
  cspViolations(): Promise<string[]>;
}

/**
 * Watches a page; requests to any origin but `origin` (and `alsoAllowed`)
 * are recorded and aborted, so nothing leaves the test servers.  `ignoreConsole` filters
 * console messages a test expects.
 */
export async function watchPage(
  context: BrowserContext,
  page: Page,
  origin: string,
  ignoreConsole: (text: string, url: string) => boolean = () => false,
  /** Other test servers on loopback the journey visits (a Mastodon server's authorization page). */
  alsoAllowed: readonly string[] = [],
): Promise<PageWatch> {
  const watch = {
    requests: [] as string[],
    foreign: [] as string[],
    consoleMessages: [] as string[],
    pageErrors: [] as string[],
  };
  page.on("request", (request) => watch.requests.push(request.url()));
  page.on("worker", (worker) => watch.requests.push(worker.url()));
  page.on("console", (message) => {
    if (message.type() !== "error" && message.type() !== "warning") return;
    if (ignoreConsole(message.text(), message.location().url)) return;
    watch.consoleMessages.push(`${message.type()}: ${message.text()} (${message.location().url})`);
  });
  page.on("pageerror", (error) => watch.pageErrors.push(String(error)));
  await page.addInitScript(() => {
    const w = window as unknown as { __csp: string[] };
    w.__csp = [];
    document.addEventListener("securitypolicyviolation", (e) => w.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  await context.route("**/*", async (route) => {
    const url = route.request().url();
    const from = new URL(url).origin;
    if (from === origin || alsoAllowed.includes(from)) {
      await route.continue();
    } else {
      watch.foreign.push(url);
      await route.abort();
    }
  });
  return { ...watch, cspViolations: () => page.evaluate(() => (window as unknown as { __csp: string[] }).__csp) };
}

/**
 * A test site served on loopback whose ORIGIN is the address the browser uses
 * (forms check Origin, and cookies follow it).  `close()` stops the server.
 */
export async function startBrowserSite(options: Omit<TestAppOptions, "origin"> = {}) {
  const port = await freePort();
  const t = await createTestApp({ ...options, origin: `http://127.0.0.1:${port}` });
  const server = await startServer(t.app, port);
  return { ...t, origin: new URL(server.url).origin, close: server.close };
}

export type BrowserSite = Awaited<ReturnType<typeof startBrowserSite>>;

export interface BrowserSuite {
  /** The suite's Chromium, launched before its tests. */
  readonly browser: Browser;
  /** Remembers something to close after the suite (after the browser). */
  later(close: () => Promise<void>): void;
  /** Starts a test site (see `startBrowserSite`) that is closed after the suite. */
  site(options?: Omit<TestAppOptions, "origin">): Promise<BrowserSite>;
}

/**
 * One Chromium for the enclosing `describe`: launched in `beforeAll`; closed
 * in `afterAll`, followed by whatever was handed to `later` or started with
 * `site`, in that order.
 */
export function useBrowser(): BrowserSuite {
  let browser: Browser | undefined;
  const closers: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    for (const close of closers) await close();
  });

  return {
    get browser() {
      if (!browser) throw new Error("The browser is not running: use it inside a test or a hook.");
      return browser;
    },
    later(close) {
      closers.push(close);
    },
    async site(options = {}) {
      const t = await startBrowserSite(options);
      closers.push(t.close);
      return t;
    },
  };
}
