/**
 * "Post a notice now", second step: the exact post each Declaration would
 * send (its text as servers show it, its images with their descriptions),
 * who receives it, whether the strike is on, and the button that posts it.
 * The form carries the digest of what is shown here and a one-time key.
 */
import type { MediaChoice } from "../../db/strike.ts";
import { noticeTokens } from "../../strike/notices.ts";
import { CSRF_FIELD } from "../kit/csrf.ts";
import { plural } from "../kit/format.ts";
import { FieldError } from "../layout/FormErrors.tsx";

export interface NoticeConfirmItem {
  slug: string;
  title: string;
  /** `@slug@host` */
  handle: string;
  text: string;
  media: readonly (MediaChoice & { src: string })[];
  followers: number;
  /** 1-based number of the template in the rotation. */
  template: number;
}

export interface NoticeConfirmProps {
  csrf: string;
  /** The "From" choice of the first step (a slug or `*`). */
  declaration: string;
  digest: string;
  nonce: string;
  items: readonly NoticeConfirmItem[];
  /** The site account that boosts one of them, or null when no notice would be written. */
  booster: { handle: string; followers: number; boosts: string } | null;
  hashtags: readonly string[];
  /** Null while the strike is on; otherwise a sentence saying it is not. */
  outside: string | null;
  /** Why the confirmation was not taken (the form comes back with it). */
  formError?: string;
  outsideError?: string;
}

/** A notice's text as the receiving servers show it: paragraphs, line breaks, links and hashtags. */
export function NoticeText(props: { text: string }) {
  const paragraphs: (string | ReturnType<typeof Token>)[][] = [[]];
  for (const token of noticeTokens(props.text.trim())) {
    if (token.type === "break" && token.paragraph) paragraphs.push([]);
    else paragraphs[paragraphs.length - 1]!.push(<Token token={token} />);
  }
  return (
    <div class="notice-post">
      {paragraphs.map((p) => (
        <p>{p}</p>
      ))}
    </div>
  );
}

function Token(props: { token: ReturnType<typeof noticeTokens>[number] }) {
  const t = props.token;
  switch (t.type) {
    case "text":
      return <>{t.value}</>;
    case "url":
      return <a href={t.value}>{t.value}</a>;
    case "tag":
      return <span class="hashtag">#{t.value}</span>;
    case "break":
      return <br />;
  }
}

function Images(props: { media: NoticeConfirmItem["media"] }) {
  if (props.media.length === 0) return <p class="muted">No image.</p>;
  return (
    <ul class="notice-images">
      {props.media.map((m) => (
        <li>
          <figure>
            <img src={m.src} alt={m.alt} width={m.width} height={m.height} loading="lazy" />
            <figcaption>
              {m.alt.trim() === "" ? (
                <strong>No description: people who cannot see the image learn nothing of it.</strong>
              ) : (
                <>Description: {m.alt}</>
              )}
            </figcaption>
          </figure>
        </li>
      ))}
    </ul>
  );
}

export function NoticeConfirmView(props: NoticeConfirmProps) {
  const invalid = props.outsideError != null;
  return (
    <section class="notice-confirm" aria-labelledby="notice-confirm-title">
      <p class="breadcrumbs">
        <a href="/admin/strike">The strike</a>
      </p>
      <h1 id="notice-confirm-title">Check the notice before it is posted</h1>
      {(props.formError != null || invalid) && (
        <div class="form-errors" role="alert" tabindex={-1}>
          {props.formError != null && <p>{props.formError}</p>}
          {invalid && (
            <p>
              <a href="#notice-outside">Post outside the strike's days</a>: {props.outsideError}
            </p>
          )}
        </div>
      )}
      {props.outside != null && (
        <div class="notice warning" id="notice-outside-hint">
          <p>
            <strong>The strike is not on.</strong> {props.outside}
          </p>
        </div>
      )}
      <p>
        Nothing has been posted yet. {props.items.length === 1 ? "This post goes" : "These posts go"} out when you
        confirm below; the signature count and the hours left are filled in at that moment.
      </p>
      {props.items.map((item) => (
        <article class="notice-preview" aria-labelledby={`preview-${item.slug}`}>
          <h2 id={`preview-${item.slug}`} class="notice-from">
            {item.title} <span class="handle">{item.handle}</span>
          </h2>
          <NoticeText text={item.text} />
          <Images media={item.media} />
          <p class="fine-print">
            Template {item.template} of the rotation · to {plural(item.followers, "follower", "followers")}
          </p>
        </article>
      ))}
      <h2>Who receives it</h2>
      <ul class="notice-recipients">
        {props.items.map((item) => (
          <li>
            {item.handle} posts it publicly to {plural(item.followers, "follower", "followers")}.
          </li>
        ))}
        {props.booster != null && (
          <li>
            The site account {props.booster.handle} boosts the notice of {props.booster.boosts} to{" "}
            {plural(props.booster.followers, "follower", "followers")}.
          </li>
        )}
        <li>
          {props.hashtags.length === 0 ? (
            "No hashtag."
          ) : (
            <>
              {props.hashtags.length === 1 ? "Hashtag" : "Hashtags"}{" "}
              {props.hashtags.map((t, i) => (
                <>
                  {i > 0 && " "}
                  <span class="hashtag">#{t}</span>
                </>
              ))}
              : anyone following {props.hashtags.length === 1 ? "it" : "them"} on a server that receives the post.
            </>
          )}
        </li>
      </ul>
      <form method="post" action="/admin/strike/post-now/confirm" class="account-form">
        <input type="hidden" name={CSRF_FIELD} value={props.csrf} />
        <input type="hidden" name="declaration" value={props.declaration} />
        <input type="hidden" name="preview" value={props.digest} />
        <input type="hidden" name="nonce" value={props.nonce} />
        {props.outside != null && (
          <div class="field">
            <label class="check">
              <input
                type="checkbox"
                id="notice-outside"
                name="outside"
                value="yes"
                aria-describedby={invalid ? "notice-outside-hint notice-outside-error" : "notice-outside-hint"}
                {...(invalid ? { "aria-invalid": "true" } : {})}
              />{" "}
              Post it outside the strike's days
            </label>
            <FieldError id="notice-outside-error" error={props.outsideError} />
          </div>
        )}
        <p class="actions">
          <button type="submit">{props.items.length === 1 ? "Post this notice" : "Post these notices"}</button>{" "}
          <a href="/admin/strike">Cancel</a>
        </p>
      </form>
    </section>
  );
}
