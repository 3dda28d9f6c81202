/**
 * `/privacy`: what undersign stores about signers and for how long, written
 * from the running configuration so that it cannot drift from what the site does.
 */
import { Hono } from "hono";
import type { RateLimit } from "../../config.ts";
import type { WebEnv } from "../kit/context.ts";
import { cookieName as csrfCookieName } from "../kit/csrf.ts";
import { deviceCookieName } from "../kit/session.ts";
import { describeDuration, plural } from "../kit/format.ts";
import { Layout } from "../layout/Layout.tsx";
import { limitMemoryMs } from "../../services/limits.ts";

export const privacy = new Hono<WebEnv>();

function describeLimits(limits: readonly RateLimit[]): string {
  return limits
    .map(
      (l) =>
        `${l.burst != null ? `${plural(l.burst, "signature", "signatures")} at once, then ` : ""}${plural(l.max, "signature", "signatures")} per ${describeDuration(l.windowMs)}`,
    )
    .join(" and ");
}

privacy.get("/privacy", (c) => {
  const { config, pow } = c.get("deps");
  const s = config.signing;
  const longestWindow = Math.max(
    0,
    s.duplicateWindowMs,
    ...s.perDeclarationLimits.map(limitMemoryMs),
    ...s.perClientLimits.map(limitMemoryMs),
  );
  return c.html(
    <Layout title="Privacy" siteName={config.instanceName}>
      <article class="prose-page" aria-labelledby="privacy-title">
        <h1 id="privacy-title">Privacy</h1>
        <p>
          This page is generated from the settings this site runs with right now, so it says what the site actually
          does. {config.instanceName} uses no analytics, no advertising, no tracking and loads nothing from other sites.
        </p>

        <h2>When you sign a Declaration</h2>
        <p>We store what you type in the form, and nothing else:</p>
        <ul>
          <li>your name (required), and if you give them, a place or affiliation, a website and a comment;</li>
          <li>
            your email address{" "}
            {s.confirmation === "email"
              ? "(required here: the signature counts only once you follow the link we mail you)"
              : config.mail != null
                ? "(optional: we use it only to mail you your private link)"
                : "(optional: this site sends no mail, so it is only kept with your signature)"}
            ;
          </li>
          <li>whether your name is shown publicly or you are only counted;</li>
          <li>which version of the Declaration you signed, and when.</li>
        </ul>
        <p>
          Public signatures show the name, place, website, comment, version and date on the Declaration's page, in its
          list of signatures and in the CSV export. Email addresses are never shown or exported. If you choose to be
          counted only, nothing about you is shown.
        </p>

        <h2>How long</h2>
        <ul>
          <li>A signature is kept until you withdraw it, or until the site owner removes the Declaration.</li>
          {s.confirmation === "email" && (
            <li>
              An unconfirmed signature is never counted. Once its confirmation link expires, after{" "}
              {describeDuration(s.confirmationTtlMs)}, it is deleted within the hour.
            </li>
          )}
          <li>
            Withdrawing (with your private link) erases your name, place, website, comment and email address at once.
            Only an empty record remains, so that your link can tell you the signature was withdrawn.
          </li>
        </ul>

        <h2>Your private link</h2>
        <p>
          After signing you get a private link{config.mail != null ? " (also by mail, if you gave an address)" : ""}.
          With it you can see exactly what is stored, download it as JSON, sign a newer version, or withdraw. We store
          only a one-way hash of the link, so even the site's database cannot be used to rebuild it.
          {config.mail != null &&
            " If you ask us to mail it from that page, the address you type is used for that one mail and not stored (a keyed hash of it stays in memory for an hour, to limit how often it can be mailed)."}
        </p>

        <h2>When you pledge to strike</h2>
        <p>
          We store which strike days you chose and when you pledged. Your name is stored only if you give one and choose
          to show it; then it is shown on the strike page. A pledge counted only keeps no name at all. Pledges are not
          linked to signatures and need no email address. The same protection against abuse applies as for signing
          (below).
        </p>

        <h2>When you sign, boost or reply from the fediverse</h2>
        <p>
          Favouriting (or reacting to) a post of a Declaration's account signs it with your fediverse account: we store
          your account's address, its display name, profile link and avatar address as your server publishes them, and
          show them with your signature. Unfavouriting withdraws the signature and erases them from it. Replies to the
          Declarations' posts are shown under the Declaration as your server sent them; deleting the reply on your
          server deletes it here. When your account is deleted on its server, your signatures and replies here are
          removed.
        </p>

        <h2>When you report a Declaration</h2>
        <p>
          A report keeps only the reason you write and when you sent it, for the site's owner: not your name, address or
          account. To limit reports from one connection, a keyed hash of your address is kept in memory only, for at
          most a day.
        </p>

        <h2>When you set up a strike bot</h2>
        <p>
          Connecting your Mastodon (or compatible) account to the strike bot stores, with your account here or, when you
          sign in with that account instead, on its own: your account's address, display name and profile link on your
          server, the access your server granted the bot (encrypted, never shown, never logged), your plan, and the
          posts the bot made or will make with their state. The bot only posts, uploads the chosen image and reads your
          account's name and scheduled posts. Disconnecting revokes the access on your server and erases all of this
          here. Signed in with your fediverse account, your browser keeps a random sign-in cookie for 30 days; the site
          stores only a hash of it, deleted when you sign out or disconnect.
        </p>

        <h2>Protection against abuse</h2>
        <ul>
          {longestWindow > 0 ? (
            <li>
              Your IP address is never stored. To limit automated signing, the site keeps a keyed hash of it in memory
              only, for at most {describeDuration(longestWindow)}, and never writes it to disk. For an IPv6 address only
              its first {config.ipv6PrefixLength} bits count (the network you are on, usually shared by your devices).
              {config.trustedProxies.length > 0
                ? " The site runs behind a proxy and takes your address from the X-Forwarded-For header that proxy adds (only from the proxies its owner configured)."
                : ""}
            </li>
          ) : (
            // No rate limit and no duplicate-name window: nothing about the address is kept, not even in memory.
            <li>
              Your IP address is never stored, not even in memory: this site does not limit signing per connection.
            </li>
          )}
          {s.perDeclarationLimits.length > 0 && (
            <li>Each connection may sign a Declaration at most {describeLimits(s.perDeclarationLimits)}.</li>
          )}
          {s.perClientLimits.length > 0 && (
            <li>Each connection may sign at most {describeLimits(s.perClientLimits)} across all Declarations.</li>
          )}
          {s.duplicateWindowMs > 0 && (
            <li>
              The same name signing the same Declaration again from the same connection within{" "}
              {describeDuration(s.duplicateWindowMs)} is counted once.
            </li>
          )}
          <li>The same email address is counted once per Declaration.</li>
          {pow.enabled && (
            <li>
              The form asks your browser to solve a small computing puzzle (a proof of work), served by this site
              itself; it needs JavaScript. The site remembers each used puzzle (not who solved it) until it expires,
              about 20 minutes later, so that it cannot be used twice.
            </li>
          )}
          <li>
            A cookie named “{csrfCookieName(config.origin)}” protects the forms on pages only you see (logging in, your
            private link, the editors) from being sent by other sites. It holds a random number and nothing else.
            Reading a Declaration and signing it set no cookie.
          </li>
          <li>
            Only for accounts (authors and the site's owner, never for signing): when you log in, a cookie named “
            {deviceCookieName(config.origin)}” marks this browser as one you logged in from, for a year, so that limits
            against password guessing do not hold you back. It holds your account's number, a random number and a check
            value, nothing else. Failed logins are counted in memory by keyed hashes of the account name and of your
            address, for at most 15 minutes.
          </li>
        </ul>
      </article>
    </Layout>,
  );
});
