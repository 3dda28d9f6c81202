import type { PublicSignature } from "../../db/signatures.ts";
import { formatDate } from "../format.ts";

/**
 * Public signatures: name, place, website, comment, the version signed and when.
 * `.who` holds name and place (one run of text that wraps), `.signed` the date;
 * the spaces between the parts keep them apart as text (copying, reader modes).
 */
export function SignatureList(props: { signatures: PublicSignature[]; latestRevision: number; compact?: boolean }) {
  return (
    <ol class={props.compact ? "signatures compact" : "signatures"}>
      {props.signatures.map((s) => (
        <li>
          <span class="who">
            <span class="signer">
              {s.website != null ? (
                <a href={s.website} rel="nofollow ugc noopener noreferrer">
                  {s.name}
                </a>
              ) : (
                s.name
              )}
            </span>
            {s.place != null && (
              <>
                {" "}
                <span class="place">{s.place}</span>
              </>
            )}
          </span>{" "}
          <span class="signed">
            <time datetime={s.created.toISOString()}>{formatDate(s.created)}</time>
            {(s.revision !== props.latestRevision || !props.compact) && <span class="version"> · version {s.revision}</span>}
          </span>{" "}
          {!props.compact && s.comment != null && <p class="comment">{s.comment}</p>}
        </li>
      ))}
    </ol>
  );
}
