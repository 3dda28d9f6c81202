/**
 * Who may see a Declaration, by its status: `published` and `withdrawn` ones
 * are readable by everyone (a withdrawn text stays readable so its signers can
 * see what they signed, but it is not listed and cannot be signed); a `draft`
 * is visible to its owner only and a 404 for everyone else.
 */
import type { Context } from "hono";
import { getAccount } from "../../db/accounts.ts";
import type { DbLike } from "../../db/client.ts";
import { getDeclarationBySlug } from "../../db/declarations.ts";
import type { Declaration } from "../../db/schema.ts";
import type { WebEnv } from "./context.ts";
import { CSRF_FIELD } from "./csrf.ts";
import { formatDate } from "./format.ts";
import { currentAccount } from "./session.ts";
import { ownerUnpublishing } from "../../services/moderation.ts";

/** True when the visitor owns `declaration`. */
export function isOwner(c: Context<WebEnv>, declaration: Pick<Declaration, "ownerId">): boolean {
  const account = currentAccount(c);
  return account != null && declaration.ownerId != null && declaration.ownerId === account.id;
}

/** The Declaration `slug` if this visitor may read it (drafts: the owner only), else undefined. */
export function readableDeclaration(c: Context<WebEnv>, slug: string): Declaration | undefined {
  const declaration = getDeclarationBySlug(c.get("deps").db, slug);
  if (declaration == null) return undefined;
  if (declaration.status === "draft" && !isOwner(c, declaration)) return undefined;
  return declaration;
}

/** "This Declaration was withdrawn by {username} on {date}." (or by the site's owner, who moderated it). */
export function withdrawnSentence(
  db: DbLike,
  d: Pick<Declaration, "id" | "status" | "withdrawnAt" | "withdrawnBy" | "updated">,
): string {
  const by = d.withdrawnBy == null ? undefined : getAccount(db, d.withdrawnBy);
  const who = ownerUnpublishing(db, d) != null ? "the site’s owner" : (by?.username ?? "its author");
  return `This Declaration was withdrawn by ${who} on ${formatDate(d.withdrawnAt ?? d.updated)}.`;
}

/** The notice shown on a withdrawn Declaration's page instead of the sign form. */
export function WithdrawnNotice(props: { db: DbLike; declaration: Declaration }) {
  const d = props.declaration;
  return (
    <section class="status-notice withdrawn-notice" role="note" aria-labelledby="withdrawn-heading">
      <h2 id="withdrawn-heading">Withdrawn</h2>
      <p>{withdrawnSentence(props.db, d)}</p>
      <p>
        It can no longer be signed. Its signatures are kept: each signer can still open, download or withdraw their
        signature from their private link.
      </p>
    </section>
  );
}

/** The owner's notice on a draft: only they can see it, with a Publish button. */
export function DraftNotice(props: { slug: string; csrf: string }) {
  return (
    <section class="status-notice draft-notice" role="note" aria-labelledby="draft-heading">
      <h2 id="draft-heading">Draft — only you can see this</h2>
      <p>Nobody else can read, find or sign it until you publish it.</p>
      <form method="post" action={`/d/${props.slug}/publish`} class="status-actions">
        <input type="hidden" name={CSRF_FIELD} value={props.csrf} />
        <button type="submit">Publish</button> <a href={`/d/${props.slug}/edit`}>Edit the draft</a>
      </form>
    </section>
  );
}

/** For the owner of a withdrawn Declaration: publish it again. */
export function RepublishForm(props: { slug: string; csrf: string }) {
  return (
    <form method="post" action={`/d/${props.slug}/publish`} class="status-actions">
      <input type="hidden" name={CSRF_FIELD} value={props.csrf} />
      <button type="submit">Publish again</button>
    </form>
  );
}
