/**
 * (Over 400 lines: one page's markup: every strike setting in one form and the notices sent.)
 *
 * The site owner's strike page: whether notices are going out (pause,
 * resume, post one now), every setting of the strike in one form, and the
 * notices sent with their boosts and favourites.
 */
import type { DeclarationSummary } from "../../db/declarations.ts";
import type { MediaChoice } from "../../db/strike.ts";
import { PLACEHOLDERS, TEMPLATE_MAX } from "../../strike/notices.ts";
import { DAYS_MAX, type StrikeFormErrors, type StrikeFormInput } from "../../strike/settings.ts";
import { assetUrl } from "../kit/assets.ts";
import { CSRF_FIELD } from "../kit/csrf.ts";
import { plural } from "../kit/format.ts";
import { type Notice, StatusNotice } from "../kit/notice.tsx";
import { FieldError, fieldAria } from "../layout/FormErrors.tsx";
import { TimeZoneField } from "../layout/TimeZoneField.tsx";

export interface SentNoticeRow {
  id: number;
  slug: string;
  title: string;
  published: Date;
  slot: Date | null;
  content: string;
  images: number;
  boosts: number;
  favourites: number;
  delivered: boolean;
}

export interface StrikeAdminProps {
  csrf: string;
  /** The form's values: the stored settings, or what was sent when it comes back with errors. */
  input: StrikeFormInput;
  errors?: StrikeFormErrors;
  paused: boolean;
  /** The strike's days as words, in its zone ("July 4 and 5, 2027 (Europe/Berlin)"). */
  when: string;
  /** Where the strike stands, in a sentence. */
  status: string;
  /** The next notice's time in the strike's zone and in UTC, or null. */
  next: { local: string; utc: string | null; iso: string } | null;
  /** Stored chosen Declarations (for "post now"). */
  chosen: readonly string[];
  published: readonly Pick<DeclarationSummary, "slug" | "title">[];
  media: readonly (MediaChoice & { src: string })[];
  zones: readonly string[];
  notices: readonly SentNoticeRow[];
  notice?: Notice;
  /** A problem with "post now" (shown by its button). */
  postError?: string;
}

const LABELS: Record<string, string> = {
  name: "Name",
  hashtags: "Hashtags",
  days: "Strike days",
  timeZone: "Time zone",
  cadence: "Cadence",
  declarations: "Declarations that post notices",
  countdown: "The site account counts down",
};

function labelOf(key: string): string {
  const day = /^day-(\d+)$/.exec(key);
  if (day != null) return `Strike day ${day[1]}`;
  const template = /^template-(\d+)$/.exec(key);
  if (template != null) return `Notice template ${template[1]}`;
  return LABELS[key] ?? key;
}

/** `id` of the control an error points at. */
function fieldId(key: string): string {
  if (key === "days") return "strike-day-1";
  if (key === "declarations") return "strike-declarations";
  if (key === "countdown") return "strike-countdown";
  return `strike-${key}`;
}

function invalid(errors: StrikeFormErrors, key: string, hint?: string) {
  return fieldAria(`${fieldId(key)}-error`, errors[key], hint);
}

function SettingError(props: { errors: StrikeFormErrors; name: string }) {
  return <FieldError id={`${fieldId(props.name)}-error`} error={props.errors[props.name]} />;
}

const COUNTDOWN_CHOICES: readonly [string, string][] = [
  ["week", "A week before the strike"],
  ["day", "A day before the strike"],
  ["start", "When the strike starts"],
];

const CADENCE_PRESETS: readonly [number, string][] = [
  [15, "every 15 minutes"],
  [30, "every 30 minutes"],
  [60, "hourly"],
  [120, "every 2 hours"],
  [180, "every 3 hours"],
  [360, "every 6 hours"],
];

function ErrorSummary(props: { errors: StrikeFormErrors }) {
  const keys = Object.keys(props.errors);
  if (keys.length === 0) return null;
  return (
    <div class="form-errors" role="alert" tabindex={-1} id="strike-errors">
      <p>Nothing was saved. Please check {keys.length === 1 ? "this field" : "these fields"}:</p>
      <ul>
        {keys.map((k) => (
          <li>
            <a href={`#${fieldId(k)}`}>{labelOf(k)}</a>: {props.errors[k]}
          </li>
        ))}
      </ul>
    </div>
  );
}

function PostNow(props: StrikeAdminProps) {
  return (
    <form method="post" action="/admin/strike/post-now" class="account-form post-now" aria-labelledby="post-now-title">
      <h3 id="post-now-title">Post a notice now</h3>
      <p class="hint" id="post-now-hint">
        The next template of the rotation, during the strike or before it (to try the text, or to announce the strike).
        You see the exact post and who receives it first; nothing is posted until you confirm.
      </p>
      <input type="hidden" name={CSRF_FIELD} value={props.csrf} />
      <div class="field">
        <label for="post-now-declaration">From</label>
        <select
          id="post-now-declaration"
          name="declaration"
          aria-describedby={props.postError != null ? "post-now-hint post-now-error" : "post-now-hint"}
          {...(props.postError != null ? { "aria-invalid": "true" } : {})}
        >
          <option value="*">Every Declaration chosen below ({props.chosen.length})</option>
          {props.published.map((d) => (
            <option value={d.slug}>{d.title}</option>
          ))}
        </select>
        <FieldError id="post-now-error" error={props.postError} />
      </div>
      <p class="actions">
        <button type="submit">Preview the notice</button>
      </p>
    </form>
  );
}

function StatusSection(props: StrikeAdminProps) {
  return (
    <section aria-labelledby="strike-status-title" class="strike-status">
      <h2 id="strike-status-title">Notices</h2>
      <p>
        <strong>{props.when}</strong>. {props.status}
      </p>
      {props.paused ? (
        <p class="notice">Notices are paused: nothing is posted until you resume.</p>
      ) : props.next != null ? (
        <p>
          Next notice: <time datetime={props.next.iso}>{props.next.local}</time>
          {props.next.utc != null && <span class="muted"> ({props.next.utc})</span>}.
        </p>
      ) : null}
      <form method="post" action={props.paused ? "/admin/strike/resume" : "/admin/strike/pause"} class="inline-actions">
        <input type="hidden" name={CSRF_FIELD} value={props.csrf} />
        <button type="submit" class={props.paused ? "" : "secondary"}>
          {props.paused ? "Resume notices" : "Pause notices"}
        </button>
      </form>
      <PostNow {...props} />
    </section>
  );
}

function Templates(props: StrikeAdminProps) {
  const e = props.errors ?? {};
  return (
    <fieldset class="strike-group">
      <legend>Notice templates</legend>
      <p class="hint" id="templates-hint">
        Notices take turns through these texts, one per slot. At most {TEMPLATE_MAX} characters each. Placeholders:{" "}
        {PLACEHOLDERS.map((p, i) => (
          <>
            {i > 0 && ", "}
            <code>{`{${p}}`}</code>
          </>
        ))}
        . A notice always links its Declaration and carries the first hashtag: they are added at the end when the text
        leaves them out. Empty a text to remove it.
      </p>
      {props.input.templates.map((t, i) => {
        const key = `template-${i + 1}`;
        return (
          <div class="field strike-template">
            <label for={`strike-${key}`}>Template {i + 1}</label>
            <textarea
              id={`strike-${key}`}
              name={key}
              rows={4}
              maxlength={TEMPLATE_MAX * 2}
              {...invalid(e, key, "templates-hint")}
            >
              {t.text}
            </textarea>
            <SettingError errors={e} name={key} />
            {props.media.length > 0 && (
              <fieldset class="media-choices">
                <legend>Images for template {i + 1} (at most 4)</legend>
                <ul>
                  {props.media.map((m) => (
                    <li>
                      <label>
                        <input
                          type="checkbox"
                          name={`${key}-media-${m.id}`}
                          value="on"
                          checked={t.mediaIds.includes(String(m.id))}
                        />
                        <img src={m.src} alt="" width={m.width} height={m.height} loading="lazy" />
                        <span class="media-alt">{m.alt}</span>
                      </label>
                    </li>
                  ))}
                </ul>
              </fieldset>
            )}
          </div>
        );
      })}
      {props.media.length === 0 && (
        <p class="fine-print">
          No images yet. <a href="/admin/media">Upload images</a> (each with its description) to add them to notices.
        </p>
      )}
    </fieldset>
  );
}

function SettingsForm(props: StrikeAdminProps) {
  const v = props.input;
  const e = props.errors ?? {};
  const dayInputs = Math.min(DAYS_MAX, Math.max(v.days.length + (Object.keys(e).length > 0 ? 0 : 2), 3));
  const days = Array.from({ length: dayInputs }, (_, i) => v.days[i] ?? "");
  const chosen = new Set(v.declarations);
  return (
    <form
      method="post"
      action="/admin/strike"
      class="account-form strike-form"
      aria-labelledby="strike-settings-title"
      novalidate
    >
      <h2 id="strike-settings-title">Settings</h2>
      <ErrorSummary errors={e} />
      <input type="hidden" name={CSRF_FIELD} value={props.csrf} />
      <div class="field">
        <label for="strike-name">Name</label>
        <input
          id="strike-name"
          name="name"
          type="text"
          required
          maxlength={200}
          value={v.name}
          {...invalid(e, "name")}
        />
        <SettingError errors={e} name="name" />
      </div>
      <div class="field">
        <label for="strike-hashtags">Hashtags</label>
        <p class="hint" id="strike-hashtags-hint">
          Separated by spaces; the first is the strike’s own, for example #SocialMediaStrike.
        </p>
        <input
          id="strike-hashtags"
          name="hashtags"
          type="text"
          required
          autocapitalize="none"
          spellcheck={false}
          value={v.hashtags}
          {...invalid(e, "hashtags", "strike-hashtags-hint")}
        />
        <SettingError errors={e} name="hashtags" />
      </div>
      <fieldset class="strike-group">
        <legend>Strike days</legend>
        <p class="hint" id="strike-days-hint">
          Each day runs from midnight to midnight in the strike’s time zone. Leave a box empty to remove a day.
        </p>
        <ul class="day-list">
          {days.map((day, i) => (
            <li class="field">
              <label for={`strike-day-${i + 1}`}>Day {i + 1}</label>
              <input
                id={`strike-day-${i + 1}`}
                name={`day-${i + 1}`}
                type="date"
                value={day}
                placeholder="YYYY-MM-DD"
                {...invalid(e, i === 0 && e.days != null ? "days" : `day-${i + 1}`, "strike-days-hint")}
              />
              <SettingError errors={e} name={`day-${i + 1}`} />
            </li>
          ))}
        </ul>
        <FieldError id="strike-day-1-error" error={e.days} />
      </fieldset>
      <TimeZoneField
        id="strike-timeZone"
        label="Time zone"
        hint="A name from the time zone database, such as Europe/Berlin or America/New_York."
        value={v.timeZone}
        zones={props.zones}
        error={e.timeZone}
      />
      <div class="field">
        <label for="strike-cadence">Cadence (minutes between notices)</label>
        <p class="hint" id="strike-cadence-hint">
          From 15 to 1440. Slots start at local midnight: with 60, at 00:00, 01:00, 02:00 …
        </p>
        <input
          id="strike-cadence"
          name="cadence"
          type="number"
          inputmode="numeric"
          min={15}
          max={1440}
          step={1}
          required
          list="strike-cadence-presets"
          value={v.cadence}
          {...invalid(e, "cadence", "strike-cadence-hint")}
        />
        <datalist id="strike-cadence-presets">
          {CADENCE_PRESETS.map(([m, label]) => (
            <option value={String(m)} label={label} />
          ))}
        </datalist>
        <SettingError errors={e} name="cadence" />
      </div>
      <fieldset class="field choice" id="strike-declarations" {...invalid(e, "declarations")}>
        <legend>Declarations that post notices</legend>
        {props.published.length === 0 ? (
          <p class="empty">No Declaration is published yet.</p>
        ) : (
          props.published.map((d) => (
            <label>
              <input type="checkbox" name={`declaration-${d.slug}`} value="on" checked={chosen.has(d.slug)} /> {d.title}{" "}
              <span class="muted">@{d.slug}</span>
            </label>
          ))
        )}
        <SettingError errors={e} name="declarations" />
      </fieldset>
      <fieldset class="field choice" id="strike-countdown" {...invalid(e, "countdown")}>
        <legend>The site account counts down</legend>
        {COUNTDOWN_CHOICES.map(([moment, label]) => (
          <label>
            <input type="checkbox" name={`countdown-${moment}`} value="on" checked={v.countdown.includes(moment)} />{" "}
            {label}
          </label>
        ))}
        <SettingError errors={e} name="countdown" />
      </fieldset>
      <Templates {...props} />
      <p class="actions">
        <button type="submit">Save the strike settings</button>
      </p>
    </form>
  );
}

function NoticeList(props: { notices: readonly SentNoticeRow[] }) {
  return (
    <section aria-labelledby="sent-title">
      <h2 id="sent-title">Notices sent</h2>
      {props.notices.length === 0 ? (
        <p class="empty">No notice has been posted yet.</p>
      ) : (
        <ol class="sent-notices">
          {props.notices.map((n) => (
            <li id={`notice-${n.id}`}>
              <p class="sent-head">
                <a href={`/d/${n.slug}`}>{n.title}</a>
                <time datetime={n.published.toISOString()}>
                  {n.published.toISOString().slice(0, 16).replace("T", " ")} UTC
                </time>
                <span class="muted">{n.slot == null ? "posted by hand" : "strike slot"}</span>
                {!n.delivered && <span class="muted">waiting for delivery</span>}
              </p>
              <p class="sent-text">{n.content}</p>
              <p class="sent-counts">
                <span>{plural(n.boosts, "boost", "boosts")}</span>
                <span>{plural(n.favourites, "favourite", "favourites")}</span>
                {n.images > 0 && <span>{plural(n.images, "image", "images")}</span>}
              </p>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}

export function StrikeAdminView(props: StrikeAdminProps) {
  return (
    <section class="prose-page strike-admin" aria-labelledby="strike-admin-title">
      <p class="breadcrumb">
        <a href="/admin">Site administration</a>
      </p>
      <h1 id="strike-admin-title">The strike</h1>
      <StatusNotice notice={props.notice} />
      <p>
        During the strike every Declaration chosen below posts a notice to its followers at each slot. Everyone can read
        about the strike at <a href="/strike">/strike</a>.
      </p>
      <StatusSection {...props} />
      <SettingsForm {...props} />
      <NoticeList notices={props.notices} />
      <script src={assetUrl("strike-admin.js")} defer></script>
    </section>
  );
}
