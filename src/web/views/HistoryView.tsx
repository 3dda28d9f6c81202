import type { RevisionListItem } from "../../db/declarations.ts";
import type { Declaration } from "../../db/schema.ts";
import { formatDate } from "../format.ts";

export function HistoryView(props: { declaration: Declaration; revisions: RevisionListItem[] }) {
  const d = props.declaration;
  return (
    <section aria-labelledby="history-title">
      <p class="breadcrumb">
        <a href={`/d/${d.slug}`}>{d.title}</a>
      </p>
      <h1 id="history-title">History</h1>
      <p>
        Every version of this Declaration is kept and can be read as it was. Signatures record the version
        that was signed.
      </p>
      <ol class="history" reversed>
        {props.revisions.map((r) => (
          <li>
            <a href={`/d/${d.slug}/v/${r.number}`}>Version {r.number}</a>
            {r.number === d.revision && <strong class="tag">latest</strong>}
            {" · "}
            <time datetime={r.created.toISOString()}>{formatDate(r.created)}</time>
            {r.title !== d.title && <span class="old-title"> · “{r.title}”</span>}
            {r.changeSummary !== "" && <p class="change">{r.changeSummary}</p>}
          </li>
        ))}
      </ol>
    </section>
  );
}
