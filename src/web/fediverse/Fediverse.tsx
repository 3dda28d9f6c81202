/**
 * The fediverse on a Declaration's page: following and signing from one's
 * own server (with the follower and boost counts), and the responses that
 * came back as replies.
 */
import type { ResponseView } from "../../db/fediverse.ts";
import { avatarUrl } from "./avatars.ts";
import { CSRF_FIELD } from "../kit/csrf.ts";
import { formatDate, plural } from "../kit/format.ts";
import { ErrorSummary, FieldError } from "../layout/FormErrors.tsx";

export interface InteractFormProps {
  slug: string;
  /** `@slug@host` */
  handle: string;
  followers: number;
  boosts: number;
  csrf: string;
  /** What the visitor typed, kept when the form comes back. */
  account?: string;
  /** The message for the account field. */
  error?: string;
  /** A message about the whole form (expired form, rate limit). */
  formError?: string;
  /** Whether the heading is the page's own (h1) or a section's (h2). */
  standalone?: boolean;
}

/** "Follow from your server" and "Sign from your server": one field, two buttons. */
export function InteractSection(props: InteractFormProps) {
  const Heading = props.standalone === true ? "h1" : "h2";
  return (
    <section class="fediverse-section" id="fediverse" aria-labelledby="fediverse-heading">
      <Heading id="fediverse-heading">Follow and sign from the fediverse</Heading>
      <p>
        This Declaration has its own account, <strong class="fedi-handle">{props.handle}</strong>, which you can follow
        from Mastodon or any other fediverse server. Favouriting its pinned post signs the Declaration with your
        account’s name; unfavouriting withdraws it.
      </p>
      <p class="fedi-counts">
        <span class="count">{plural(props.followers, "follower", "followers")}</span>
        <span class="count">{plural(props.boosts, "boost", "boosts")}</span>
      </p>
      <form method="post" action={`/d/${props.slug}/interact`} class="interact-form" novalidate>
        <ErrorSummary
          formError={props.formError}
          fields={props.error != null ? ["account"] : []}
          errors={{ account: props.error }}
          label={() => "Your fediverse account"}
          href={() => "#interact-account"}
        />
        <input type="hidden" name={CSRF_FIELD} value={props.csrf} />
        <AccountField
          id="interact-account"
          hintId="interact-account-hint"
          errorId="account-error"
          account={props.account}
          error={props.error}
        >
          For example alice@example.social, or the address of your profile page. We look up your server and send you
          there.
        </AccountField>
        <p class="actions interact-actions">
          <button type="submit" name="intent" value="sign">
            Sign from your server
          </button>
          <button type="submit" name="intent" value="follow" class="secondary">
            Follow from your server
          </button>
        </p>
      </form>
    </section>
  );
}

export interface AccountFieldProps {
  /** The input's id (the error summary links to it). */
  id: string;
  hintId: string;
  errorId: string;
  /** What the visitor typed, kept when the form comes back. */
  account?: string;
  error?: string;
  /** The hint under the label. */
  children: unknown;
}

/** "Your fediverse account": the one field of the forms that send a visitor to their own server. */
export function AccountField(props: AccountFieldProps) {
  const invalid =
    props.error != null
      ? { "aria-invalid": "true", "aria-describedby": `${props.hintId} ${props.errorId}` }
      : { "aria-describedby": props.hintId };
  return (
    <div class="field">
      <label for={props.id}>Your fediverse account</label>
      <p class="hint" id={props.hintId}>
        {props.children}
      </p>
      <input
        id={props.id}
        name="account"
        type="text"
        required
        maxlength={300}
        autocomplete="off"
        autocapitalize="none"
        spellcheck={false}
        placeholder="alice@example.social"
        value={props.account ?? ""}
        {...invalid}
      />
      <FieldError id={props.errorId} error={props.error} />
    </div>
  );
}

export interface ResponsesProps {
  slug: string;
  responses: ResponseView[];
  /** The Declaration's owner or the site's owner: hidden responses and the Hide/Show buttons. */
  moderator: boolean;
  csrf?: string | undefined;
}

function authorName(author: ResponseView["author"]): string {
  return author.name?.trim() || (author.handle != null ? `@${author.handle}` : author.url);
}

/** Replies from the fediverse, oldest first; hidden ones only for moderators, marked. */
export function ResponsesSection(props: ResponsesProps) {
  if (props.responses.length === 0) return null;
  return (
    <section class="responses" id="responses" aria-labelledby="responses-heading">
      <h2 id="responses-heading">Responses from the fediverse</h2>
      <ol class="response-list">
        {props.responses.map((r) => {
          const content = <div class="response-content" dangerouslySetInnerHTML={{ __html: r.contentHtml }} />;
          return (
            <li id={`response-${r.id}`} class={r.hidden ? "response hidden-response" : "response"}>
              <article aria-label={`Response by ${authorName(r.author)}`}>
                <header class="response-head">
                  <img class="avatar" src={avatarUrl(r.author)} alt="" width="48" height="48" loading="lazy" />
                  <span class="response-author">
                    <a href={r.author.url} rel="nofollow noopener noreferrer ugc" class="author-name">
                      {authorName(r.author)}
                    </a>
                    {r.author.handle != null && <span class="fedi-handle">@{r.author.handle}</span>}
                  </span>
                  <a class="response-date" href={r.url} rel="nofollow noopener noreferrer ugc">
                    <time datetime={r.published.toISOString()}>{formatDate(r.published)}</time>
                  </a>
                </header>
                {r.hidden && (
                  <p class="hidden-note">
                    Hidden: only the Declaration’s owner and the site’s owner see this response.
                  </p>
                )}
                {r.summary != null && r.summary !== "" ? (
                  <details class="content-warning">
                    <summary>{r.summary}</summary>
                    {content}
                  </details>
                ) : (
                  content
                )}
                {props.moderator && props.csrf != null && (
                  <form
                    method="post"
                    action={`/d/${props.slug}/responses/${r.id}/${r.hidden ? "show" : "hide"}`}
                    class="response-moderation"
                  >
                    <input type="hidden" name={CSRF_FIELD} value={props.csrf} />
                    <button type="submit" class="secondary">
                      {r.hidden ? "Show" : "Hide"}
                      <span class="visually-hidden"> the response by {authorName(r.author)}</span>
                    </button>
                  </form>
                )}
              </article>
            </li>
          );
        })}
      </ol>
    </section>
  );
}
