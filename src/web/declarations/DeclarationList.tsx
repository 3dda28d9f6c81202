import type { DeclarationSummary } from "../../db/declarations.ts";
import type { ListedDeclaration } from "../../db/moderation.ts";
import { formatDate, plural } from "../kit/format.ts";

/** "3 words differ", "1 word differs" (null: not counted, said nothing). */
export function wordsDiffer(n: number | null): string | null {
  if (n == null) return null;
  return n === 1 ? "1 word differs" : `${n.toLocaleString("en")} words differ`;
}

/**
 * What a listed Declaration is, in one line: the site's own, or a Copy with
 * its author, what it copies and how many words differ from that.
 */
export function CopyMark(props: {
  d: Pick<ListedDeclaration, "sourceUrl" | "sourceTitle" | "sourceRevision" | "owner" | "wordsChanged">;
  /** Leave out "of {source}" (the list already groups the copy under it). */
  underSource?: boolean;
}) {
  const d = props.d;
  if (d.sourceUrl == null) {
    return (
      <p class="origin-mark origin-site">
        <span class="badge badge-site">This site’s Declaration</span>
      </p>
    );
  }
  const differ = wordsDiffer(d.wordsChanged);
  return (
    <p class="origin-mark origin-copy">
      <span class="badge badge-copy">Copy</span>{" "}
      {props.underSource !== true && (
        <>
          of{" "}
          <a href={d.sourceUrl}>
            <cite>{d.sourceTitle ?? d.sourceUrl}</cite>
          </a>
          {d.sourceRevision != null ? ` (version ${d.sourceRevision})` : ""}{" "}
        </>
      )}
      by {d.owner != null ? <strong>{d.owner}</strong> : "a former account"}
      {differ != null && <> · {differ}</>}
    </p>
  );
}

/** A listed Declaration's count, version and date. */
function ListedMeta(props: { d: Pick<DeclarationSummary, "signatureCount" | "revision" | "updated"> }) {
  const d = props.d;
  return (
    <p class="meta">
      <span class="count">{plural(d.signatureCount, "signature", "signatures")}</span>
      <span>
        Version {d.revision}, updated <time datetime={d.updated.toISOString()}>{formatDate(d.updated)}</time>
      </span>
    </p>
  );
}

function Item(props: { d: ListedDeclaration; underSource?: boolean }) {
  const d = props.d;
  return (
    <li>
      <article lang={d.language} class={d.sourceUrl == null ? "listed-original" : "listed-copy"}>
        <h3>
          <a href={`/d/${d.slug}`}>{d.title}</a>
        </h3>
        <CopyMark d={d} underSource={props.underSource ?? false} />
        {d.summary !== "" && <p class="summary">{d.summary}</p>}
        <ListedMeta d={d} />
      </article>
    </li>
  );
}

/**
 * `/`: the site's own Declarations first, each with the copies made of it
 * here; then the other copies (of copies, of texts on other sites, or of a
 * Declaration not listed), each saying what it copies.
 */
export function HomeDeclarationList(props: { declarations: ListedDeclaration[] }) {
  if (props.declarations.length === 0) {
    return <p class="empty">No Declarations have been published here yet.</p>;
  }
  const originals = props.declarations.filter((d) => d.sourceUrl == null);
  const listed = new Set(originals.map((d) => d.id));
  const copiesOf = new Map<number, ListedDeclaration[]>();
  const others: ListedDeclaration[] = [];
  for (const d of props.declarations) {
    if (d.sourceUrl == null) continue;
    if (d.sourceDeclarationId != null && listed.has(d.sourceDeclarationId)) {
      const list = copiesOf.get(d.sourceDeclarationId) ?? [];
      list.push(d);
      copiesOf.set(d.sourceDeclarationId, list);
    } else others.push(d);
  }
  return (
    <>
      {originals.length > 0 && (
        <section class="declarations-own" aria-labelledby="own-title">
          <h2 id="own-title">This site’s Declarations</h2>
          <ol class="declaration-list">
            {originals.map((d) => {
              const copies = copiesOf.get(d.id) ?? [];
              return (
                <>
                  <Item d={d} />
                  {copies.length > 0 && (
                    <li class="copies-group">
                      <details>
                        <summary>
                          {plural(copies.length, "copy", "copies")} of “{d.title}” with proposed changes
                        </summary>
                        <ol class="declaration-list copies-list">
                          {copies.map((copy) => (
                            <Item d={copy} underSource />
                          ))}
                        </ol>
                      </details>
                    </li>
                  )}
                </>
              );
            })}
          </ol>
        </section>
      )}
      {others.length > 0 && (
        <section class="declarations-copies" aria-labelledby="copies-title">
          <h2 id="copies-title">{originals.length > 0 ? "More copies" : "Copies"}</h2>
          <p class="hint">Copies made by people with an account here, each with the changes they propose.</p>
          <ol class="declaration-list copies-list">
            {others.map((d) => (
              <Item d={d} />
            ))}
          </ol>
        </section>
      )}
    </>
  );
}

/** A plain list of Declarations (a hashtag's page). */
export function DeclarationList(props: { declarations: DeclarationSummary[] }) {
  if (props.declarations.length === 0) {
    return <p class="empty">No Declarations have been published here yet.</p>;
  }
  return (
    <ol class="declaration-list">
      {props.declarations.map((d) => (
        <li>
          <article lang={d.language}>
            <h2>
              <a href={`/d/${d.slug}`}>{d.title}</a>
            </h2>
            {d.summary !== "" && <p class="summary">{d.summary}</p>}
            <ListedMeta d={d} />
          </article>
        </li>
      ))}
    </ol>
  );
}
