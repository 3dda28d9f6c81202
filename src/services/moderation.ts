/**
 * Moderation, apart from HTTP, for the web and the command line alike
 * (docs/decisions/0029):
 *
 * - the site owner (an admin account, or whoever runs `npm run admin`) may
 *   unpublish, hide from `/`, show again, publish again and delete any
 *   Declaration or Copy, each with a reason the author is shown; a
 *   Declaration the owner unpublished stays unpublished until the owner
 *   publishes it again (its author cannot);
 * - visitors' reports and `Flag`s from other servers are one queue, resolved
 *   by acting on the Declaration or dismissed;
 * - a Declaration's owner and the admins hide or show fediverse responses.
 *
 * Every write here runs inside the caller's transaction (`batcher.run`), so a
 * delete takes the Declaration, its revisions, signatures, posts, followers
 * and reactions (ON DELETE CASCADE), records why and resolves its reports in
 * one commit: nothing is left half-written.
 */
import { z } from "zod";
import type { DbLike } from "../db/client.ts";
import { setDeclarationStatus } from "../db/declarations.ts";
import { setResponseHidden } from "../db/fediverse.ts";
import {
  addVisitorReport,
  deleteDeclarationRow,
  getQueuedReport,
  recordModeration,
  resolveQueuedReport,
  resolveReportsAbout,
  lastActionOn,
  listDeletedFor,
  setHidden,
  type ReportKind,
} from "../db/moderation.ts";
import type { Declaration } from "../db/schema.ts";

/** What the site owner can do to a Declaration. */
export const MODERATION_ACTIONS = ["unpublish", "hide", "show", "publish", "delete"] as const;
export type ModerationActionName = (typeof MODERATION_ACTIONS)[number];

/** How a report is resolved: one of the actions on its Declaration, or dismissed. */
export const REPORT_RESOLUTIONS = ["unpublish", "hide", "delete", "dismiss"] as const;
export type ReportResolution = (typeof REPORT_RESOLUTIONS)[number];

export const REASON_MAX = 1000;
export const REPORT_REASON_MIN = 10;
export const REPORT_REASON_MAX = 2000;

/** Actions the author must be told the reason for. */
const NEEDS_REASON: ReadonlySet<string> = new Set(["unpublish", "hide", "delete"]);

/** Invisible control characters are dropped; line ends kept; surrounding spaces trimmed. */
function cleanReason(text: string): string {
  return text
    .replace(/\r\n?/g, "\n")
    .replace(/[\u0000-\u0009\u000b-\u001f\u007f\u200b-\u200f\u202a-\u202e\u2066-\u2069]/g, "")
    .trim();
}

/** A reason as typed: cleaned, at most `REASON_MAX` characters. */
const reasonField = z
  .string()
  .default("")
  .transform(cleanReason)
  .refine((r) => [...r].length <= REASON_MAX, `The reason is longer than ${REASON_MAX} characters.`);

/** The reason is required when the chosen `key` is an action the author is told the reason for. */
function reasonRequired<K extends string>(key: K) {
  return (v: Record<K, string> & { reason: string }, ctx: z.RefinementCtx) => {
    if (NEEDS_REASON.has(v[key]) && v.reason === "")
      ctx.addIssue({ code: "custom", path: ["reason"], message: "Please give a reason: the author is shown it." });
  };
}

/** The site owner's form: an action and its reason (required where the author is told why). */
export const moderationForm = z
  .object({ action: z.enum(MODERATION_ACTIONS, { message: "Please choose what to do." }), reason: reasonField })
  .superRefine(reasonRequired("action"));

/** Resolving a report: the resolution and, for an action, its reason. */
export const resolutionForm = z
  .object({
    resolution: z.enum(REPORT_RESOLUTIONS, { message: "Please choose how to resolve the report." }),
    reason: reasonField,
  })
  .superRefine(reasonRequired("resolution"));

/** A visitor's report: the reason, 10 to 2,000 characters. */
export const visitorReportForm = z.object({
  reason: z
    .string({ message: "Please say what is wrong with this Declaration." })
    .transform(cleanReason)
    .refine((r) => r !== "", "Please say what is wrong with this Declaration.")
    .refine(
      (r) => r === "" || [...r].length >= REPORT_REASON_MIN,
      `Please say a little more (at least ${REPORT_REASON_MIN} characters).`,
    )
    .refine((r) => [...r].length <= REPORT_REASON_MAX, `The reason is longer than ${REPORT_REASON_MAX} characters.`),
});

export type ModerationOutcome =
  | { kind: "done"; action: ModerationActionName; declaration: Pick<Declaration, "id" | "slug" | "title"> }
  /** Nothing to do (already in that state). */
  | { kind: "unchanged" };

/** The past tense of an action, as reports record their resolution. */
const RESOLUTION_OF: Record<ModerationActionName, string> = {
  unpublish: "unpublished",
  hide: "hidden",
  show: "shown",
  publish: "published",
  delete: "deleted",
};

/**
 * Does `action` to `declaration` with `reason` (inside the caller's
 * transaction).  `byId` is the admin who acts, null from the command line.
 * Unpublish, hide and delete resolve the Declaration's open reports.
 */
export function moderate(
  tx: DbLike,
  declaration: Declaration,
  action: ModerationActionName,
  reason: string,
  byId: number | null,
  now: Date = new Date(),
): ModerationOutcome {
  const d = declaration;
  switch (action) {
    case "unpublish":
      if (d.status !== "published") return { kind: "unchanged" };
      setDeclarationStatus(tx, d.id, "withdrawn", byId, now);
      break;
    case "publish":
      // A draft is its author's to publish; the owner only undoes an unpublish.
      if (d.status !== "withdrawn") return { kind: "unchanged" };
      setDeclarationStatus(tx, d.id, "published", byId, now);
      break;
    case "hide":
      if (d.hidden) return { kind: "unchanged" };
      setHidden(tx, d.id, true);
      break;
    case "show":
      if (!d.hidden) return { kind: "unchanged" };
      setHidden(tx, d.id, false);
      break;
    case "delete":
      break;
  }
  recordModeration(tx, { declaration: d, action, reason, byId }, now);
  if (NEEDS_REASON.has(action)) resolveReportsAbout(tx, d.id, RESOLUTION_OF[action], now);
  if (action === "delete") deleteDeclarationRow(tx, d.id);
  return { kind: "done", action, declaration: d };
}

/**
 * The site owner's unpublishing of `d` that is in effect (its author may not
 * publish it again; the reason is shown to them), or undefined.
 */
export function ownerUnpublishing(db: DbLike, d: Pick<Declaration, "id" | "status">) {
  if (d.status !== "withdrawn") return undefined;
  const last = lastActionOn(db, d.id, ["unpublish", "publish"]);
  return last?.action === "unpublish" ? last : undefined;
}

/** The site owner's hiding of `d` from `/` that is in effect (with its reason), or undefined. */
export function ownerHiding(db: DbLike, d: Pick<Declaration, "id" | "hidden">) {
  if (!d.hidden) return undefined;
  const last = lastActionOn(db, d.id, ["hide", "show"]);
  return last?.action === "hide" ? last : undefined;
}

/** What the site owner did to `d` that is in effect, in a sentence for its author (null: nothing). */
export function moderationSentence(db: DbLike, d: Pick<Declaration, "id" | "status" | "hidden">): string | null {
  const parts: string[] = [];
  const unpublished = ownerUnpublishing(db, d);
  if (unpublished != null) parts.push(withReason("Unpublished by the site’s owner", unpublished.reason));
  const hidden = ownerHiding(db, d);
  if (hidden != null) parts.push(withReason("Left off the list on the home page by the site’s owner", hidden.reason));
  return parts.length === 0 ? null : parts.join(" ");
}

function withReason(what: string, reason: string): string {
  return reason === "" ? `${what}.` : `${what}: “${reason}”.`;
}

/** The author's Declarations the site owner deleted, each with its sentence. */
export function deletedFor(
  db: DbLike,
  ownerId: number,
): { title: string; slug: string; created: Date; sentence: string }[] {
  return listDeletedFor(db, ownerId).map((a) => ({
    title: a.title,
    slug: a.slug,
    created: a.created,
    sentence: withReason("Deleted by the site’s owner", a.reason),
  }));
}

export type ResolveOutcome = { kind: "resolved" } | { kind: "missing" } | { kind: "already-resolved" };

/**
 * Resolves one report of the queue: dismissed, or by doing `resolution` to
 * the Declaration it names (which resolves that Declaration's other open
 * reports too).  `load` reads the Declaration by id within the transaction.
 */
export function resolveReport(
  tx: DbLike,
  report: { kind: ReportKind; id: number },
  resolution: ReportResolution,
  reason: string,
  byId: number | null,
  load: (id: number) => Declaration | undefined,
  now: Date = new Date(),
): ResolveOutcome {
  const found = getQueuedReport(tx, report.kind, report.id);
  if (found == null) return { kind: "missing" };
  if (found.resolved != null) return { kind: "already-resolved" };
  if (resolution !== "dismiss") {
    const declaration = found.declarationId == null ? undefined : load(found.declarationId);
    if (declaration != null) moderate(tx, declaration, resolution, reason, byId, now);
  }
  // Still open when the action changed nothing (already unpublished, say) or named no Declaration of ours.
  resolveQueuedReport(
    tx,
    report.kind,
    report.id,
    resolution === "dismiss" ? "dismissed" : RESOLUTION_OF[resolution],
    now,
  );
  return { kind: "resolved" };
}

/** Stores a visitor's report (the reason only: nothing about the visitor). */
export function reportDeclaration(tx: DbLike, declarationId: number, reason: string, now: Date = new Date()): number {
  return addVisitorReport(tx, declarationId, reason, now);
}

/** Hides or shows a fediverse response under a Declaration; false when the Declaration has no such response. */
export function setResponseVisibility(tx: DbLike, declarationId: number, responseId: number, hidden: boolean): boolean {
  return setResponseHidden(tx, declarationId, responseId, hidden);
}

/** Who may hide or show responses under a Declaration: its owner and the site's admins. */
export function mayModerateResponses(
  account: { id: number; role: string } | null,
  declaration: Pick<Declaration, "ownerId">,
): boolean {
  if (account == null) return false;
  return account.role === "admin" || (declaration.ownerId != null && declaration.ownerId === account.id);
}
