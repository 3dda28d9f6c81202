/**
 * Strike notices: during the strike, each chosen Declaration's actor posts one
 * public Note per slot (src/strike/schedule.ts), its text from the rotation of
 * templates.  The post's key is `notice:<slot start, ISO UTC>`, unique per
 * Declaration, so two processes or a restart never post a slot twice; a slot
 * found more than its grace time after its start is skipped.  The site owner
 * can also post a notice at any time (`notice:now:<uuid>`).
 *
 * Notices are written here; the publisher (publish.ts) delivers them like
 * every other post.
 */
import { randomUUID } from "node:crypto";
import type { Federation } from "@fedify/fedify";
import { Note } from "@fedify/vocab";
import { getLogger } from "@logtape/logtape";
import { getDeclarationBySlug } from "../db/declarations.ts";
import type { Declaration, FedPost } from "../db/schema.ts";
import {
  countNotices,
  countNoticesWithKey,
  createNotice,
  getMediaByIds,
  interactionCounts,
  listNotices,
  readStrikeSettingsValue,
  type MediaChoice,
  type NoticeRow,
} from "../db/strike.ts";
import type { DbLike } from "../db/client.ts";
import { fillTemplate, hashtagText, templateIndexForSlot, type NoticeValues } from "../strike/notices.ts";
import { dueSlot, hoursLeft, nextSlotStart, type Slot } from "../strike/schedule.ts";
import { parseStoredSettings, type NoticeTemplate, type StrikeSettings } from "../strike/settings.ts";
import type { FedData } from "./builder.ts";

const logger = getLogger(["undersign", "federation", "notices"]);

const EXTENSIONS: Record<MediaChoice["mime"], string> = {
  "image/png": "png",
  "image/jpeg": "jpg",
  "image/webp": "webp",
  "image/gif": "gif",
};

/** Where an image is served: `/media/{uuid}.{ext}`. */
export function mediaPath(m: Pick<MediaChoice, "uuid" | "mime">): string {
  return `/media/${m.uuid}.${EXTENSIONS[m.mime]}`;
}

/** The strike's settings as stored now (defaults for what is missing or invalid). */
export function currentStrikeSettings(db: DbLike, now: Date): StrikeSettings {
  return parseStoredSettings(readStrikeSettingsValue(db), now);
}

/** What the placeholders of a notice stand for. */
export function noticeValues(
  settings: StrikeSettings,
  declaration: Pick<Declaration, "slug" | "title" | "signatureCount">,
  origin: URL,
  now: Date,
): NoticeValues {
  return {
    declaration_url: new URL(`/d/${declaration.slug}`, origin).href,
    declaration_title: declaration.title,
    signature_count: declaration.signatureCount.toLocaleString("en"),
    hashtags: hashtagText(settings.hashtags),
    hours_left: String(hoursLeft(settings, now)),
    strike_name: settings.name,
    strike_url: new URL("/strike", origin).href,
  };
}

function writeNotice(
  data: FedData,
  input: {
    slug: string;
    key: string;
    slot: Slot | null;
    template: (declarationId: number) => NoticeTemplate;
    settings: StrikeSettings;
    origin: URL;
    now: Date;
  },
) {
  const { db } = data;
  return data.batcher.run(() => {
    // Read inside the transaction: the count and status are those of this commit.
    const declaration = getDeclarationBySlug(db, input.slug);
    if (declaration == null || declaration.status !== "published") return undefined;
    const template = input.template(declaration.id);
    const media = getMediaByIds(db, template.mediaIds);
    return createNotice(db, {
      declarationId: declaration.id,
      key: input.key,
      revision: declaration.revision,
      signatureCount: declaration.signatureCount,
      content: fillTemplate(template.text, noticeValues(input.settings, declaration, input.origin, input.now)),
      mediaIds: media.map((m) => m.id),
      slot: input.slot?.start ?? null,
      now: input.now,
    });
  });
}

/**
 * Creates the notices due at `now`: one per chosen published Declaration for
 * the slot that started less than its grace time ago.  Nothing while paused,
 * outside the strike's days, or when the slot was missed.  Returns how many
 * were created (0 when another process got there first).
 */
export async function createDueNotices(data: FedData, now: Date, origin: URL): Promise<number> {
  const settings = currentStrikeSettings(data.db, now);
  if (settings.paused || settings.declarations.length === 0) return 0;
  const slot = dueSlot(settings, now);
  if (slot == null) return 0;
  const template = settings.templates[templateIndexForSlot(slot.index, settings.templates.length)]!;
  let created = 0;
  for (const slug of settings.declarations) {
    const notice = await writeNotice(data, {
      slug,
      key: `notice:${slot.start.toISOString()}`,
      slot,
      template: () => template,
      settings,
      origin,
      now,
    });
    if (notice != null) {
      created++;
      logger.info("Notice for {slot} of {slug}", { slot: slot.start.toISOString(), slug });
    }
  }
  return created;
}

/** A notice "post now" would write for one Declaration, as it stands at `now`. */
export interface NoticePreview {
  slug: string;
  declarationId: number;
  title: string;
  /** The template of the rotation it takes (0-based) and its text before filling in. */
  templateIndex: number;
  template: string;
  /** The posted text, with the count and hours left of `now`. */
  text: string;
  /** Its images, each with its description. */
  media: MediaChoice[];
}

/** The template "post now" takes for a Declaration: the next of the rotation. */
function rotationIndex(db: DbLike, declarationId: number, settings: StrikeSettings): number {
  return templateIndexForSlot(countNotices(db, declarationId), settings.templates.length);
}

/**
 * What `postNoticesNow` would post for each of `slugs` (published ones only,
 * each once), without writing anything: the owner sees it before confirming.
 */
export function previewNoticesNow(db: DbLike, origin: URL, slugs: readonly string[], now: Date): NoticePreview[] {
  const settings = currentStrikeSettings(db, now);
  const previews: NoticePreview[] = [];
  for (const slug of new Set(slugs)) {
    const declaration = getDeclarationBySlug(db, slug);
    if (declaration == null || declaration.status !== "published") continue;
    const templateIndex = rotationIndex(db, declaration.id, settings);
    const template = settings.templates[templateIndex]!;
    previews.push({
      slug,
      declarationId: declaration.id,
      title: declaration.title,
      templateIndex,
      template: template.text,
      text: fillTemplate(template.text, noticeValues(settings, declaration, origin, now)),
      media: getMediaByIds(db, template.mediaIds),
    });
  }
  return previews;
}

/**
 * Posts a notice now for each of `slugs` (published Declarations; others are
 * skipped), whether or not the strike is on.  The template rotates with the
 * number of notices the Declaration has posted, unless `templateIndex` names
 * the one the owner was shown.  With `key`, a second call with the same key
 * posts nothing (one confirmation, one notice).  Returns the posts created.
 */
export async function postNoticesNow(
  data: FedData,
  origin: URL,
  slugs: readonly string[],
  now: Date,
  options: { key?: string; templateIndex?: ReadonlyMap<string, number> } = {},
): Promise<FedPost[]> {
  const settings = currentStrikeSettings(data.db, now);
  const key = options.key ?? `notice:now:${randomUUID()}`;
  const posts: FedPost[] = [];
  for (const slug of new Set(slugs)) {
    const notice = await writeNotice(data, {
      slug,
      key,
      slot: null,
      template: (id) =>
        settings.templates[options.templateIndex?.get(slug) ?? -1] ??
        settings.templates[rotationIndex(data.db, id, settings)]!,
      settings,
      origin,
      now,
    });
    if (notice != null) posts.push(notice.post);
  }
  return posts;
}

/** Whether a notice was already posted under `key` (a confirmed "post now"). */
export function noticeKeyUsed(db: DbLike, key: string): boolean {
  return countNoticesWithKey(db, key) > 0;
}

/** When the next notice falls due (the next slot's start), or null: paused, nobody posts, or the strike is over. */
export function nextNoticeAt(db: DbLike, now: Date): Date | null {
  const settings = currentStrikeSettings(db, now);
  if (settings.paused || settings.declarations.length === 0) return null;
  return nextSlotStart(settings, now);
}

export interface SentNotice extends NoticeRow {
  /** The Note's id (what boosts and favourites point at). */
  uri: string;
  boosts: number;
  favourites: number;
}

/** Notices sent by every Declaration, newest first, with their boosts and favourites. */
export function listSentNotices(
  federation: Federation<FedData>,
  data: FedData,
  origin: URL,
  limit = 100,
): SentNotice[] {
  const ctx = federation.createContext(origin, data);
  const rows = listNotices(data.db, limit).map((row) => ({
    ...row,
    uri: ctx.getObjectUri(Note, { uuid: row.post.uuid }).href,
  }));
  const counts = interactionCounts(
    data.db,
    rows.map((r) => r.uri),
  );
  return rows.map((r) => ({ ...r, ...counts.get(r.uri)! }));
}
