/**
 * One connected account's page (`/bot/{id}`): who is connected, what their
 * server supports, the plan form with a preview of every post, the state of
 * each post, pausing and disconnecting.
 */
import type { SchedulingReason } from "../../bot/capability.ts";
import { languageName, type BotPlan } from "../../bot/plan.ts";
import { CSRF_FIELD } from "../kit/csrf.ts";
import { plural } from "../kit/format.ts";
import { type Notice, StatusNotice } from "../kit/notice.tsx";
import type { ConnectionSummary } from "./HomeView.tsx";
import { PlanForm, VISIBILITY_LABELS, type PlanFormProps } from "./PlanForm.tsx";

/**
 * A link to the striker's server: the profile and post URLs come from that
 * server's answers, so anything but http(s) (a `javascript:` URL) is dropped.
 */
function webHref(url: string): string | undefined {
  return /^https?:\/\//i.test(url) ? url : undefined;
}

export interface PreviewPost {
  readonly at: string;
  readonly iso: string;
  readonly text: string;
  readonly past: boolean;
}

export interface PostRow {
  readonly at: string;
  readonly iso: string;
  readonly text: string;
  readonly state: "planned" | "scheduled" | "posted" | "failed" | "unconfirmed";
  /** In words: what happened or will happen. */
  readonly detail: string;
  readonly url: string | null;
  /** The link goes to the account's profile (the server published it; we do not know the post's address). */
  readonly linksProfile: boolean;
  readonly error: string | null;
}
export interface BotConnectionProps extends Omit<PlanFormProps, "connectionId"> {
  readonly connection: ConnectionSummary;
  readonly strikeName: string;
  readonly preview?:
    | { readonly posts: readonly PreviewPost[]; readonly plan: BotPlan; readonly imageSrc: string | null }
    | undefined;
  readonly posts: readonly PostRow[];
  readonly notice?: Notice | undefined;
}

function Preview(props: NonNullable<BotConnectionProps["preview"]>) {
  const future = props.posts.filter((p) => !p.past);
  const plan = props.plan;
  return (
    <section class="bot-preview" aria-labelledby="bot-preview-title" id="bot-preview">
      <h2 id="bot-preview-title">Preview: {plural(future.length, "post", "posts")}</h2>
      <p class="hint">
        {VISIBILITY_LABELS[plan.visibility]}
        {plan.language !== "" && <>; in {languageName(plan.language)}</>}
        {plan.spoilerText !== "" && <>; behind the content warning “{plan.spoilerText}”</>}
        {props.imageSrc != null && <>; with the image below</>}. Times are in {plan.timeZone}. Nothing is saved until
        you press “Save and start the bot”.
      </p>
      {props.imageSrc != null && <img class="bot-preview-image" src={props.imageSrc} alt={plan.mediaAlt} />}
      <ol class="bot-posts">
        {props.posts.map((p) => (
          <li class={p.past ? "bot-post past" : "bot-post"}>
            <p class="bot-post-time">
              <time datetime={p.iso}>{p.at}</time>
              {p.past && <span class="muted"> (already past: not posted)</span>}
            </p>
            <p class="bot-post-text">{p.text}</p>
          </li>
        ))}
      </ol>
    </section>
  );
}

const STATE_LABELS: Record<PostRow["state"], string> = {
  planned: "Waiting",
  scheduled: "Scheduled",
  posted: "Posted",
  failed: "Failed",
  unconfirmed: "Not confirmed",
};

function Posts(props: { posts: readonly PostRow[]; host: string }) {
  if (props.posts.length === 0) return null;
  const counts = new Map<PostRow["state"], number>();
  for (const p of props.posts) counts.set(p.state, (counts.get(p.state) ?? 0) + 1);
  const summary = (["scheduled", "planned", "posted", "unconfirmed", "failed"] as const)
    .filter((s) => counts.has(s))
    .map((s) => `${counts.get(s)} ${STATE_LABELS[s].toLowerCase()}`)
    .join(", ");
  return (
    <section aria-labelledby="bot-posts-title" class="bot-post-states">
      <h2 id="bot-posts-title">Your bot’s posts</h2>
      <p class="bot-summary">
        {summary}.
        {counts.has("scheduled") &&
          ` The scheduled ones are held by ${props.host}: they go out even if this site is down.`}
      </p>
      <ol class="bot-posts">
        {props.posts.map((p) => (
          <li class={`bot-post state-${p.state}`}>
            <p class="bot-post-time">
              <time datetime={p.iso}>{p.at}</time>{" "}
              <span class={`bot-state bot-state-${p.state}`}>{STATE_LABELS[p.state]}</span>
            </p>
            {(p.detail !== "" || p.url != null) && (
              <p class="bot-post-detail">
                {p.detail}
                {p.url != null && (
                  <>
                    {" "}
                    <a href={webHref(p.url)} rel="noopener noreferrer">
                      {p.linksProfile ? "Your profile" : "See the post"}
                    </a>
                  </>
                )}
              </p>
            )}
            {p.error != null && <p class="field-error bot-post-error">{p.error}</p>}
            <p class="bot-post-text">{p.text}</p>
          </li>
        ))}
      </ol>
    </section>
  );
}

const WHY_NOT: Record<SchedulingReason, (host: string) => string> = {
  "posts-at-once": (host) =>
    `When the bot asked ${host} to schedule a post, it published it at once instead (the bot deleted that early post where ${host} let it).`,
  "not-listed": (host) =>
    `${host} does not show the bot the posts it holds scheduled, so the bot could neither confirm nor cancel them there.`,
  "cannot-cancel": (host) =>
    `${host} would not cancel a post it held scheduled, so a change of plan, a pause or a disconnect could not take effect there.`,
  refused: (host) => `${host} does not accept scheduled posts.`,
};

/** What the striker's server supports, and what that means for them. */
function ServerSupportNote(props: { connection: ConnectionSummary }) {
  const c = props.connection;
  return (
    <section class="bot-server-support" aria-labelledby="bot-server-support-title">
      <h2 id="bot-server-support-title">What {c.host} supports</h2>
      {c.scheduling === "yes" && (
        <p>
          <strong>Scheduled posts: yes.</strong> {c.host} holds the bot’s posts and publishes them at their time, even
          if this site is down then.
        </p>
      )}
      {c.scheduling === "no" && (
        <p>
          <strong>Scheduled posts: no.</strong> {WHY_NOT[c.schedulingReason ?? "refused"](c.host)} Your posts go out
          from this site at their time: this site must be running then.
        </p>
      )}
      {c.scheduling === "unknown" && (
        <p>
          <strong>Scheduled posts: not known yet.</strong> The bot finds out when it hands {c.host} your first post. If{" "}
          {c.host} holds it, your posts go out even if this site is down; if not, they go out from this site at their
          time, and this site must be running then.
        </p>
      )}
    </section>
  );
}

export function BotConnectionView(props: BotConnectionProps) {
  const c = props.connection;
  return (
    <section class="bot-page">
      <p class="breadcrumbs">
        <a href="/bot">Strike bot</a>
      </p>
      <h1>
        {c.displayName || c.acct} <span class="muted">@{c.acct}</span>
      </h1>
      <StatusNotice notice={props.notice} />
      {c.status === "revoked" ? (
        <div class="form-errors" role="alert">
          <p>
            The bot has stopped: {c.statusReason ?? `${c.host} no longer accepts its access.`} Posts already scheduled
            on {c.host} may still go out; nothing more is sent from here.{" "}
            <a href="/bot#bot-connect-title">Connect your account again</a> to go on.
          </p>
        </div>
      ) : (
        <p>
          Connected to{" "}
          <a href={webHref(c.url)} rel="noopener noreferrer">
            {c.host}
          </a>
          .{" "}
          {!c.hasPlan
            ? "Choose when and what the bot posts, preview it, and save."
            : c.enabled
              ? "The bot is on."
              : "The bot is paused: nothing is posted."}
        </p>
      )}
      {c.status === "active" && <ServerSupportNote connection={c} />}
      {props.preview != null && <Preview {...props.preview} />}
      {props.preview == null && <Posts posts={props.posts} host={props.connection.host} />}
      {c.status === "active" && <PlanForm {...props} connectionId={c.id} />}
      {props.preview != null && <Posts posts={props.posts} host={props.connection.host} />}
      <section aria-labelledby="bot-manage-title" class="bot-manage">
        <h2 id="bot-manage-title">Pause or disconnect</h2>
        {c.status === "active" && c.hasPlan && (
          <form method="post" action={`/bot/${c.id}/${c.enabled ? "pause" : "resume"}`} class="inline-actions">
            <input type="hidden" name={CSRF_FIELD} value={props.csrf} />
            <button type="submit" class={c.enabled ? "secondary" : ""}>
              {c.enabled ? "Pause the bot" : "Resume the bot"}
            </button>
          </form>
        )}
        <form method="post" action={`/bot/${c.id}/disconnect`} class="inline-actions">
          <input type="hidden" name={CSRF_FIELD} value={props.csrf} />
          <p class="hint">
            Disconnecting cancels the posts scheduled on {c.host}, revokes the bot’s access there and deletes it here.
          </p>
          <button type="submit" class="secondary">
            Disconnect @{c.acct}
          </button>
        </form>
      </section>
    </section>
  );
}
