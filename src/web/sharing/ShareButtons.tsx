/**
 * The share block under a Declaration and on /strike: copy the link, share
 * on Mastodon (the visitor's own server, asked once), a QR code, the feed.
 * Works without JavaScript: the Mastodon form goes through /share/mastodon,
 * which sends the browser on to the server's share page; share.js does the
 * same in the browser, remembers the server and adds "Copy link", and
 * "Share…" (the phone's share sheet) where the browser has navigator.share.
 */
import { assetUrl } from "../kit/assets.ts";

export interface ShareBlockProps {
  /** Absolute URL of what is shared. */
  url: string;
  /** The text prefilled on the Mastodon share page (with the URL in it). */
  text: string;
  /** What is shared, for labels ("this Declaration", "the strike"). */
  what: string;
  /** The QR code image of `url`, if any. */
  qrUrl?: string;
  /** Extra links (feed, embed) shown under the block. */
  links?: { href: string; label: string; type?: string }[];
}

export function ShareBlock(props: ShareBlockProps) {
  return (
    <section class="share" id="share" aria-labelledby="share-heading">
      <h2 id="share-heading">Share {props.what}</h2>
      <div class="share-link">
        <label for="share-url">Link</label>
        <div class="share-row">
          <input id="share-url" type="url" readonly value={props.url} data-share-url />
          <button type="button" class="secondary" data-copy-link hidden>
            Copy link
          </button>
          <button type="button" class="secondary" data-native-share data-share-text={props.text} hidden>
            Share…
          </button>
        </div>
        <p class="share-status" role="status" aria-live="polite" data-share-status></p>
      </div>
      <form
        class="share-mastodon"
        method="get"
        action="/share/mastodon"
        target="_blank"
        data-share-mastodon
        novalidate
        rel="noopener"
      >
        <input type="hidden" name="text" value={props.text} />
        <div class="field" data-server-field>
          <label for="share-server">Your Mastodon server</label>
          <p class="hint" id="share-server-hint">
            Only its name, like <code>mastodon.social</code>. Your browser remembers it; we never see it unless
            JavaScript is off.
          </p>
          <input
            id="share-server"
            name="server"
            type="text"
            inputmode="url"
            autocomplete="off"
            autocapitalize="none"
            spellcheck={false}
            placeholder="mastodon.social"
            aria-describedby="share-server-hint share-server-error"
          />
          <p class="field-error" id="share-server-error" data-server-error hidden></p>
        </div>
        <div class="share-actions">
          <button type="submit">Share on Mastodon</button>
          <span class="share-remembered" data-server-remembered hidden>
            on <strong data-server-name></strong>{" "}
            <button type="button" class="link-button" data-change-server>
              Change server
            </button>
          </span>
        </div>
      </form>
      {props.qrUrl != null && (
        <details class="share-qr">
          <summary>QR code</summary>
          <img src={props.qrUrl} width="240" height="240" alt={`QR code of the link ${props.url}`} />
          <p>
            <a href={props.qrUrl} download>
              Download the QR code (SVG)
            </a>
          </p>
        </details>
      )}
      {props.links != null && props.links.length > 0 && (
        <ul class="share-links">
          {props.links.map((l) => (
            <li>
              <a href={l.href} type={l.type}>
                {l.label}
              </a>
            </li>
          ))}
        </ul>
      )}
      <script type="module" src={assetUrl("share.js")} />
    </section>
  );
}
