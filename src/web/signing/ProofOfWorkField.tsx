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
  /**
   * Whether to say under the widget that the form cannot be sent without
   * JavaScript (default).  The sign form says what to do instead at its top.
   */
  noscript?: boolean;
}

/**
 * The self-hosted ALTCHA anti-spam check for a `<form method="post">`: the
 * widget fetches a challenge for `binding` from `/api/pow/challenge`, solves it in a Web
 * Worker and adds the hidden field `altcha`, whose value the form's handler
 * passes to `pow.verify()`.  `pow-form.js` holds a submitted form until the
 * check is done and then sends it by itself, saying so in the status line
 * below the widget, and renews a challenge that expired while the tab was
 * open.  Script, stylesheet and workers all come from `/static/`, within the
 * site's Content-Security-Policy.
 */
export function ProofOfWorkField(props: ProofOfWorkFieldProps) {
  if (!props.enabled) return null;
  return (
    <div class="pow-field">
      <link rel="stylesheet" href={assetUrl("altcha.css")} />
      <script type="module" src={assetUrl("altcha-widget.js")}></script>
      <script type="module" src={assetUrl("pow-form.js")}></script>
      <altcha-widget
        challenge={challengeUrl(props.binding)}
        name={POW_FIELD}
        auto={props.auto ?? "onfocus"}
      ></altcha-widget>
      <p class="pow-status" role="status" aria-live="polite" data-pow-status hidden></p>
      {props.noscript !== false && (
        <noscript>
          <p>
            This site's anti-spam check needs JavaScript, which is off in your browser, so this form cannot be sent.
          </p>
        </noscript>
      )}
    </div>
  );
}
