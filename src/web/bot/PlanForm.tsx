/**
 * The plan form on a connection's page (`/bot/{id}`): strike days, how
 * often, time zone, the notices' texts, who sees them, language, content
 * warning and image, with every problem named next to its field.
 */
import {
  EVERY_HOURS,
  PLAN_TEMPLATES_MAX,
  POST_MAX,
  SPOILER_MAX,
  type PlanFormErrors,
  type PlanFormInput,
} from "../../bot/plan.ts";
import { PLACEHOLDERS } from "../../strike/notices.ts";
import { assetUrl } from "../kit/assets.ts";
import { CSRF_FIELD } from "../kit/csrf.ts";
import { ErrorSummary, FieldError, fieldAria } from "../layout/FormErrors.tsx";
import { TimeZoneField } from "../layout/TimeZoneField.tsx";

export interface MediaOption {
  readonly id: number;
  readonly src: string;
  readonly alt: string;
  readonly title: string;
  readonly width: number;
  readonly height: number;
}

export interface PlanFormProps {
  readonly csrf: string;
  readonly connectionId: number;
  readonly strikeDays: readonly { readonly iso: string; readonly label: string }[];
  readonly declarations: readonly { readonly slug: string; readonly title: string }[];
  readonly media: readonly MediaOption[];
  readonly zones: readonly string[];
  readonly input: PlanFormInput;
  readonly errors?: PlanFormErrors | undefined;
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
  return fieldAria(`${fieldId(key)}-error`, errors[key], hint);
}

function Err(props: { errors: PlanFormErrors; name: string }) {
  return <FieldError id={`${fieldId(props.name)}-error`} error={props.errors[props.name]} />;
}

function PlanErrors(props: { errors: PlanFormErrors }) {
  // Only after a refused form: a fresh page announces no alert.
  if (Object.keys(props.errors).length === 0) return null;
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

export const VISIBILITY_LABELS: Record<string, string> = {
  public: "Public: everyone, in public timelines",
  unlisted: "Quiet public: everyone, but not in public timelines",
  private: "Followers only",
};

export function PlanForm(props: PlanFormProps) {
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
      action={`/bot/${props.connectionId}/plan`}
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
