/**
 * The fediverse parts of a Declaration's page (following and signing from
 * another server, the counts, the responses) and the moderation of
 * responses: the Declaration's owner and the site's admins see hidden
 * responses too and can hide or show each one (the rule and the write are
 * src/services/moderation.ts).
 */
import { Hono, type Context } from "hono";
import { getDeclarationBySlug } from "../../db/declarations.ts";
import { z } from "zod";
import { countBoosts, countFollowers, listResponses } from "../../db/fediverse.ts";
import { mayModerateResponses, setResponseVisibility } from "../../services/moderation.ts";
import type { Declaration } from "../../db/schema.ts";
import { readForm } from "../kit/body.ts";
import type { WebEnv } from "../kit/context.ts";
import { CSRF_FIELD, verifyCsrf } from "../kit/csrf.ts";
import { notFoundPage } from "../kit/errors.tsx";
import { parseRequest } from "../kit/params.ts";
import { declarationHandle } from "./interact.tsx";
import { forbiddenPage, personalPage } from "../layout/personal.tsx";
import { currentAccount } from "../kit/session.ts";
import { InteractSection, ResponsesSection } from "./Fediverse.tsx";

/** Responses shown under a Declaration (oldest first). */
export const RESPONSES_SHOWN = 200;

/** Whether the visitor may see hidden responses and hide or show them: the Declaration's owner or an admin. */
export function canModerate(c: Context<WebEnv>, declaration: Pick<Declaration, "ownerId">): boolean {
  return mayModerateResponses(currentAccount(c), declaration);
}

/** Whether the Declaration has any response, hidden ones included. */
export function hasResponses(c: Context<WebEnv>, declarationId: number): boolean {
  return listResponses(c.get("deps").db, declarationId, { includeHidden: true, limit: 1 }).length > 0;
}

/**
 * The sections under the sign form: follow or sign from another server
 * (published Declarations only), then the responses.  Counts and responses
 * are read here, so the page cache (dropped at every committed write, inbox
 * writes included) always shows fresh ones.
 */
export function FediverseSections(props: {
  c: Context<WebEnv>;
  declaration: Declaration;
  csrf: string;
  moderator: boolean;
}) {
  const { c, declaration: d } = props;
  const { db, config } = c.get("deps");
  const responses = listResponses(db, d.id, { includeHidden: props.moderator, limit: RESPONSES_SHOWN });
  return (
    <>
      {d.status === "published" && (
        <InteractSection
          slug={d.slug}
          handle={declarationHandle(d.slug, config.origin)}
          followers={countFollowers(db, d.id)}
          boosts={countBoosts(db, d.id)}
          csrf={props.csrf}
        />
      )}
      <ResponsesSection slug={d.slug} responses={responses} moderator={props.moderator} csrf={props.csrf} />
    </>
  );
}

export const responseRoutes = new Hono<WebEnv>();

/** A response's number in the path. */
const responseParams = z.object({
  id: z
    .string()
    .regex(/^[1-9]\d{0,15}$/, "There is no such response.")
    .transform(Number),
});

async function moderate(c: Context<WebEnv>, hidden: boolean) {
  const slug = c.req.param("slug") ?? "";
  const { db, secret, config, batcher } = c.get("deps");
  const declaration = getDeclarationBySlug(db, slug);
  const account = currentAccount(c);
  const visible =
    declaration != null && (declaration.status !== "draft" || (account != null && declaration.ownerId === account.id));
  if (!visible) return notFoundPage(c, `There is no Declaration “${slug}” here.`);
  if (!canModerate(c, declaration)) {
    return forbiddenPage(c, "Only the owner of this Declaration and the site’s owner can hide or show responses.");
  }
  const body = await readForm(c);
  const title = hidden ? "Not hidden" : "Not shown";
  if (!body.ok)
    return personalPage(
      c,
      title,
      <section class="error-page">
        <h1>{title}</h1>
        <p>{body.message}</p>
      </section>,
      body.status,
    );
  if (!verifyCsrf(c, secret, config.origin, body.value[CSRF_FIELD])) {
    return forbiddenPage(
      c,
      "This form expired or was not sent from this site. Nothing was changed; please go back and try again.",
    );
  }
  const raw = c.req.param("id") ?? "";
  const params = parseRequest(responseParams, { id: raw });
  const id = params.ok ? params.value.id : null;
  const changed = id != null && (await batcher.run(() => setResponseVisibility(db, declaration.id, id, hidden)));
  if (!changed) return notFoundPage(c, `“${declaration.title}” has no response ${raw}.`);
  return c.redirect(`/d/${slug}#response-${id}`, 303);
}

responseRoutes.post("/:slug/responses/:id/hide", (c) => moderate(c, true));
responseRoutes.post("/:slug/responses/:id/show", (c) => moderate(c, false));
