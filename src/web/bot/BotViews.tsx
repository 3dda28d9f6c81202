/**
 * (Over 400 lines: the markup of the bot's pages; the plan form is most of it.)
 *
 * The strike bot's pages: what it does and how to connect an account
 * (`/bot`), and one connected account (`/bot/{id}`): who is connected, the
 * plan (days, how often, time zone, texts, visibility, language, image,
 * content warning) with a preview of every post, the state of each post, and
 * disconnecting.
 */
import type { SchedulingReason, ServerSupport } from "../../bot/capability.ts";
import type { BotPlan } from "../../bot/plan.ts";
import {
  EVERY_HOURS,
  languageName,
  PLAN_TEMPLATES_MAX,
  POST_MAX,
  SPOILER_MAX,
  type PlanFormErrors,
  type PlanFormInput,
} from "../../bot/plan.ts";
import { PLACEHOLDERS } from "../../strike/notices.ts";
import { assetUrl } from "../kit/assets.ts";
import { CSRF_FIELD } from "../kit/csrf.ts";
import { plural } from "../kit/format.ts";
import { ErrorSummary, FieldError } from "../layout/FormErrors.tsx";
import { TimeZoneField } from "../layout/TimeZoneField.tsx";

/**
 * A link to the striker's server: the profile and post URLs come from that
 * server's answers, so anything but http(s) (a `javascript:` URL) is dropped.
 */
function webHref(url: string): string | undefined {
  return /^https?:\/\//i.test(url) ? url : undefined;
}

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
  readonly signedIn: boolean;
  readonly csrf: string;
  readonly strikeName: string;
  /** The strike's days in words. */
  readonly when: string;
  readonly connections: readonly ConnectionSummary[];
  readonly server: string;
  readonly serverError?: string | undefined;
  readonly notice?: string | undefined;
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

function Intro(props: { strikeName: string; when: string }) {
  return (
    <>
      <p class="lede">
        The strike bot posts the {props.strikeName}’s notices from <strong>your own</strong> Mastodon account (
        {props.when}), at the times you choose, while you stay away from big social media.
      </p>
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
        <li>Your access is stored encrypted, never shown, and revoked on your server when you disconnect.</li>
      </ul>
    </>
  );
}

function ConnectForm(props: { csrf: string; server: string; error?: string | undefined }) {
  const describedBy = props.error != null ? "bot-server-hint bot-server-error" : "bot-server-hint";
  return (
    <form
      method="post"
      action="/bot/connect"
      class="account-form bot-connect"
      aria-labelledby="bot-connect-title"
      novalidate
    >
      <h2 id="bot-connect-title">Connect your account</h2>
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
          You will approve the bot there and come back here.
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
        <button type="submit">Connect</button>
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

export function BotHome(props: BotHomeProps) {
  return (
    <section class="bot-page">
      <h1>Strike bot</h1>
      {props.notice != null && (
        <p class="notice" role="status">
          {props.notice}
        </p>
      )}
      {props.disconnected != null && <DisconnectedReport report={props.disconnected} />}
      <Intro strikeName={props.strikeName} when={props.when} />
      {!props.signedIn ? (
        <p class="actions">
          <a class="button" href="/login?next=/bot">
            Log in to set up your bot
          </a>{" "}
          <span class="muted">
            or <a href="/register">create an account</a> on this site.
          </span>
        </p>
      ) : (
        <>
          {props.connections.length > 0 && (
            <section aria-labelledby="bot-connections-title">
              <h2 id="bot-connections-title">Your connected accounts</h2>
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
          )}
          <ConnectForm csrf={props.csrf} server={props.server} error={props.serverError} />
        </>
      )}
    </section>
  );
}

// ---------------------------------------------------------------------------
// One connection

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

export interface MediaOption {
  readonly id: number;
  readonly src: string;
  readonly alt: string;
  readonly title: string;
  readonly width: number;
  readonly height: number;
}

export interface BotConnectionProps {
  readonly csrf: string;
  readonly connection: ConnectionSummary;
  readonly strikeName: string;
  readonly strikeDays: readonly { readonly iso: string; readonly label: string }[];
  readonly declarations: readonly { readonly slug: string; readonly title: string }[];
  readonly media: readonly MediaOption[];
  readonly zones: readonly string[];
  readonly input: PlanFormInput;
  readonly errors?: PlanFormErrors | undefined;
  readonly preview?:
    | { readonly posts: readonly PreviewPost[]; readonly plan: BotPlan; readonly imageSrc: string | null }
    | undefined;
  readonly posts: readonly PostRow[];
  readonly notice?: string | undefined;
}

const LABELS: Record<string, string> = {
  days: "Strike days",
  cadence: "How often",
  times: "Times of day",
  timeZone: "Your time zone",
  declaration: "Declaration",
  visibility: "Who sees the notices",
  language: "Language",
  spoilerText: "Content warning",
  mediaId: "Image",
  mediaAlt: "Image description",
};

function labelOf(key: string): string {
  const t = /^template-(\d+)$/.exec(key);
  return t != null ? `Notice ${t[1]}` : (LABELS[key] ?? key);
}

function fieldId(key: string): string {
  if (key === "days") return "bot-days";
  if (key === "mediaId") return "bot-media-none";
  return `bot-${key}`;
}

function invalid(errors: PlanFormErrors, key: string, hint?: string) {
  const described = [hint, errors[key] != null ? `${fieldId(key)}-error` : undefined]
    .filter((x) => x != null)
    .join(" ");
  return {
    ...(described !== "" ? { "aria-describedby": described } : {}),
    ...(errors[key] != null ? { "aria-invalid": "true" } : {}),
  };
}

function Err(props: { errors: PlanFormErrors; name: string }) {
  return <FieldError id={`${fieldId(props.name)}-error`} error={props.errors[props.name]} />;
}

function PlanErrors(props: { errors: PlanFormErrors }) {
  return (
    <ErrorSummary
      formError="Nothing was saved."
      fields={Object.keys(props.errors)}
      errors={props.errors}
      label={labelOf}
      href={(k) => `#${fieldId(k)}`}
    />
  );
}

const VISIBILITY_LABELS: Record<string, string> = {
  public: "Public: everyone, in public timelines",
  unlisted: "Quiet public: everyone, but not in public timelines",
  private: "Followers only",
};

function PlanForm(props: BotConnectionProps) {
  const v = props.input;
  const e = props.errors ?? {};
  const chosenDays = new Set(v.days);
  const templates = [...v.templates];
  while (templates.length > 0 && templates[templates.length - 1]!.trim() === "") templates.pop();
  // One empty box to add a notice (two at least), up to the limit.
  const boxes = Math.min(PLAN_TEMPLATES_MAX, Math.max(templates.length + 1, 2));
  while (templates.length < boxes) templates.push("");
  return (
    <form
      method="post"
      action={`/bot/${props.connection.id}/plan`}
      class="account-form bot-plan"
      aria-labelledby="bot-plan-title"
      novalidate
    >
      <h2 id="bot-plan-title">Your plan</h2>
      <PlanErrors errors={e} />
      <input type="hidden" name={CSRF_FIELD} value={props.csrf} />
      <fieldset
        class="strike-group"
        id="bot-days"
        tabindex={-1}
        {...(e.days != null ? { "aria-describedby": "bot-days-error" } : {})}
      >
        <legend>Strike days</legend>
        <ul class="day-list">
          {props.strikeDays.map((d) => (
            <li class="field">
              <label>
                <input type="checkbox" name={`day-${d.iso}`} value="on" checked={chosenDays.has(d.iso)} /> {d.label}
              </label>
            </li>
          ))}
        </ul>
        <Err errors={e} name="days" />
      </fieldset>
      <TimeZoneField
        id="bot-timeZone"
        label="Your time zone"
        hint="The days and times below are counted in it."
        value={v.timeZone}
        zones={props.zones}
        error={e.timeZone}
      />
      <div class="field">
        <label for="bot-cadence">How often</label>
        <select id="bot-cadence" name="cadence" {...invalid(e, "cadence")}>
          {EVERY_HOURS.map((h) => (
            <option value={String(h)} selected={v.cadence === String(h)}>
              {h === 1 ? "Every hour" : `Every ${h} hours`}
            </option>
          ))}
          <option value="times" selected={v.cadence === "times"}>
            At the times below
          </option>
        </select>
        <Err errors={e} name="cadence" />
      </div>
      <div class="field">
        <label for="bot-times">Times of day (when “At the times below” is chosen)</label>
        <p class="hint" id="bot-times-hint">
          Separated by commas, for example <code>09:00, 13:00, 18:30</code>.
        </p>
        <input
          id="bot-times"
          name="times"
          type="text"
          maxlength={400}
          value={v.times}
          {...invalid(e, "times", "bot-times-hint")}
        />
        <Err errors={e} name="times" />
      </div>
      <div class="field">
        <label for="bot-declaration">Declaration the notices link to</label>
        <select id="bot-declaration" name="declaration" {...invalid(e, "declaration")}>
          {props.declarations.map((d) => (
            <option value={d.slug} selected={v.declaration === d.slug}>
              {d.title}
            </option>
          ))}
        </select>
        <Err errors={e} name="declaration" />
      </div>
      <fieldset class="strike-group">
        <legend>Notices</legend>
        <p class="hint" id="bot-templates-hint">
          Your posts take turns through these texts. Mastodon allows {POST_MAX} characters, content warning included; a
          link counts as 23. Placeholders:{" "}
          {PLACEHOLDERS.map((p, i) => (
            <>
              {i > 0 && ", "}
              <code>{`{${p}}`}</code>
            </>
          ))}
          . A notice always links the Declaration and carries the strike’s hashtag. Favourites of your own posts do not
          sign it: point people to its link. Empty a text to remove it.
        </p>
        {templates.map((text, i) => {
          const key = `template-${i + 1}`;
          return (
            <div class="field">
              <label for={`bot-${key}`}>Notice {i + 1}</label>
              <textarea
                id={`bot-${key}`}
                name={key}
                rows={4}
                maxlength={POST_MAX * 2}
                {...invalid(e, key, "bot-templates-hint")}
              >
                {text}
              </textarea>
              <Err errors={e} name={key} />
            </div>
          );
        })}
      </fieldset>
      <fieldset class="strike-group" {...(e.visibility != null ? { "aria-describedby": "bot-visibility-error" } : {})}>
        <legend>Who sees the notices</legend>
        <ul class="bot-radio-list">
          {Object.entries(VISIBILITY_LABELS).map(([value, label]) => (
            <li>
              <label>
                <input
                  type="radio"
                  name="visibility"
                  value={value}
                  checked={v.visibility === value}
                  id={value === "public" ? "bot-visibility" : undefined}
                />{" "}
                {label}
              </label>
            </li>
          ))}
        </ul>
        <Err errors={e} name="visibility" />
      </fieldset>
      <div class="field">
        <label for="bot-language">Language (two letters)</label>
        <p class="hint" id="bot-language-hint">
          For example en, de or fr. Empty: your account’s default.
        </p>
        <input
          id="bot-language"
          name="language"
          type="text"
          maxlength={10}
          autocapitalize="none"
          spellcheck={false}
          value={v.language}
          {...invalid(e, "language", "bot-language-hint")}
        />
        <Err errors={e} name="language" />
      </div>
      <div class="field">
        <label for="bot-spoilerText">Content warning (optional)</label>
        <p class="hint" id="bot-spoilerText-hint">
          Shown instead of the text until people open it. At most {SPOILER_MAX} characters.
        </p>
        <input
          id="bot-spoilerText"
          name="spoilerText"
          type="text"
          maxlength={SPOILER_MAX * 2}
          value={v.spoilerText}
          {...invalid(e, "spoilerText", "bot-spoilerText-hint")}
        />
        <Err errors={e} name="spoilerText" />
      </div>
      <fieldset
        class="strike-group media-choices"
        {...(e.mediaId != null ? { "aria-describedby": "bot-media-none-error" } : {})}
      >
        <legend>Image (optional, from the memes gallery)</legend>
        <ul>
          <li>
            <label>
              <input type="radio" name="mediaId" value="" id="bot-media-none" checked={v.mediaId === ""} /> No image
            </label>
          </li>
          {props.media.map((m) => (
            <li>
              <label>
                <input type="radio" name="mediaId" value={String(m.id)} checked={v.mediaId === String(m.id)} />
                <img src={m.src} alt="" width={m.width} height={m.height} loading="lazy" />
                <span class="media-alt">{m.title || m.alt}</span>
              </label>
            </li>
          ))}
        </ul>
        <Err errors={e} name="mediaId" />
      </fieldset>
      <div class="field">
        <label for="bot-mediaAlt">Image description</label>
        <p class="hint" id="bot-mediaAlt-hint">
          For people who cannot see the image. Left empty, the gallery’s description is used.
        </p>
        <textarea
          id="bot-mediaAlt"
          name="mediaAlt"
          rows={2}
          maxlength={3000}
          {...invalid(e, "mediaAlt", "bot-mediaAlt-hint")}
        >
          {v.mediaAlt}
        </textarea>
        <Err errors={e} name="mediaAlt" />
      </div>
      <p class="actions">
        <button type="submit" name="action" value="preview" class="secondary">
          Preview every post
        </button>{" "}
        <button type="submit" name="action" value="save">
          Save and start the bot
        </button>
      </p>
      <script src={assetUrl("strike-admin.js")} defer></script>
    </form>
  );
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
      {props.notice != null && (
        <p class="notice" role="status">
          {props.notice}
        </p>
      )}
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
      {c.status === "active" && <PlanForm {...props} />}
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
