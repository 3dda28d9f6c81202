/**
 * What a visitor without JavaScript can do instead of the anti-spam check,
 * from the site's actual configuration (docs/decisions/0030): give an email
 * address when the site sends mail (the signature then counts once the mailed
 * link is followed), or sign from a fediverse account, which every published
 * Declaration offers.  Nothing is said when the proof of work is off.
 */

export interface WithoutJavaScriptPaths {
  /** The site sends mail: an address confirmed by mail replaces the check. */
  readonly mail: boolean;
  /** Where the Declaration's "Sign from your server" is. */
  readonly fediverseHref: string;
}

/** The same advice as one sentence, for the server's refusal of a form sent without the check. */
export function withoutJavaScriptSentence(paths: WithoutJavaScriptPaths): string {
  return paths.mail
    ? "If JavaScript is off in your browser, give your email address instead: we mail you a link, and your signature counts once you follow it. Or sign from your fediverse account (Mastodon and others) in “Follow and sign from the fediverse” on the Declaration’s page."
    : "If JavaScript is off in your browser, sign from your fediverse account (Mastodon and others) instead: see “Follow and sign from the fediverse” on the Declaration’s page.";
}

/** Shown near the top of the form, before anything is typed, only when JavaScript is off. */
export function NoScriptNotice(props: WithoutJavaScriptPaths) {
  return (
    <noscript>
      <div class="notice noscript-notice" role="note">
        <p>
          <strong>JavaScript is off in your browser.</strong> This form’s anti-spam check runs with it. You can still
          sign:
        </p>
        <ul>
          {props.mail && (
            <li>
              give your <strong>email address</strong> below: we mail you a link, and your signature counts once you
              follow it;
            </li>
          )}
          <li>
            {props.mail ? "or " : ""}
            <a href={props.fediverseHref}>sign from your fediverse account</a> (Mastodon and others) by favouriting this
            Declaration’s post; no JavaScript needed.
          </li>
        </ul>
      </div>
    </noscript>
  );
}
