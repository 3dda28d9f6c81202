import { assetUrl } from "../kit/assets.ts";
import { challengeUrl, POW_FIELD, type PowBinding } from "../../services/proof-of-work.ts";

export interface ProofOfWorkFieldProps {
  /** The site's `pow.enabled`: when false nothing is rendered (and nothing is checked). */
  enabled: boolean;
  /** What the solution pays for: the challenge is bound to it (docs/decisions/0015). */
  binding: PowBinding;
  /**
   * When the browser starts solving: when the visitor first focuses a field of
   * the form (the default, so readers who never sign spend no CPU), or as soon
   * as the page loads.
   */
  auto?: "onfocus" | "onload";
}

/**
 * The self-hosted ALTCHA anti-spam check for a `<form method="post">`: the
 * widget fetches a challenge for `binding` from `/api/pow/challenge`, solves it in a Web
 * Worker and adds the hidden field `altcha`, whose value the form's handler
 * passes to `pow.verify()`.  It keeps the form from being submitted until it
 * is solved.  Script, stylesheet and worker all come from `/static/`, within
 * the site's Content-Security-Policy.
 */
export function ProofOfWorkField(props: ProofOfWorkFieldProps) {
  if (!props.enabled) return null;
  return (
    <div class="pow-field">
      <link rel="stylesheet" href={assetUrl("altcha.css")} />
      <script type="module" src={assetUrl("altcha-widget.js")}></script>
      <altcha-widget
        challenge={challengeUrl(props.binding)}
        name={POW_FIELD}
        auto={props.auto ?? "onfocus"}
      ></altcha-widget>
      <noscript>
        <p>This site's anti-spam check needs JavaScript. Without it, your signature cannot be sent.</p>
      </noscript>
    </div>
  );
}
