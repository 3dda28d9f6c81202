/**
 * The site account on the site's pages: its handle (copyable) and "Follow
 * from your server" (the same lookup as a Declaration's: FEP-3b86 intents,
 * then OStatus; the handle to search for when the visitor's server is not
 * known), and, for the owner, its followers per server.
 */
import { assetUrl } from "../kit/assets.ts";
import { plural } from "../kit/format.ts";
import { ErrorSummary } from "../layout/FormErrors.tsx";
import { AccountField } from "./Fediverse.tsx";

export interface SiteFollowProps {
  /** `@handle@host` */
  handle: string;
  /** The owner's introduction, shown first (the home page). */
  introduction?: string;
  /** What the visitor typed, kept when the form comes back. */
  account?: string;
  /** The message for the account field. */
  error?: string;
  /** A message about the whole form (rate limit). */
  formError?: string;
  /** Whether the heading is the page's own (h1) or a section's (h2). */
  standalone?: boolean;
}

/**
 * The form is a GET to `/follow`: it changes nothing here (it only looks
 * the visitor's server up and sends them there), so the pages that carry it
 * stay the same for every visitor and can be cached.
 */
export function SiteFollow(props: SiteFollowProps) {
  const Heading = props.standalone === true ? "h1" : "h2";
  return (
    <section class="fediverse-section site-follow" id="follow-site" aria-labelledby="site-follow-heading">
      <Heading id="site-follow-heading">Follow this site from the fediverse</Heading>
      {props.introduction != null && <p class="site-introduction">{props.introduction}</p>}
      <p>
        The site has its own account: follow it from Mastodon or any other fediverse server to hear of new Declarations,
        copies and the strike. Favouriting its posts signs nothing; each Declaration has its own account to sign with.
      </p>
      <div class="share site-handle">
        <div class="share-link">
          <label for="site-handle">The site’s handle</label>
          <div class="share-row">
            <input id="site-handle" type="text" readonly value={props.handle} data-share-url />
            <button type="button" class="secondary" data-copy-link data-copied="Handle copied." hidden>
              Copy the handle
            </button>
          </div>
          <p class="share-status" role="status" aria-live="polite" data-share-status></p>
        </div>
      </div>
      <form method="get" action="/follow" class="interact-form" novalidate>
        <ErrorSummary
          formError={props.formError}
          fields={props.error != null ? ["account"] : []}
          errors={{ account: props.error }}
          label={() => "Your fediverse account"}
          href={() => "#site-follow-account"}
        />
        <AccountField
          id="site-follow-account"
          hintId="site-follow-hint"
          errorId="site-follow-error"
          account={props.account}
          error={props.error}
        >
          For example alice@example.social. We look up your server and send you there to follow; or search for the
          handle above on your server.
        </AccountField>
        <p class="actions interact-actions">
          <button type="submit">Follow from your server</button>
        </p>
      </form>
      <script type="module" src={assetUrl("share.js")} />
    </section>
  );
}

export interface SiteFollowersProps {
  handle: string;
  followers: number;
  servers: readonly { host: string; followers: number }[];
}

/** How many follow the site account, and from which servers (the owner's pages and /stats). */
export function SiteFollowers(props: SiteFollowersProps) {
  const shown = props.servers.slice(0, 50);
  return (
    <section class="site-followers" aria-labelledby="site-followers-title">
      <h2 id="site-followers-title">The site account</h2>
      <p>
        <strong class="fedi-handle">{props.handle}</strong>: {plural(props.followers, "follower", "followers")}
        {props.servers.length > 0 && <> on {plural(props.servers.length, "server", "servers")}</>}.
      </p>
      {shown.length > 0 && (
        <table class="site-followers-table">
          <caption>Followers of the site account per server</caption>
          <thead>
            <tr>
              <th scope="col">Server</th>
              <th scope="col">Followers</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((s) => (
              <tr>
                <td>{s.host}</td>
                <td>{s.followers.toLocaleString("en")}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {props.servers.length > shown.length && (
        <p class="muted">And {plural(props.servers.length - shown.length, "more server", "more servers")}.</p>
      )}
    </section>
  );
}
