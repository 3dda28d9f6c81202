/**
 * `GET /lang/{code}`: the language switcher.  Remembers the choice in a
 * cookie that holds only the language code (a year, SameSite=Lax, no other
 * data: nothing to track anyone with), then sends the visitor back to the page
 * they came from (a same-site `?next=` path, else the Referer when it is ours,
 * else the home page).  The response sets a cookie, so no cache keeps it.
 */
import { type Context, Hono } from "hono";
import { setCookie } from "hono/cookie";
import { isLocale } from "../../i18n/index.ts";
import type { WebEnv } from "../kit/context.ts";
import { safeNext } from "../kit/guards.ts";
import { LANG_COOKIE, LANG_PARAM } from "../kit/locale.ts";
import { requestHeader } from "../../request-header.ts";

const YEAR_S = 365 * 24 * 60 * 60;

export const languageRoutes = new Hono<WebEnv>();

/** Where to go back to: `next`, else our own Referer's path, without a `lang` parameter. */
function backTo(c: Context<WebEnv>): string {
  const origin = c.get("deps").config.origin;
  let target = safeNext(c.req.query("next"), "");
  if (target === "") {
    const referer = requestHeader(c, "referer");
    if (referer != null && URL.canParse(referer)) {
      const url = new URL(referer);
      if (url.origin === new URL(origin).origin) target = safeNext(`${url.pathname}${url.search}`, "/");
    }
  }
  if (target === "" || target.startsWith("/lang/")) return "/";
  const url = new URL(target, "http://next.invalid");
  url.searchParams.delete(LANG_PARAM);
  return `${url.pathname}${url.search}${url.hash}`;
}

languageRoutes.get("/lang/:code", (c) => {
  const code = c.req.param("code");
  if (!isLocale(code)) return c.notFound();
  setCookie(c, LANG_COOKIE, code, {
    path: "/",
    maxAge: YEAR_S,
    sameSite: "Lax",
    secure: new URL(c.get("deps").config.origin).protocol === "https:",
  });
  c.header("Cache-Control", "no-store");
  return c.redirect(backTo(c), 303);
});
