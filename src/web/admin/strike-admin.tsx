/**
 * `/admin/strike` (admins only): the strike's settings, pausing and resuming
 * its notices, posting a notice now, and the notices sent.
 *
 * - `GET /admin/strike`
 * - `POST /admin/strike`: save the settings (400 with every problem named, the input kept, nothing saved)
 * - `POST /admin/strike/pause`, `POST /admin/strike/resume`
 * - `POST /admin/strike/post-now`: `declaration` = a published Declaration's slug, or `*` for every chosen one:
 *   shows the exact posts, who receives them and whether the strike is on; posts nothing
 * - `POST /admin/strike/post-now/confirm`: posts what was shown (its digest in `preview`) once (`nonce`);
 *   409 when it changed in between, 400 outside the strike's days without `outside=yes`
 */
import { randomBytes } from "node:crypto";
import { Hono, type Context } from "hono";
import { requestSyncAll } from "../../db/bot.ts";
import { listPublishedDeclarations } from "../../db/declarations.ts";
import { countFollowers } from "../../db/fediverse.ts";
import { countSiteFollowers } from "../../db/site-account.ts";
import { listMediaChoices, writeStrikeSettingsValue } from "../../db/strike.ts";
import {
  currentStrikeSettings,
  listSentNotices,
  mediaPath,
  nextNoticeAt,
  noticeKeyUsed,
  postNoticesNow,
  previewNoticesNow,
  siteHandleOf,
  type NoticePreview,
} from "../../federation/index.ts";
import { hoursLeft } from "../../strike/schedule.ts";
import {
  DAYS_MAX,
  formInputOf,
  TEMPLATES_MAX,
  validateStrikeForm,
  type StrikeFormErrors,
  type StrikeFormInput,
  type StrikeSettings,
} from "../../strike/settings.ts";
import { strikePhase, strikeWindow } from "../../strike/window.ts";
import { requireAdmin, type Guarded } from "../kit/guards.ts";
import { readForm } from "../kit/body.ts";
import type { WebEnv } from "../kit/context.ts";
import { CSRF_FIELD, verifyCsrf } from "../kit/csrf.ts";
import { plural } from "../kit/format.ts";
import { parseRequest } from "../kit/params.ts";
import { z } from "zod";
import { csrfFor, forbiddenPage, notSavedPage, personalPage, type PersonalStatus } from "../layout/personal.tsx";
import { confirmForm, digestOf, outsideWindow, postNowForm, slugsFor, timeIn } from "./notice-now.ts";
import { type Notice, success, warning } from "../kit/notice.tsx";
import { NoticeConfirmView, type NoticeConfirmProps } from "./NoticeConfirm.tsx";
import { StrikeAdminView, type StrikeAdminProps } from "./StrikeAdmin.tsx";

export const strikeAdminRoutes = new Hono<WebEnv>();

const PATH = "/admin/strike";
const TITLE = "The strike";
/** Fifty templates of 500 characters, percent-encoded, fit. */
const MAX_FORM_BYTES = 512 * 1024;

const NOTICES: Record<string, Notice> = {
  saved: success("The strike settings are saved."),
  "posted-again": warning("This notice was already posted; it was not posted again."),
  paused: success("Notices are paused."),
  resumed: success("Notices are on again."),
};

const ZONES: readonly string[] = (() => {
  const zones = Intl.supportedValuesOf("timeZone");
  return zones.includes("UTC") ? zones : ["UTC", ...zones];
})();

function dayWords(days: readonly string[]): string {
  const format = new Intl.DateTimeFormat("en", { dateStyle: "long", timeZone: "UTC" });
  return new Intl.ListFormat("en", { type: "conjunction" }).format(
    days.map((d) => format.format(new Date(`${d}T12:00:00Z`))),
  );
}

function statusOf(settings: StrikeSettings, now: Date): string {
  const window = strikeWindow(settings.days, settings.timeZone);
  switch (strikePhase(window, now)) {
    case "upcoming": {
      const hours = Math.ceil((window.start.getTime() - now.getTime()) / 3_600_000);
      return hours > 48
        ? `It starts in ${plural(Math.ceil(hours / 24), "day", "days")}.`
        : `It starts in ${plural(hours, "hour", "hours")}.`;
    }
    case "on":
      return `The strike is on: ${plural(hoursLeft(settings, now), "hour", "hours")} left.`;
    case "over":
      return "This strike is over. Set new days below for the next one.";
  }
}

function withBlankTemplate(input: StrikeFormInput): StrikeFormInput {
  return input.templates.length >= TEMPLATES_MAX
    ? input
    : { ...input, templates: [...input.templates, { text: "", mediaIds: [] }] };
}

function adminPage(
  c: Context<WebEnv>,
  extra: { input?: StrikeFormInput; errors?: StrikeFormErrors; notice?: Notice; postError?: string } = {},
  status: PersonalStatus = 200,
) {
  const { db, batcher, config, federation } = c.get("deps");
  const now = new Date();
  const settings = currentStrikeSettings(db, now);
  const next = nextNoticeAt(db, now);
  const published = listPublishedDeclarations(db);
  const props: StrikeAdminProps = {
    csrf: csrfFor(c),
    input: extra.input ?? withBlankTemplate(formInputOf(settings)),
    ...(extra.errors != null ? { errors: extra.errors } : {}),
    ...(extra.notice != null ? { notice: extra.notice } : {}),
    ...(extra.postError != null ? { postError: extra.postError } : {}),
    paused: settings.paused,
    when: `${dayWords(settings.days)} (${settings.timeZone})`,
    status: statusOf(settings, now),
    next:
      next == null
        ? null
        : {
            local: `${timeIn(next, settings.timeZone)} ${settings.timeZone}`,
            utc: settings.timeZone === "UTC" ? null : `${timeIn(next, "UTC")} UTC`,
            iso: next.toISOString(),
          },
    chosen: settings.declarations.filter((slug) => published.some((d) => d.slug === slug)),
    published,
    media: listMediaChoices(db).map((m) => ({ ...m, src: mediaPath(m) })),
    zones: ZONES,
    notices: listSentNotices(federation, { db, batcher, instanceName: config.instanceName }, config.origin).map(
      (n) => ({
        id: n.post.id,
        slug: n.declaration.slug,
        title: n.declaration.title,
        published: n.post.published,
        slot: n.post.slot,
        content: n.post.content ?? "",
        images: n.post.mediaIds.length,
        boosts: n.boosts,
        favourites: n.favourites,
        delivered: n.delivered != null,
      }),
    ),
  };
  return personalPage(c, TITLE, <StrikeAdminView {...props} />, status);
}

strikeAdminRoutes.get("/", (c) => {
  const guard = requireAdmin(c, PATH);
  if (!guard.ok) return guard.response;
  const done = c.req.query("done");
  const posted = /^posted-([1-9]\d{0,3})$/.exec(done ?? "");
  if (posted != null) {
    const n = Number(posted[1]);
    return adminPage(c, {
      notice: success(
        `${n === 1 ? "1 notice was" : `${n} notices were`} posted; followers receive ${n === 1 ? "it" : "them"} in a moment.`,
      ),
    });
  }
  return adminPage(c, done != null && Object.hasOwn(NOTICES, done) ? { notice: NOTICES[done]! } : {});
});

/** The admin's form fields, or the response to send instead (login, 403, bad body, expired form). */
async function adminForm(c: Context<WebEnv>): Promise<Guarded<{ values: Record<string, string> }>> {
  const guard = requireAdmin(c, PATH);
  if (!guard.ok) return guard;
  const { secret, config } = c.get("deps");
  const body = await readForm(c, MAX_FORM_BYTES);
  if (!body.ok) {
    return { ok: false, response: notSavedPage(c, body, TITLE) };
  }
  if (!verifyCsrf(c, secret, config.origin, body.value[CSRF_FIELD])) {
    return {
      ok: false,
      response: forbiddenPage(
        c,
        "This form expired or was not sent from this site. Nothing was changed; please try again.",
      ),
    };
  }
  return { ok: true, values: body.value };
}

/** A text field of the settings form: absent reads as empty. */
const settingText = z.string().default("");

/**
 * The settings form's shape: its text fields, and its numbered and named
 * boxes (`day-N`, `template-N`, `template-N-media-ID`, `declaration-SLUG`,
 * `countdown-MOMENT`), every value a string.  Numbered fields keep their
 * numbers so errors point at the right box; whether the values make
 * settings is `validateStrikeForm`'s to say.
 */
const strikeFields = z
  .object({ name: settingText, hashtags: settingText, timeZone: settingText, cadence: settingText })
  .catchall(z.string());
export const strikeForm = strikeFields.transform(numberedFields);

function numberedFields(values: z.output<typeof strikeFields>): StrikeFormInput {
  let lastDay = 0;
  for (let i = 1; i <= DAYS_MAX + 2; i++) if (values[`day-${i}`] != null) lastDay = i;
  const templates: { text: string; mediaIds: string[] }[] = [];
  const declarations: string[] = [];
  const countdown: string[] = [];
  for (const [name, value] of Object.entries(values)) {
    const declaration = /^declaration-(.+)$/.exec(name);
    if (declaration != null) declarations.push(declaration[1]!);
    const moment = /^countdown-(.{1,20})$/.exec(name);
    if (moment != null) countdown.push(moment[1]!);
    const media = /^template-(\d{1,2})-media-(.{1,20})$/.exec(name);
    const text = /^template-(\d{1,2})$/.exec(name);
    const index = Number((media ?? text)?.[1] ?? 0);
    if (index < 1 || index > TEMPLATES_MAX + 1) continue;
    while (templates.length < index) templates.push({ text: "", mediaIds: [] });
    if (text != null) templates[index - 1]!.text = value;
    else if (media != null) templates[index - 1]!.mediaIds.push(media[2]!);
  }
  return {
    name: values.name,
    hashtags: values.hashtags,
    days: Array.from({ length: lastDay }, (_, i) => values[`day-${i + 1}`] ?? ""),
    timeZone: values.timeZone,
    cadence: values.cadence,
    declarations,
    templates,
    countdown,
  };
}

strikeAdminRoutes.post("/", async (c) => {
  const form = await adminForm(c);
  if (!form.ok) return form.response;
  const { db, batcher, publisher } = c.get("deps");
  const parsed = parseRequest(strikeForm, form.values);
  if (!parsed.ok) return adminPage(c, { errors: { [parsed.field]: parsed.message } }, 400);
  const input = parsed.value;
  const current = currentStrikeSettings(db, new Date());
  const result = validateStrikeForm(input, {
    publishedSlugs: new Set(listPublishedDeclarations(db).map((d) => d.slug)),
    mediaIds: new Set(listMediaChoices(db).map((m) => m.id)),
    paused: current.paused,
  });
  if (!result.ok) return adminPage(c, { input, errors: result.errors }, 400);
  // Pausing is its own button: keep what it is at the moment of the write.
  await batcher.run(() => {
    writeStrikeSettingsValue(db, { ...result.settings, paused: currentStrikeSettings(db, new Date()).paused });
    // Strikers' bots post on the strike's days with its name and hashtags: they follow the change.
    requestSyncAll(db);
  });
  c.get("deps").bot?.poke();
  publisher.notify();
  return c.redirect(`${PATH}?done=saved`, 303);
});

for (const [action, paused] of [
  ["pause", true],
  ["resume", false],
] as const) {
  strikeAdminRoutes.post(`/${action}`, async (c) => {
    const form = await adminForm(c);
    if (!form.ok) return form.response;
    const { db, batcher, publisher } = c.get("deps");
    await batcher.run(() => writeStrikeSettingsValue(db, { ...currentStrikeSettings(db, new Date()), paused }));
    publisher.notify();
    return c.redirect(`${PATH}?done=${paused ? "paused" : "resumed"}`, 303);
  });
}

function confirmPage(
  c: Context<WebEnv>,
  input: { choice: string; nonce: string; previews: readonly NoticePreview[]; now: Date },
  extra: { formError?: string; outsideError?: string } = {},
  status: PersonalStatus = 200,
) {
  const { db, config } = c.get("deps");
  const settings = currentStrikeSettings(db, input.now);
  const host = config.origin.host;
  const order = new Map(settings.declarations.map((slug, i) => [slug, i]));
  const rank = (slug: string) => order.get(slug) ?? Number.MAX_SAFE_INTEGER;
  const boosted = [...input.previews].sort((a, b) => rank(a.slug) - rank(b.slug))[0];
  const props: NoticeConfirmProps = {
    csrf: csrfFor(c),
    declaration: input.choice,
    digest: digestOf(input.choice, input.previews, settings),
    nonce: input.nonce,
    items: input.previews.map((p) => ({
      slug: p.slug,
      title: p.title,
      handle: `@${p.slug}@${host}`,
      text: p.text,
      media: p.media.map((m) => ({ ...m, src: mediaPath(m) })),
      followers: countFollowers(db, p.declarationId),
      template: p.templateIndex + 1,
    })),
    booster:
      boosted == null
        ? null
        : {
            handle: `@${siteHandleOf(config)}@${host}`,
            followers: countSiteFollowers(db),
            boosts: `@${boosted.slug}@${host}`,
          },
    hashtags: settings.hashtags,
    outside: outsideWindow(settings, input.now),
    ...extra,
  };
  return personalPage(c, "Check the notice", <NoticeConfirmView {...props} />, status);
}

/** The first step: shows what would be posted; posts nothing. */
strikeAdminRoutes.post("/post-now", async (c) => {
  const form = await adminForm(c);
  if (!form.ok) return form.response;
  const { db, config } = c.get("deps");
  const now = new Date();
  const parsed = parseRequest(postNowForm, form.values);
  if (!parsed.ok) return adminPage(c, { postError: parsed.message }, 400);
  const choice = parsed.value.declaration;
  const chosen = slugsFor(db, choice, now);
  if (!chosen.ok) return adminPage(c, { postError: chosen.message }, 400);
  const previews = previewNoticesNow(db, config.origin, chosen.slugs, now);
  return confirmPage(c, { choice, nonce: randomBytes(16).toString("base64url"), previews, now });
});

/**
 * The second step: posts what was shown, once.  Refused when what would be
 * posted is no longer what the digest says was shown; a second post of the
 * same form (a double click, a reload) posts nothing more.
 */
strikeAdminRoutes.post("/post-now/confirm", async (c) => {
  const form = await adminForm(c);
  if (!form.ok) return form.response;
  const { db, batcher, config, publisher } = c.get("deps");
  const now = new Date();
  const parsed = parseRequest(confirmForm, form.values);
  if (!parsed.ok && parsed.field !== "outside") return adminPage(c, { postError: parsed.message }, 400);
  const values = confirmForm.shape;
  const choice = values.declaration.safeParse(form.values.declaration).data ?? "";
  const nonce = values.nonce.safeParse(form.values.nonce).data ?? "";
  const key = `notice:now:${nonce}`;
  if (noticeKeyUsed(db, key)) return c.redirect(`${PATH}?done=posted-again`, 303);
  const chosen = slugsFor(db, choice, now);
  if (!chosen.ok) return adminPage(c, { postError: chosen.message }, 400);
  const previews = previewNoticesNow(db, config.origin, chosen.slugs, now);
  const settings = currentStrikeSettings(db, now);
  const page = { choice, nonce, previews, now };
  if (digestOf(choice, previews, settings) !== form.values.preview) {
    return confirmPage(
      c,
      page,
      {
        formError:
          "The notice changed since it was shown to you (a template, an image, a Declaration or the strike's settings were edited, or another notice took this turn of the rotation). Nothing was posted: check it again below.",
      },
      409,
    );
  }
  if (outsideWindow(settings, now) != null && (!parsed.ok || parsed.value.outside !== "yes")) {
    return confirmPage(
      c,
      page,
      {
        outsideError: parsed.ok
          ? "The strike is not on: tick this box to post the notice all the same."
          : parsed.message,
      },
      400,
    );
  }
  const posts = await postNoticesNow(
    { db, batcher, instanceName: config.instanceName },
    config.origin,
    chosen.slugs,
    now,
    {
      key,
      templateIndex: new Map(previews.map((p) => [p.slug, p.templateIndex])),
    },
  );
  publisher.notify();
  return c.redirect(`${PATH}?done=${posts.length === 0 ? "posted-again" : `posted-${posts.length}`}`, 303);
});
