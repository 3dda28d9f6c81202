import type { RevisionListItem } from "../../db/declarations.ts";
import type { Declaration } from "../../db/schema.ts";
import { formatDate } from "../kit/format.ts";

/** "Compare version [x] with [y]": a GET form, redirected to `/d/:slug/diff/x..y`. */
function CompareVersionsForm(props: { slug: string; latest: number }) {
  const { latest } = props;
  return (
    <form class="compare-versions" method="get" action={`/d/${props.slug}/diff`}>
      <label for="compare-from">Compare version</label>{" "}
      <input
        id="compare-from"
        name="a"
        type="number"
        min="1"
        max={String(latest)}
        step="1"
        inputmode="numeric"
        required
        value={String(latest - 1)}
      />{" "}
      <label for="compare-to">with</label>{" "}
      <input
        id="compare-to"
        name="b"
        type="number"
        min="1"
        max={String(latest)}
        step="1"
        inputmode="numeric"
        required
        value={String(latest)}
      />{" "}
      <button type="submit">Compare</button>
    </form>
  );
}

export function HistoryView(props: { declaration: Declaration; revisions: RevisionListItem[] }) {
  const d = props.declaration;
  return (
    <section aria-labelledby="history-title">
      <p class="breadcrumb">
        <a href={`/d/${d.slug}`}>{d.title}</a>
      </p>
      <h1 id="history-title">History</h1>
      <p>
        Every version of this Declaration is kept and can be read as it was. Signatures record the version that was
        signed.
      </p>
      {props.revisions.length > 1 && <CompareVersionsForm slug={d.slug} latest={d.revision} />}
      <ol class="history" reversed>
        {props.revisions.map((r) => (
          <li>
            <a href={`/d/${d.slug}/v/${r.number}`}>Version {r.number}</a>
            {r.number === d.revision && <strong class="tag">latest</strong>}
            {" · "}
            <time datetime={r.created.toISOString()}>{formatDate(r.created)}</time>
            {r.number > 1 && (
              <>
                {" · "}
                <a
                  class="changes-link"
                  href={`/d/${d.slug}/diff/${r.number - 1}..${r.number}`}
                  aria-label={`Changes from version ${r.number - 1} to ${r.number}`}
                >
                  changes
                </a>
              </>
            )}
            {r.title !== d.title && <span class="old-title"> · “{r.title}”</span>}
            {r.changeSummary !== "" && <p class="change">{r.changeSummary}</p>}
          </li>
        ))}
      </ol>
    </section>
  );
}
