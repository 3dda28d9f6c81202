/**
 * The strike bot's front page (`/bot`): what it does, who is signed in, the
 * connected accounts, the form to sign in (or connect another account) with
 * a Mastodon-API server, and the page shown when the site has no bot.
 */
import type { SchedulingReason, ServerSupport } from "../../bot/capability.ts";
import { CSRF_FIELD } from "../kit/csrf.ts";
import { plural } from "../kit/format.ts";
import { type Notice, StatusNotice } from "../kit/notice.tsx";
import { FieldError } from "../layout/FormErrors.tsx";

export interface ConnectionSummary {
  readonly id: number;
  readonly acct: string;
  readonly displayName: string;
  readonly url: string;
  readonly host: string;
  readonly status: "active" | "revoked";
  readonly statusReason: string | null;
  readonly enabled: boolean;
  readonly hasPlan: boolean;
  /** Posts still to come, and posts made. */
  readonly upcoming: number;
  readonly posted: number;
  /** Whether the server holds scheduled posts the bot can see and cancel, as learnt (src/bot/capability.ts). */
  readonly scheduling: ServerSupport;
  readonly schedulingReason: SchedulingReason | null;
}

/** After a disconnect: what the server may still publish, each post by its time. */
export interface DisconnectReport {
  readonly acct: string;
  readonly host: string;
  readonly revoked: boolean;
  readonly problem: string | null;
  readonly notCancelled: readonly {
    readonly at: string;
    readonly iso: string;
    readonly text: string;
    readonly reason: string;
  }[];
}

export interface BotHomeProps {
  /** The account here logged in (its username), if any. */
  readonly account: string | null;
  /** The bot identity signed in (the connected account the striker signed in with), if any. */
  readonly identity: ConnectionSummary | null;
  readonly csrf: string;
  readonly strikeName: string;
  /** The strike's days in words. */
  readonly when: string;
  readonly connections: readonly ConnectionSummary[];
  readonly server: string;
  readonly serverError?: string | undefined;
  readonly notice?: Notice | undefined;
  readonly disconnected?: DisconnectReport | undefined;
}

function DisconnectedReport(props: { report: DisconnectReport }) {
  const r = props.report;
  const n = r.notCancelled.length;
  return (
    <section class="form-errors bot-disconnected" role="alert" aria-labelledby="bot-disconnected-title">
      <h2 id="bot-disconnected-title">
        @{r.acct} is disconnected, but {plural(n, "post", "posts")} may still be published
      </h2>
      <p>
        The bot’s access is deleted here{r.revoked ? ` and revoked on ${r.host}` : ""}. {r.host} did not cancel{" "}
        {n === 1 ? "this post" : "these posts"}, or this site could not confirm that it did:
      </p>
      <ol class="bot-posts">
        {r.notCancelled.map((p) => (
          <li class="bot-post">
            <p class="bot-post-time">
              <time datetime={p.iso}>{p.at}</time>
            </p>
            <p class="bot-post-text">{p.text}</p>
            <p class="bot-post-error">{p.reason}</p>
          </li>
        ))}
      </ol>
      {r.problem != null && <p>{r.problem}</p>}
    </section>
  );
}

function Lede(props: { strikeName: string; when: string }) {
  return (
    <p class="lede">
      The strike bot posts the {props.strikeName}’s notices from <strong>your own</strong> Mastodon account (
      {props.when}), at the times you choose, while you stay away from big social media.
    </p>
  );
}

function Facts() {
  return (
    <section aria-labelledby="bot-facts-title">
      <h2 id="bot-facts-title">How it works</h2>
      <ul class="bot-facts">
        <li>
          It works with Mastodon and servers that speak its API: Pleroma, Akkoma, GoToSocial, Iceshrimp, snac and
          others.
        </li>
        <li>
          Your server keeps the posts scheduled whenever it can, so they go out even if this site is down. Where it
          cannot (some servers publish at once, or cannot show or cancel scheduled posts), this site posts them at their
          time, and your bot’s page says so. The bot only asks to post, add images, read your account’s name and see its
          scheduled posts.
        </li>
        <li>
          The account you connect is also how you sign in here: no account on this site is needed. Its access is stored
          encrypted, never shown, and revoked on your server when you disconnect.
        </li>
      </ul>
    </section>
  );
}

/**
 * The form that starts OAuth with the striker's server: for a visitor, it
 * signs them in with that account; for an account here, it connects one more.
 */
function ConnectForm(props: { csrf: string; server: string; error?: string | undefined; signIn: boolean }) {
  const describedBy = props.error != null ? "bot-server-hint bot-server-error" : "bot-server-hint";
  return (
    <form
      method="post"
      action="/bot/connect"
      class="account-form bot-connect"
      aria-labelledby="bot-connect-title"
      novalidate
    >
      <h2 id="bot-connect-title">{props.signIn ? "Sign in with your fediverse account" : "Connect an account"}</h2>
      {props.error != null && (
        <div class="form-errors" role="alert" tabindex={-1}>
          <p>
            <a href="#bot-server">Your server</a>: {props.error}
          </p>
        </div>
      )}
      <input type="hidden" name={CSRF_FIELD} value={props.csrf} />
      <div class="field">
        <label for="bot-server">Your server</label>
        <p class="hint" id="bot-server-hint">
          Its address, such as <code>mastodon.social</code>, or your handle, such as <code>@you@mastodon.social</code>.
          You will approve the bot there and come back here{props.signIn ? ", signed in as that account." : "."}
        </p>
        <input
          id="bot-server"
          name="server"
          type="text"
          required
          autocomplete="url"
          autocapitalize="none"
          spellcheck={false}
          maxlength={300}
          value={props.server}
          aria-describedby={describedBy}
          {...(props.error != null ? { "aria-invalid": "true" } : {})}
        />
        <FieldError id="bot-server-error" error={props.error} />
      </div>
      <p class="actions">
        <button type="submit">{props.signIn ? "Sign in" : "Connect"}</button>
      </p>
    </form>
  );
}

function stateWords(c: ConnectionSummary): string {
  if (c.status === "revoked") return "Stopped: connect again";
  if (!c.hasPlan) return "Connected: no plan yet";
  if (!c.enabled) return "Paused";
  const where = c.scheduling === "no" ? " (posted from this site: it must be running)" : "";
  return `${plural(c.upcoming, "post", "posts")} to come${where}, ${c.posted} made`;
}

function Connections(props: { connections: readonly ConnectionSummary[]; title: string }) {
  return (
    <section aria-labelledby="bot-connections-title">
      <h2 id="bot-connections-title">{props.title}</h2>
      <ul class="bot-connections">
        {props.connections.map((c) => (
          <li>
            <a href={`/bot/${c.id}`}>
              <strong>{c.displayName || c.acct}</strong> <span class="muted">@{c.acct}</span>
            </a>
            <span class={`bot-state${c.status === "revoked" ? " bot-state-failed" : ""}`}>{stateWords(c)}</span>
          </li>
        ))}
      </ul>
    </section>
  );
}

/** Who is signed in as a bot identity, and the way out. */
function SignedInAs(props: { identity: ConnectionSummary; csrf: string }) {
  return (
    <form method="post" action="/bot/signout" class="inline-actions bot-identity">
      <input type="hidden" name={CSRF_FIELD} value={props.csrf} />
      <p>
        Signed in as <strong>@{props.identity.acct}</strong>.
      </p>
      <button type="submit" class="secondary">
        Sign out
      </button>
    </form>
  );
}

export function BotHome(props: BotHomeProps) {
  const own = props.connections.filter((c) => c.id !== props.identity?.id);
  return (
    <section class="bot-page">
      <h1>Strike bot</h1>
      <StatusNotice notice={props.notice} />
      {props.disconnected != null && <DisconnectedReport report={props.disconnected} />}
      {props.identity != null && <SignedInAs identity={props.identity} csrf={props.csrf} />}
      <Lede strikeName={props.strikeName} when={props.when} />
      {props.identity != null && <Connections connections={[props.identity]} title="Your bot" />}
      {props.account != null && own.length > 0 && (
        <Connections connections={own} title={`Accounts connected to ${props.account} on this site`} />
      )}
      {/* A bot whose access the server revoked is signed in to again, through the same form. */}
      {(props.identity == null || props.identity.status === "revoked") && (
        <ConnectForm csrf={props.csrf} server={props.server} error={props.serverError} signIn={props.account == null} />
      )}
      {props.identity == null && props.account == null && (
        <p class="muted">
          Have an account on this site? <a href="/login?next=/bot">Log in</a> to connect accounts to it instead.
        </p>
      )}
      <Facts />
    </section>
  );
}

/** /bot on a site without the bot: a plain sentence for visitors; how to set it up for the site's owner. */
export function NotAvailable(props: { ownerHint: string | null }) {
  return (
    <section class="error-page">
      <h1>The strike bot is not available on this site</h1>
      {props.ownerHint == null ? (
        <p>
          You can still sign a Declaration and <a href="/strike">join the strike</a>.
        </p>
      ) : (
        <>
          <p>Only you, the site’s owner, see this:</p>
          <p class="fine-print">{props.ownerHint}</p>
        </>
      )}
    </section>
  );
}
