/**
 * Following the site account from a browser: `/follow` (the form, and with
 * `?account=` the lookup of the visitor's server and the way there), and the
 * shared pieces the home page, `/strike` and the owner's pages show (the
 * handle, the follower counts).  The lookup is a Declaration's
 * (`/d/{slug}/interact`): WebFinger of the visitor's account, then the
 * FEP-3b86 Follow intent, the Object intent or the OStatus subscribe
 * template, rate-limited per client.
 */
import { Hono, type Context } from "hono";
import { siteFollowersByServer, countSiteFollowers } from "../../db/site-account.ts";
import { findInteractionUrl, parseAccount, siteActorUri, siteHandleOf } from "../../federation/index.ts";
import type { WebDeps, WebEnv } from "../kit/context.ts";
import { formsMayLeaveSite } from "../kit/csp.ts";
import { failureMessage, fedDataOf, lookupWait } from "./interact.tsx";
import { Layout } from "../layout/Layout.tsx";
import { SiteFollow, SiteFollowers, type SiteFollowProps } from "./SiteFollow.tsx";

export const siteFollowRoutes = new Hono<WebEnv>();

/** `@handle@host`: the site account's handle. */
export function siteHandle(deps: Pick<WebDeps, "config">): string {
  return `@${siteHandleOf(deps.config)}@${deps.config.origin.host}`;
}

/** The site account's id (its ActivityPub document), for `<link rel="alternate">`. */
export function siteAccountUri(deps: WebDeps): string {
  return siteActorUri(deps.federation, fedDataOf(deps), deps.config.origin).href;
}

/** The owner's view of the site account's followers (for /admin and /stats). */
export function SiteFollowersOf(props: { deps: Pick<WebDeps, "db" | "config"> }) {
  const { db } = props.deps;
  return (
    <SiteFollowers
      handle={siteHandle(props.deps)}
      followers={countSiteFollowers(db)}
      servers={siteFollowersByServer(db)}
    />
  );
}

type Status = 200 | 400 | 422 | 429;

function followPage(c: Context<WebEnv>, state: Omit<SiteFollowProps, "handle">, status: Status) {
  const deps = c.get("deps");
  if (status !== 200) c.header("Cache-Control", "no-store");
  formsMayLeaveSite(c);
  return c.html(
    <Layout title={`Follow ${deps.config.instanceName}`} siteName={deps.config.instanceName}>
      <div class="interact-page">
        <SiteFollow standalone handle={siteHandle(deps)} {...state} />
      </div>
    </Layout>,
    status,
  );
}

siteFollowRoutes.get("/follow", async (c) => {
  const raw = c.req.query("account");
  if (raw == null) return followPage(c, {}, 200);
  const account = raw.slice(0, 1000);
  const parsed = parseAccount(account);
  if (!parsed.ok) return followPage(c, { account, error: parsed.message }, 400);
  const wait = lookupWait(c);
  if (wait > 0)
    return followPage(
      c,
      { account, formError: `Too many lookups from your connection. Please try again in ${wait} seconds.` },
      429,
    );
  const deps = c.get("deps");
  const { config } = deps;
  const data = fedDataOf(deps);
  const target = siteActorUri(deps.federation, data, config.origin);
  const result = await findInteractionUrl(deps.federation, data, config.origin, parsed.account, "follow", target, {
    allowPrivateAddress: config.federation.allowPrivateAddress,
  });
  if (result.ok) return c.redirect(result.url.href, 303);
  return followPage(
    c,
    { account, error: failureMessage(result.reason, parsed.account, "follow", siteHandle(deps)) },
    422,
  );
});
