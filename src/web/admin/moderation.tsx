/**
 * `/admin/declarations` (admins only): the reports queue and every
 * Declaration and Copy; `/admin/declarations/{slug}`: one of them with the
 * site owner's actions.  Never cached (personal pages), every form CSRF-
 * checked; the work is src/services/moderation.ts, shared with
 * `npm run admin`.
 */
import { Hono, type Context } from "hono";
import { z } from "zod";
import { getDeclarationById, getDeclarationBySlug } from "../../db/declarations.ts";
import {
  listActionsOn,
  listAllDeclarations,
  listQueuedReports,
  usernamesOf,
  type ModeratedDeclaration,
} from "../../db/moderation.ts";
import { moderate, moderationForm, resolutionForm, resolveReport } from "../../services/moderation.ts";
import { readForm } from "../kit/body.ts";
import type { WebEnv } from "../kit/context.ts";
import { CSRF_FIELD, verifyCsrf } from "../kit/csrf.ts";
import { notFoundPage } from "../kit/errors.tsx";
import { requireAdmin, type Guarded } from "../kit/guards.ts";
import { type Notice, success, warning } from "../kit/notice.tsx";
import { parseRequest } from "../kit/params.ts";
import { csrfFor, forbiddenPage, notSavedPage, personalPage, type PersonalStatus } from "../layout/personal.tsx";
import {
  MODERATION_PATH,
  ModerationDetailView,
  type ModerationDetailProps,
  ModerationListView,
  type ModerationListProps,
} from "./ModerationViews.tsx";

export const moderationAdminRoutes = new Hono<WebEnv>();

const NOTICES: Record<string, Notice> = {
  unpublish: success("Unpublished. Its author sees your reason."),
  publish: success("Published again."),
  hide: success("Hidden from the list on /. Its page stays; its author sees your reason."),
  show: success("Shown on the list again."),
  delete: success("Deleted. Its author sees your reason on their account page."),
  dismiss: success("The report is dismissed."),
  resolved: success("The report is resolved."),
  unchanged: warning("Nothing changed: it was already so."),
};

function noticeOf(c: Context<WebEnv>): Notice | undefined {
  const done = c.req.query("done");
  return done != null && Object.hasOwn(NOTICES, done) ? NOTICES[done] : undefined;
}

function listPage(c: Context<WebEnv>, extra: Partial<ModerationListProps> = {}, status: PersonalStatus = 200) {
  const { db } = c.get("deps");
  return personalPage(
    c,
    "Declarations and reports",
    <ModerationListView
      csrf={csrfFor(c)}
      notice={noticeOf(c)}
      openReports={listQueuedReports(db, { resolved: false, limit: 500 })}
      resolvedReports={listQueuedReports(db, { resolved: true, limit: 100 })}
      declarations={listAllDeclarations(db)}
      {...extra}
    />,
    status,
  );
}

function moderated(c: Context<WebEnv>, slug: string): ModeratedDeclaration | undefined {
  const { db } = c.get("deps");
  const d = getDeclarationBySlug(db, slug);
  return d == null ? undefined : listAllDeclarations(db).find((m) => m.id === d.id);
}

function detailPage(
  c: Context<WebEnv>,
  d: ModeratedDeclaration,
  extra: Partial<ModerationDetailProps> = {},
  status: PersonalStatus = 200,
) {
  const { db } = c.get("deps");
  const actions = listActionsOn(db, d.id);
  const names = usernamesOf(
    db,
    actions.flatMap((a) => (a.byId == null ? [] : [a.byId])),
  );
  return personalPage(
    c,
    `Moderate ${d.title}`,
    <ModerationDetailView
      csrf={csrfFor(c)}
      notice={noticeOf(c)}
      declaration={d}
      reports={listQueuedReports(db, { resolved: false, limit: 100, declarationId: d.id })}
      actions={actions.map((a) => ({ ...a, by: a.byId == null ? null : (names.get(a.byId) ?? "a former admin") }))}
      {...extra}
    />,
    status,
  );
}

moderationAdminRoutes.get("/", (c) => {
  const guard = requireAdmin(c, MODERATION_PATH);
  if (!guard.ok) return guard.response;
  return listPage(c);
});

moderationAdminRoutes.get("/:slug", (c) => {
  const slug = c.req.param("slug");
  const guard = requireAdmin(c, `${MODERATION_PATH}/${slug}`);
  if (!guard.ok) return guard.response;
  const d = moderated(c, slug);
  if (d == null) return notFoundPage(c, `There is no Declaration “${slug}” here.`);
  return detailPage(c, d);
});

/** The admin's form fields, or the response to send instead (login, 403, bad body, expired form). */
async function adminForm(
  c: Context<WebEnv>,
  path: string,
): Promise<Guarded<{ admin: { id: number }; values: Record<string, string> }>> {
  const guard = requireAdmin(c, path);
  if (!guard.ok) return guard;
  const { secret, config } = c.get("deps");
  const body = await readForm(c);
  if (!body.ok) return { ok: false, response: notSavedPage(c, body, "Not changed") };
  if (!verifyCsrf(c, secret, config.origin, body.value[CSRF_FIELD])) {
    return {
      ok: false,
      response: forbiddenPage(
        c,
        "This form expired or was not sent from this site. Nothing was changed; please try again.",
      ),
    };
  }
  return { ok: true, admin: guard.admin, values: body.value };
}

moderationAdminRoutes.post("/:slug", async (c) => {
  const slug = c.req.param("slug");
  const form = await adminForm(c, `${MODERATION_PATH}/${slug}`);
  if (!form.ok) return form.response;
  const { db, batcher, publisher } = c.get("deps");
  const d = moderated(c, slug);
  if (d == null) return notFoundPage(c, `There is no Declaration “${slug}” here.`);
  const values = { action: form.values.action ?? "", reason: form.values.reason ?? "" };
  const parsed = parseRequest(moderationForm, values);
  if (!parsed.ok) return detailPage(c, d, { values, errors: { [parsed.field]: parsed.message } }, 400);
  const { action, reason } = parsed.value;
  const outcome = await batcher.run(() => {
    // Read again inside the write: another admin may have acted meanwhile.
    const current = getDeclarationById(db, d.id);
    return current == null ? null : moderate(db, current, action, reason, form.admin.id);
  });
  if (outcome == null) return notFoundPage(c, `There is no Declaration “${slug}” here.`);
  if (outcome.kind === "unchanged") return c.redirect(`${MODERATION_PATH}/${slug}?done=unchanged`, 303);
  if (action === "publish") publisher.notify();
  if (action === "delete") return c.redirect(`${MODERATION_PATH}?done=delete`, 303);
  return c.redirect(`${MODERATION_PATH}/${slug}?done=${action}`, 303);
});

const reportParams = z.object({
  kind: z.enum(["visitor", "flag"]),
  id: z
    .string()
    .regex(/^[1-9]\d{0,15}$/)
    .transform(Number),
});

moderationAdminRoutes.post("/reports/:kind/:id", async (c) => {
  const form = await adminForm(c, MODERATION_PATH);
  if (!form.ok) return form.response;
  const { db, batcher } = c.get("deps");
  const params = parseRequest(reportParams, { kind: c.req.param("kind"), id: c.req.param("id") });
  if (!params.ok) return listPage(c, { notice: warning("There is no such report.") }, 404);
  const { kind, id } = params.value;
  const values = { resolution: form.values.resolution ?? "", reason: form.values.reason ?? "" };
  const parsed = parseRequest(resolutionForm, values);
  if (!parsed.ok) return listPage(c, { failed: { kind, id, values, errors: { [parsed.field]: parsed.message } } }, 400);
  const { resolution, reason } = parsed.value;
  const outcome = await batcher.run(() =>
    resolveReport(db, { kind, id }, resolution, reason, form.admin.id, (declarationId) =>
      getDeclarationById(db, declarationId),
    ),
  );
  if (outcome.kind !== "resolved")
    return listPage(c, { notice: warning("That report does not exist or was resolved already.") }, 404);
  return c.redirect(`${MODERATION_PATH}?done=${resolution === "dismiss" ? "dismiss" : "resolved"}`, 303);
});
