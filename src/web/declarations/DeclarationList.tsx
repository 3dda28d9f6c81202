import type { DeclarationSummary } from "../../db/declarations.ts";
import { formatDate, plural } from "../kit/format.ts";

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
            <p class="meta">
              <span class="count">{plural(d.signatureCount, "signature", "signatures")}</span>
              <span>
                Version {d.revision}, updated <time datetime={d.updated.toISOString()}>{formatDate(d.updated)}</time>
              </span>
            </p>
          </article>
        </li>
      ))}
    </ol>
  );
}
