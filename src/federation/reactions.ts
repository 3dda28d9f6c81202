/**
 * Which reactions mean "I sign".  A plain favourite (`Like` without content)
 * signs, and so do the emoji of a set the site owner can change on
 * /admin/federation; every other reaction (👎, 😡, a custom emoji not in
 * the set…) is kept as a reaction that does not sign.  The default set,
 * documented in FEDERATION.md, is `DEFAULT_SIGNING_EMOJI`.
 *
 * Emoji are compared without variation selectors and skin tones, so ❤ and
 * ❤️, 👍 and 👍🏽 are the same reaction.  Custom emoji are compared by their
 * `:shortcode:`.
 */
import type { DbLike } from "../db/client.ts";
import { readSigningReactionsValue } from "../db/reactions.ts";

export interface SigningReactions {
  /** Whether a plain favourite (a `Like` without content) signs. */
  readonly favourite: boolean;
  /** The emoji (and `:shortcodes:`) that sign, as the owner wrote them. */
  readonly emoji: readonly string[];
}

/** Hearts, stars, approval and writing: what people send to say "yes, I agree". */
export const DEFAULT_SIGNING_EMOJI: readonly string[] = [
  "❤️",
  "♥️",
  "💖",
  "💗",
  "💕",
  "💙",
  "💚",
  "💛",
  "💜",
  "🧡",
  "🤍",
  "🩷",
  "🩵",
  "⭐",
  "🌟",
  "👍",
  "👏",
  "🙌",
  "✊",
  "🤝",
  "💯",
  "👌",
  "✅",
  "✔️",
  "☑️",
  "✍️",
  "🖊️",
  "✒️",
  "🖋️",
  "📝",
];

export const DEFAULT_SIGNING_REACTIONS: SigningReactions = { favourite: true, emoji: DEFAULT_SIGNING_EMOJI };

/** At most this many emoji in the set. */
export const MAX_SIGNING_EMOJI = 100;

/** The form of a reaction used to compare it: no variation selectors or skin tones, NFC, trimmed. */
export function reactionKey(text: string): string {
  return text
    .replace(/[\uFE0E\uFE0F]|\u{1F3FB}|\u{1F3FC}|\u{1F3FD}|\u{1F3FE}|\u{1F3FF}/gu, "")
    .normalize("NFC")
    .trim();
}

const SHORTCODE = /^:[A-Za-z0-9_+-]{1,64}:$/;
const EMOJI = /^(?:\p{Extended_Pictographic}|\p{Regional_Indicator}|[#*0-9]\uFE0F?\u20E3)/u;
// biome-ignore lint/suspicious/noMisleadingCharacterClass: the joiner and selectors are listed on purpose, each a part of an emoji sequence
const ONLY_EMOJI_PARTS = /^[\p{Extended_Pictographic}\p{Emoji_Component}\p{Emoji_Modifier}\u200D\uFE0E\uFE0F\u20E3]+$/u;

/** Whether one grapheme is an emoji (a pictograph, a flag, a keycap). */
function isEmoji(grapheme: string): boolean {
  return EMOJI.test(grapheme) && ONLY_EMOJI_PARTS.test(grapheme);
}

export type SigningReactionsParse = { ok: true; value: SigningReactions } | { ok: false; message: string };

/**
 * The set as the owner typed it: emoji and `:shortcodes:` separated by
 * spaces or commas (emoji may also follow each other directly).
 */
export function parseSigningReactions(text: string, favourite: boolean): SigningReactionsParse {
  const emoji: string[] = [];
  const keys = new Set<string>();
  const segmenter = new Intl.Segmenter("en", { granularity: "grapheme" });
  for (const token of text.split(/[\s,]+/).filter((t) => t !== "")) {
    const parts = SHORTCODE.test(token) ? [token] : [...segmenter.segment(token)].map((s) => s.segment);
    for (const part of parts) {
      if (!SHORTCODE.test(part) && !isEmoji(part)) {
        return {
          ok: false,
          message: `“${token}” is not an emoji or a custom emoji’s :shortcode:. Separate them with spaces.`,
        };
      }
      const key = reactionKey(part);
      if (keys.has(key)) continue;
      keys.add(key);
      emoji.push(part);
    }
  }
  if (emoji.length > MAX_SIGNING_EMOJI)
    return { ok: false, message: `At most ${MAX_SIGNING_EMOJI} emoji can sign; this list has ${emoji.length}.` };
  return { ok: true, value: { favourite, emoji } };
}

/** The owner's choice, or the default when there is none (or what is stored is not a valid choice). */
export function readSigningReactions(db: DbLike): SigningReactions {
  const stored = readSigningReactionsValue(db);
  if (stored == null || typeof stored !== "object") return DEFAULT_SIGNING_REACTIONS;
  const { favourite, emoji } = stored as { favourite?: unknown; emoji?: unknown };
  if (typeof favourite !== "boolean" || !Array.isArray(emoji) || !emoji.every((e) => typeof e === "string"))
    return DEFAULT_SIGNING_REACTIONS;
  const parsed = parseSigningReactions(emoji.join(" "), favourite);
  return parsed.ok ? parsed.value : DEFAULT_SIGNING_REACTIONS;
}

/** Whether a reaction signs: a plain favourite (no content), or an emoji of the set. */
export function reactionSigns(rules: SigningReactions, content: string | null): boolean {
  if (content == null || content.trim() === "") return rules.favourite;
  const key = reactionKey(content);
  return rules.emoji.some((e) => reactionKey(e) === key);
}
