/**
 * `/strike`: what the strike is and why, when (server-rendered dates and
 * countdown; static/countdown.js adds the visitor's own time and makes the
 * countdown tick), how to join, the pledge form with its counts, and the
 * running list of notices.
 */
import type { RecentNotice, PublicPledge } from "../../db/pledges.ts";
import { assetUrl } from "../kit/assets.ts";
import { CSRF_FIELD } from "../kit/csrf.ts";
import { formatNumber, plural } from "../kit/format.ts";
import { type Notice, StatusNotice } from "../kit/notice.tsx";
import { ErrorSummary, FieldError } from "../layout/FormErrors.tsx";
import { NoticeList } from "./NoticeList.tsx";
import { Honeypot } from "../signing/index.ts";

export type PledgeField = "days" | "name" | "visibility";
export type PledgeErrors = Partial<Record<PledgeField, string>>;

export interface StrikeDayView {
  /** ISO date. */
  readonly day: string;
  /** "Sunday, July 4" */
  readonly label: string;
  readonly start: string;
  readonly end: string;
  readonly pledges: number;
}

export interface StrikePageProps {
  readonly name: string;
  readonly hashtags: readonly string[];
  /** "July 4–5, 2027, 00:00–24:00 UTC" */
  readonly when: string;
  readonly phase: "before" | "during" | "between" | "after";
  /** The server-rendered countdown: "Starts in 220 days, 14 hours". */
  readonly countdown: string;
  readonly days: readonly StrikeDayView[];
  readonly declarations: readonly { slug: string; title: string; signatureCount: number }[];
  readonly noticeText: string;
  /** Whether this site runs the strike bot (BOT_TOKEN_KEY is set). */
  readonly botAvailable?: boolean;
  readonly pledgeTotal: number;
  readonly publicPledges: readonly PublicPledge[];
  readonly notices: readonly RecentNotice[];
  readonly csrf: string;
  readonly proofOfWork?: unknown;
  /** The share block (link, Mastodon, QR code), from src/web/sharing/share.tsx. */
  readonly share?: unknown;
  readonly values?: Readonly<Record<string, string>>;
  readonly errors?: PledgeErrors;
  readonly formError?: string;
  /** A thank-you or other message about the pledge just made. */
  readonly message?: Notice;
}

const LABELS: Record<PledgeField, string> = {
  days: "Strike days",
  name: "Your name",
  visibility: "Your name on the list",
};

function shortDays(days: readonly string[], all: readonly StrikeDayView[]): string {
  if (days.length === all.length && all.length > 1) return all.length === 2 ? "both days" : "every day";
  return days.map((d) => all.find((x) => x.day === d)?.label.replace(/^\w+, /, "") ?? d).join(", ");
}

function PledgeForm(props: StrikePageProps) {
  const v = props.values ?? {};
  const e = props.errors ?? {};
  const fields = (Object.keys(e) as PledgeField[]).filter((f) => e[f] != null);
  const visibility = v.visibility ?? "public";
  const several = props.days.length > 1;
  return (
    <form class="sign-form pledge-form" method="post" action="/strike/pledge#pledge" novalidate>
      <ErrorSummary
        formError={props.formError}
        fields={fields}
        errors={e}
        label={(f) => LABELS[f]}
        href={(f) =>
          f === "days"
            ? `#pledge-day-${props.days[0]?.day}`
            : f === "name"
              ? "#pledge-name"
              : "#pledge-visibility-public"
        }
      />
      <input type="hidden" name={CSRF_FIELD} value={props.csrf} />
      <fieldset class="field choice" {...(e.days != null ? { "aria-describedby": "days-error" } : {})}>
        <legend>
          I’m striking on <span class="required">(at least one day)</span>
        </legend>
        {props.days.map((d) => (
          <label>
            <input
              id={`pledge-day-${d.day}`}
              type="checkbox"
              name={`day-${d.day}`}
              value="on"
              checked={v[`day-${d.day}`] === "on"}
              {...(e.days != null ? { "aria-invalid": "true" } : {})}
            />{" "}
            {d.label}
          </label>
        ))}
        {several && (
          <label>
            <input id="pledge-all-days" type="checkbox" name="all-days" value="on" checked={v["all-days"] === "on"} />{" "}
            {props.days.length === 2 ? "Both days" : `All ${props.days.length} days`}
          </label>
        )}
        <FieldError id="days-error" error={e.days} />
      </fieldset>
      <div class="field">
        <label for="pledge-name">
          {LABELS.name} <span class="optional">(optional)</span>
        </label>
        <input
          id="pledge-name"
          name="name"
          type="text"
          maxlength={100}
          autocomplete="name"
          value={v.name ?? ""}
          {...(e.name != null ? { "aria-invalid": "true", "aria-describedby": "name-error" } : {})}
        />
        <FieldError id="name-error" error={e.name} />
      </div>
      <fieldset class="field choice" {...(e.visibility != null ? { "aria-describedby": "visibility-error" } : {})}>
        <legend>{LABELS.visibility}</legend>
        <label>
          <input
            id="pledge-visibility-public"
            type="radio"
            name="visibility"
            value="public"
            checked={visibility !== "count"}
          />{" "}
          Show my name with my pledge
        </label>
        <label>
          <input type="radio" name="visibility" value="count" checked={visibility === "count"} /> Count me only: do not
          keep my name
        </label>
        <FieldError id="visibility-error" error={e.visibility} />
      </fieldset>
      <Honeypot id="pledge-phone" />
      {props.proofOfWork}
      <p class="actions">
        <button type="submit">Pledge to strike</button>
      </p>
      <p class="fine-print">
        No email address needed. We keep the days you chose and, if you want it shown, your name. See{" "}
        <a href="/privacy">what we store</a>.
      </p>
    </form>
  );
}

export function StrikePage(props: StrikePageProps) {
  const tags = props.hashtags.map((t) => `#${t}`);
  const countdownData = props.days.map((d) => `${d.start}/${d.end}`).join(" ");
  return (
    <div class="strike-page">
      <header class="strike-hero">
        <p class="strike-tag">{tags[0]}</p>
        <h1 class="page-title">{props.name}</h1>
        <p class="strike-when">{props.when}</p>
        <p class="strike-local" data-local-window hidden></p>
        <p class="countdown" role="timer" aria-live="off" data-countdown={countdownData} data-phase={props.phase}>
          {props.countdown}
        </p>
        <p class="strike-lead">
          On the strike days we post nothing on big social media except strike notices: one hashtag, one link to a
          Declaration, one invitation to sign it and to join us.
        </p>
        <p class="strike-actions">
          <a class="button" href="#pledge">
            Pledge to strike
          </a>
          <a class="button secondary" href="#join">
            How to join
          </a>
        </p>
      </header>

      <section aria-labelledby="why-title">
        <h2 id="why-title">Why we strike</h2>
        <p>
          A few companies stand between most people and the people they talk to. They decide who sees what we write,
          keep what we share for as long as it earns them money, and make leaving cost us our friends. That only works
          while we keep feeding it.
        </p>
        <p>For the strike days we stop, all together, and we say what we want instead:</p>
        <ul class="demands">
          <li>
            each person owns and controls their data — kept private with end-to-end encryption, or made public, as they
            choose;
          </li>
          <li>services work together instead of walling us in: a post made on one can appear on another;</li>
          <li>services compete on how well they serve us, over a common pool of data;</li>
          <li>all of them use common, open standards and protocols, as the web, email and blogs do.</li>
        </ul>
        <p>
          Questions? Read the <a href="/faq">questions and answers</a>.
        </p>
      </section>

      <section id="join" aria-labelledby="join-title">
        <h2 id="join-title">How to join</h2>
        <ol class="join-steps">
          <li>
            <h3>Pledge</h3>
            <p>
              Say which days you strike, <a href="#pledge">below</a>. Every pledge is counted, so others can see they
              are not alone.
            </p>
          </li>
          <li>
            <h3>Sign a Declaration</h3>
            {props.declarations.length === 0 ? (
              <p>No Declaration is published on this site yet.</p>
            ) : (
              <ul class="strike-declarations">
                {props.declarations.map((d) => (
                  <li>
                    <a href={`/d/${d.slug}`}>{d.title}</a>{" "}
                    <span class="meta-inline">{plural(d.signatureCount, "signature", "signatures")}</span>
                  </li>
                ))}
              </ul>
            )}
          </li>
          <li>
            <h3>Post strike notices</h3>
            <p>
              On the strike days, post only notices like this one on your big social media accounts — in the morning,
              and again through the day so your followers see one whenever they look:
            </p>
            <label class="visually-hidden" for="notice-text">
              A strike notice to copy
            </label>
            <textarea id="notice-text" class="notice-text" readonly rows={4}>
              {props.noticeText}
            </textarea>
            <p class="hint">Change the words as you like; keep {tags.join(" ")} and the link.</p>
            {props.botAvailable === true && (
              <p>
                On Mastodon or a server like it, the <a href="/bot">strike bot</a> can post them for you from your own
                account, at the times you choose.
              </p>
            )}
          </li>
          <li>
            <h3>Ask others to join</h3>
            <p>Tell a friend, a colleague, your group chat. Share this page, and ask them to pledge and to sign.</p>
          </li>
          <li>
            <h3>Try an open network</h3>
            <p>
              Spend some of the strike on a service that belongs to no one company. The{" "}
              <a href="/resources">resources</a> page lists open networks and how to choose a server.
            </p>
          </li>
        </ol>
      </section>

      {props.share}

      <section id="pledge" class="sign-section pledge-section" aria-labelledby="pledge-title">
        <h2 id="pledge-title">Pledge to strike</h2>
        <p class="big-count">
          <strong>{formatNumber(props.pledgeTotal)}</strong> {props.pledgeTotal === 1 ? "person has" : "people have"}{" "}
          pledged
        </p>
        {props.days.length > 1 && (
          <ul class="pledge-days">
            {props.days.map((d) => (
              <li>
                {d.label}: <strong>{formatNumber(d.pledges)}</strong>
              </li>
            ))}
          </ul>
        )}
        <StatusNotice notice={props.message} />
        {props.phase === "after" ? (
          <p role={props.formError != null ? "alert" : undefined}>
            {props.formError ?? "The strike is over; thank you to everyone who took part."}
          </p>
        ) : (
          <PledgeForm {...props} />
        )}
        {props.publicPledges.length > 0 && (
          <>
            <h3>Recent pledges</h3>
            <ul class="signatures compact public-pledges">
              {props.publicPledges.map((p) => (
                <li>
                  <span class="who">
                    <span class="signer">{p.name}</span>
                  </span>
                  <span class="signed">{shortDays(p.days, props.days)}</span>
                </li>
              ))}
            </ul>
          </>
        )}
      </section>

      <section aria-labelledby="notices-title">
        <h2 id="notices-title">Notices posted</h2>
        {props.notices.length === 0 ? (
          <p class="empty">No notices yet. The Declarations on this site post them during the strike.</p>
        ) : (
          <NoticeList notices={props.notices} />
        )}
      </section>
      <script type="module" src={assetUrl("countdown.js")}></script>
    </div>
  );
}
