/**
 * The Sign action at the top of a Declaration's page: a button to the form
 * (`#sign-form`, further down), the count and the latest few public signers.
 * Sticky on narrow screens, so it is at hand while reading the text.  The
 * page is shared by every anonymous visitor (docs/decisions/0028): nothing
 * in it is per visitor, the kept page is rebuilt within a second of a new
 * signature, and live-count.js refreshes the count on an open page.
 */
import type { Declaration } from "../../db/schema.ts";
import type { PublicSignature } from "../../db/signatures.ts";
import { plural, signerName } from "../kit/format.ts";

/** How many of the latest public signers are named beside the button. */
export const SIGN_ACTION_SIGNERS = 3;

export interface SignActionProps {
  readonly declaration: Pick<Declaration, "slug" | "signatureCount">;
  /** The latest public signatures, newest first (at most SIGN_ACTION_SIGNERS are named). */
  readonly latest: readonly PublicSignature[];
}

function latestNames(latest: readonly PublicSignature[]): string {
  const names = latest
    .slice(0, SIGN_ACTION_SIGNERS)
    .map(signerName)
    .filter((n) => n !== "");
  if (names.length <= 1) return names.join("");
  return `${names.slice(0, -1).join(", ")} and ${names[names.length - 1]}`;
}

export function SignAction(props: SignActionProps) {
  const d = props.declaration;
  const names = latestNames(props.latest);
  return (
    <aside class="sign-action" aria-label="Sign this Declaration">
      <a class="sign-action-button" href="#sign-form">
        Sign this Declaration
      </a>
      <p class="sign-action-count">
        <strong data-count-signatures>{plural(d.signatureCount, "signature", "signatures")}</strong>
        {names !== "" && (
          <span class="sign-action-latest">
            {" "}
            · latest: <a href={`/d/${d.slug}/signatures`}>{names}</a>
          </span>
        )}
      </p>
    </aside>
  );
}
