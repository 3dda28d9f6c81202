/**
 * The memes gallery: shareable images, each with its description (alt text)
 * as selectable text, a download link and a link to the image.  memes.js adds
 * "Copy description", "Copy link" and, where the browser has it, "Share…".
 */
import type { Media } from "../../db/schema.ts";
import { assetUrl } from "../kit/assets.ts";

export interface MemeItem {
  readonly media: Media;
  /** The image's path on this site (`/media/{uuid}.{ext}`). */
  readonly path: string;
  /** Its absolute URL, to share. */
  readonly url: string;
}

function Meme(props: { item: MemeItem }) {
  const m = props.item.media;
  const id = `meme-${m.uuid}`;
  const name = m.title !== "" ? m.title : "this image";
  return (
    <li class="meme" id={id}>
      <figure>
        <a href={props.item.path} class="meme-image">
          <img src={props.item.path} alt={m.alt} width={m.width} height={m.height} loading="lazy" decoding="async" />
        </a>
        <figcaption>
          {m.title !== "" && <h2 class="meme-title">{m.title}</h2>}
          <details class="meme-alt">
            <summary>Description (alt text)</summary>
            <p id={`${id}-alt`}>{m.alt}</p>
          </details>
        </figcaption>
      </figure>
      <p class="meme-actions">
        <a href={`${props.item.path}?download=1`} download class="button-link">
          Download<span class="visually-hidden"> {name}</span>
        </a>
        <button type="button" class="secondary" hidden data-copy-from={`${id}-alt`} data-copied="Description copied.">
          Copy description<span class="visually-hidden"> of {name}</span>
        </button>
        <button type="button" class="secondary" hidden data-copy-text={props.item.url} data-copied="Link copied.">
          Copy link<span class="visually-hidden"> to {name}</span>
        </button>
        <button
          type="button"
          class="secondary"
          hidden
          data-share-url={props.item.url}
          data-share-title={m.title}
          data-share-text={m.alt}
        >
          Share…<span class="visually-hidden"> {name}</span>
        </button>
      </p>
      <p class="meme-link fine-print">
        Link: <a href={props.item.path}>{props.item.url}</a>
      </p>
      <p class="meme-status" role="status" aria-live="polite"></p>
    </li>
  );
}

export function MemesView(props: { items: readonly MemeItem[] }) {
  return (
    <section class="memes" aria-labelledby="memes-title">
      <h1 id="memes-title" class="page-title">
        Memes
      </h1>
      <p class="memes-intro">
        Images for the strike, free to share: download one, post it with its description so everybody can follow, and
        link back to the Declaration.
      </p>
      {props.items.length === 0 ? (
        <p class="empty">There are no images here yet. Please come back soon.</p>
      ) : (
        <ul class="meme-list">
          {props.items.map((item) => (
            <Meme item={item} />
          ))}
        </ul>
      )}
      {props.items.length > 0 && <script type="module" src={assetUrl("memes.js")} />}
    </section>
  );
}
