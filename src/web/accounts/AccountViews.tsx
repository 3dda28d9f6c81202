/**
 * Forms and pages for accounts: register, log in, the account page and the
 * site owner's admin page.  Passwords are never put back into a form.
 */
import type { Account, RegistrationMode } from "../../db/accounts.ts";
import { PASSWORD_MAX, PASSWORD_MIN } from "../../db/accounts.ts";
import { CSRF_FIELD } from "../kit/csrf.ts";
import { formatDate } from "../kit/format.ts";
import { ErrorSummary, FieldError } from "../layout/FormErrors.tsx";

export type AccountFieldErrors = Partial<Record<string, string>>;

export interface AccountFormState {
  /** What the person typed (never a password), kept when the form comes back. */
  values?: Readonly<Record<string, string>>;
  errors?: AccountFieldErrors;
  /** A message about the whole form (expired form, rate limit, wrong password, …). */
  formError?: string;
}

interface FieldProps {
  form: string;
  name: string;
  label: string;
  type: "text" | "password";
  autocomplete: string;
  value?: string | undefined;
  error?: string | undefined;
  hint?: string;
  maxlength?: number;
}

function Field(props: FieldProps) {
  const id = `${props.form}-${props.name}`;
  const describedBy = [props.hint != null ? `${id}-hint` : null, props.error != null ? `${props.name}-error` : null]
    .filter((x) => x != null)
    .join(" ");
  return (
    <div class="field">
      <label for={id}>{props.label}</label>
      {props.hint != null && (
        <p class="hint" id={`${id}-hint`}>
          {props.hint}
        </p>
      )}
      <input
        id={id}
        name={props.name}
        type={props.type}
        required
        autocomplete={props.autocomplete}
        value={props.type === "password" ? "" : (props.value ?? "")}
        {...(props.maxlength != null ? { maxlength: props.maxlength } : {})}
        {...(props.error != null ? { "aria-invalid": "true" } : {})}
        {...(describedBy !== "" ? { "aria-describedby": describedBy } : {})}
      />
      <FieldError id={`${props.name}-error`} error={props.error} />
    </div>
  );
}

function FormErrors(props: { state: AccountFormState; labels: Record<string, string>; form: string }) {
  const errors = props.state.errors ?? {};
  const fields = Object.keys(errors).filter((f) => errors[f] != null);
  return (
    <ErrorSummary
      formError={props.state.formError}
      fields={fields}
      errors={errors}
      label={(field) => props.labels[field] ?? field}
      href={(field) => `#${props.form}-${field}`}
    />
  );
}

const REGISTER_LABELS: Record<string, string> = {
  username: "Username",
  password: "Password",
  password2: "Password again",
  invite: "Invite code",
};

/** `path` with `?next=` when it leads somewhere other than the account page. */
export function withNext(path: string, next: string): string {
  return next === "/account" ? path : `${path}?next=${encodeURIComponent(next)}`;
}

export function RegisterForm(props: { csrf: string; mode: "open" | "invite"; next: string; state: AccountFormState }) {
  const v = props.state.values ?? {};
  const e = props.state.errors ?? {};
  return (
    <form class="account-form" method="post" action="/register" novalidate>
      <FormErrors state={props.state} labels={REGISTER_LABELS} form="register" />
      <input type="hidden" name={CSRF_FIELD} value={props.csrf} />
      <input type="hidden" name="next" value={props.next} />
      <Field
        form="register"
        name="username"
        label={REGISTER_LABELS.username!}
        type="text"
        autocomplete="username"
        maxlength={30}
        hint="3 to 30 characters: letters a–z, digits and underscores."
        value={v.username}
        error={e.username}
      />
      <Field
        form="register"
        name="password"
        label={REGISTER_LABELS.password!}
        type="password"
        autocomplete="new-password"
        maxlength={PASSWORD_MAX}
        hint={`At least ${PASSWORD_MIN} characters.`}
        error={e.password}
      />
      <Field
        form="register"
        name="password2"
        label={REGISTER_LABELS.password2!}
        type="password"
        autocomplete="new-password"
        maxlength={PASSWORD_MAX}
        error={e.password2}
      />
      {props.mode === "invite" && (
        <Field
          form="register"
          name="invite"
          label={REGISTER_LABELS.invite!}
          type="text"
          autocomplete="off"
          maxlength={100}
          hint="Registration on this site needs an invite code from its owner."
          value={v.invite}
          error={e.invite}
        />
      )}
      <p class="actions">
        <button type="submit">Create account</button>
      </p>
      <p class="fine-print">
        Already have an account? <a href={withNext("/login", props.next)}>Log in</a>.
      </p>
    </form>
  );
}

const LOGIN_LABELS: Record<string, string> = { username: "Username", password: "Password" };

export function LoginForm(props: {
  csrf: string;
  next: string;
  state: AccountFormState;
  registration: RegistrationMode;
}) {
  const v = props.state.values ?? {};
  const e = props.state.errors ?? {};
  return (
    <form class="account-form" method="post" action="/login" novalidate>
      <FormErrors state={props.state} labels={LOGIN_LABELS} form="login" />
      <input type="hidden" name={CSRF_FIELD} value={props.csrf} />
      <input type="hidden" name="next" value={props.next} />
      <Field
        form="login"
        name="username"
        label={LOGIN_LABELS.username!}
        type="text"
        autocomplete="username"
        maxlength={30}
        value={v.username}
        error={e.username}
      />
      <Field
        form="login"
        name="password"
        label={LOGIN_LABELS.password!}
        type="password"
        autocomplete="current-password"
        maxlength={PASSWORD_MAX}
        error={e.password}
      />
      <p class="actions">
        <button type="submit">Log in</button>
      </p>
      {props.registration !== "closed" && (
        <p class="fine-print">
          No account yet? <a href={withNext("/register", props.next)}>Register</a>.
        </p>
      )}
    </form>
  );
}

export function LogoutForm(props: { csrf: string }) {
  return (
    <form method="post" action="/logout" class="logout-form">
      <input type="hidden" name={CSRF_FIELD} value={props.csrf} />
      <button type="submit">Log out</button>
    </form>
  );
}

export function AccountView(props: {
  account: Account;
  csrf: string;
  /** `sourceAhead`: a Copy whose source has a newer version to take in. */
  owned?: readonly {
    slug: string;
    title: string;
    revision: number;
    status?: string;
    sourceAhead?: boolean;
    /** What the site's owner did to it, and why. */
    moderation?: string | null;
  }[];
  /** Declarations of this account the site's owner deleted. */
  deleted?: readonly { slug: string; title: string; created: Date; sentence: string }[];
}) {
  return (
    <section class="prose-page" aria-labelledby="account-title">
      <h1 id="account-title">Your account</h1>
      <dl class="stored">
        <dt>Username</dt>
        <dd>{props.account.username}</dd>
        <dt>Role</dt>
        <dd>{props.account.role === "admin" ? "site owner (admin)" : "author"}</dd>
        <dt>Since</dt>
        <dd>{formatDate(props.account.created)}</dd>
      </dl>
      {props.owned != null && props.owned.length > 0 && (
        <>
          <h2>Your Declarations</h2>
          <ul class="owned-declarations">
            {props.owned.map((d) => (
              <li>
                <a href={`/d/${d.slug}`}>{d.title}</a> (version {d.revision}
                {d.status === "draft" ? ", draft" : d.status === "withdrawn" ? ", withdrawn" : ""}) ·{" "}
                <a href={`/d/${d.slug}/edit`}>Edit</a>
                {d.sourceAhead === true && (
                  <>
                    {" · "}
                    <a href={`/d/${d.slug}/merge`}>Its source has a new version</a>
                  </>
                )}
                {d.moderation != null && <p class="moderation-note">{d.moderation}</p>}
              </li>
            ))}
          </ul>
        </>
      )}
      {props.deleted != null && props.deleted.length > 0 && (
        <>
          <h2>Deleted by the site’s owner</h2>
          <ul class="deleted-declarations">
            {props.deleted.map((d) => (
              <li>
                {d.title} (/d/{d.slug}), {formatDate(d.created)}: {d.sentence}
              </li>
            ))}
          </ul>
        </>
      )}
      <p>
        <a href="/copy/elsewhere">Copy a Declaration from another site</a>
      </p>
      {props.account.role === "admin" && (
        <p>
          <a href="/admin">Site administration</a>
        </p>
      )}
      <LogoutForm csrf={props.csrf} />
    </section>
  );
}

const MODE_LABELS: Record<RegistrationMode, string> = {
  open: "Open: anyone can register",
  invite: "By invite: registration needs an invite code",
  closed: "Closed: nobody can register",
};

export interface AdminViewProps {
  csrf: string;
  mode: RegistrationMode;
  accounts: readonly Account[];
  unusedInvites: number;
  /** A just-created invite code, shown this once. */
  newInvite?: string;
  saved?: boolean;
  modeError?: string;
}

export function AdminView(props: AdminViewProps) {
  return (
    <section class="prose-page" aria-labelledby="admin-title">
      <h1 id="admin-title">Site administration</h1>
      {props.saved === true && (
        <p class="notice success" role="status">
          Saved.
        </p>
      )}
      <p>
        <a href="/admin/declarations">Declarations and reports: moderation</a>
      </p>
      <p>
        <a href="/admin/strike">The strike: days, notices and templates</a>
      </p>
      <p>
        <a href="/admin/federation">Federation: reports and blocked domains</a>
      </p>
      <p>
        <a href="/admin/media">Images: uploads for notices and the memes gallery</a>
      </p>
      <p>
        <a href="/admin/introduction">The introduction on the front page</a>
      </p>
      <p>
        <a href="/admin/pages/about">About this site: who runs it, contact, imprint</a>
      </p>
      <p>
        <a href="/admin/pages">Pages: about, questions and answers, resources</a>
      </p>
      <h2 id="registration-title">Registration</h2>
      <form method="post" action="/admin/registration" class="account-form">
        <input type="hidden" name={CSRF_FIELD} value={props.csrf} />
        <fieldset class="field choice" {...(props.modeError != null ? { "aria-describedby": "mode-error" } : {})}>
          <legend>Who can create an account</legend>
          {(["open", "invite", "closed"] as const).map((mode) => (
            <label>
              <input type="radio" name="mode" value={mode} checked={props.mode === mode} /> {MODE_LABELS[mode]}
            </label>
          ))}
          <FieldError id="mode-error" error={props.modeError} />
        </fieldset>
        <p class="actions">
          <button type="submit">Save</button>
        </p>
      </form>
      <h2>Invite codes</h2>
      {props.newInvite != null && (
        <div class="notice success" role="status">
          <p>
            New invite code (shown only now; copy it): <code class="invite-code">{props.newInvite}</code>
          </p>
          <p>It works once, when registration is by invite.</p>
        </div>
      )}
      <p>
        {props.unusedInvites === 1 ? "1 invite code is unused." : `${props.unusedInvites} invite codes are unused.`}
      </p>
      <form method="post" action="/admin/invites">
        <input type="hidden" name={CSRF_FIELD} value={props.csrf} />
        <button type="submit">Create an invite code</button>
      </form>
      <h2>Accounts</h2>
      <table class="accounts">
        <thead>
          <tr>
            <th scope="col">Username</th>
            <th scope="col">Role</th>
            <th scope="col">Since</th>
          </tr>
        </thead>
        <tbody>
          {props.accounts.map((a) => (
            <tr>
              <td class="username">{a.username}</td>
              <td>{a.role}</td>
              <td>{formatDate(a.created)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
