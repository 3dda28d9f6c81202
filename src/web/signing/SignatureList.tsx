import type { PublicSignature, SignerActor } from "../../db/signatures.ts";
import { avatarUrl } from "../fediverse/index.ts";
import { formatDate, signerName } from "../kit/format.ts";

/** A signer who favourited from the fediverse: avatar, display name linked to their profile, handle. */
function FediverseSigner(props: { actor: SignerActor; name: string }) {
  const a = props.actor;
  const name = props.name;
  return (
    <span class="fedi-signer">
      <img class="avatar" src={avatarUrl(a)} alt="" width="32" height="32" loading="lazy" />
      <span class="signer">
        <a href={a.url} rel="nofollow ugc noopener noreferrer">
          {name}
        </a>
      </span>{" "}
      {a.handle != null && <span class="fedi-handle">@{a.handle}</span>}
    </span>
  );
}

/**
 * Public signatures: name, place, website, comment, the version signed and when.
 * A fediverse signer shows their avatar (through our proxy), display name
 * linked to their profile, and handle.
 * `.who` holds name and place (one run of text that wraps), `.signed` the date;
 * the spaces between the parts keep them apart as text (copying, reader modes).
 */
export function SignatureList(props: { signatures: PublicSignature[]; latestRevision: number; compact?: boolean }) {
  return (
    <ol class={props.compact ? "signatures compact" : "signatures"}>
      {props.signatures.map((s) => (
        <li>
          <span class="who">
            {s.kind === "fediverse" && s.actor != null ? (
              <FediverseSigner actor={s.actor} name={signerName(s)} />
            ) : (
              <span class="signer">
                {s.website != null ? (
                  <a href={s.website} rel="nofollow ugc noopener noreferrer">
                    {s.name}
                  </a>
                ) : (
                  s.name
                )}
              </span>
            )}
            {s.place != null && (
              <>
                {" "}
                <span class="place">{s.place}</span>
              </>
            )}
          </span>{" "}
          <span class="signed">
            <time datetime={s.created.toISOString()}>{formatDate(s.created)}</time>
            {(s.revision !== props.latestRevision || !props.compact) && (
              <span class="version"> · version {s.revision}</span>
            )}
          </span>{" "}
          {!props.compact && s.comment != null && <p class="comment">{s.comment}</p>}
        </li>
      ))}
    </ol>
  );
}
