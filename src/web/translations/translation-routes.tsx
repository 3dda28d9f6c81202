/**
 * Translations of a Declaration (docs/decisions/0034), under the one `/d`
 * router:
 *
 * - `GET /d/{slug}/translations`: the original and its translations, with
 *   their signatures per language (public, in the visitor's language);
 * - `GET|POST /d/{slug}/translations/new`: translate it (logged-in accounts);
 * - `GET /d/{slug}/translations/{language}`: to the translation's page;
 * - `GET|POST /d/{slug}/translations/{language}/edit` and `POST …/publish`:
 *   its translator edits it (a new revision, and the original's version it
 *   now follows) or publishes a draft.
 *
 * The translation itself is a Declaration (`/d/{slug}-{language}`): its page,
 * signing, history and actor are the ones every Declaration has.
 */
import { type Context, Hono } from "hono";
import type { Child } from "hono/jsx";
import { setDeclarationStatus, getRevision } from "../../db/declarations.ts";
import type { Declaration } from "../../db/schema.ts";
import { getTranslationByLanguage, getTranslationOf, type TranslationItem } from "../../db/translations.ts";
import { canonicalLanguageTag, languageName } from "../../i18n/index.ts";
import {
  checkTranslation,
  saveNewTranslation,
  saveTranslationEdit,
  type TranslationFormValues,
  type TranslationProblem,
} from "../../services/translations.ts";
import { readForm } from "../kit/body.ts";
import type { WebEnv } from "../kit/context.ts";
import { CSRF_FIELD, verifyCsrf } from "../kit/csrf.ts";
import { notFoundPage } from "../kit/errors.tsx";
import { loginRedirect } from "../kit/guards.ts";
import { pageLanguage, type PageLanguage } from "../kit/locale.ts";
import { currentAccount } from "../kit/session.ts";
import { readableDeclaration } from "../kit/visibility.tsx";
import { csrfFor, notSavedPage } from "../layout/personal.tsx";
import { Layout } from "../layout/Layout.tsx";
import { TranslationForm } from "./TranslationForm.tsx";
import { Endonym, FamilyCounts } from "./TranslationsBox.tsx";
import { translationFamily } from "./family.ts";

/** A form carries a whole Declaration's text: the same bound as the copy editor's. */
const MAX_FORM_BYTES = 2 * 1024 * 1024;

export const translationRoutes = new Hono<WebEnv>();

type Found = { original: Declaration } | { response: Response | Promise<Response> };

/**
 * The original `slug` for this visitor; the translations of a translation
 * are its original's (a redirect there), a missing one is a 404.
 */
function findOriginal(c: Context<WebEnv>, slug: string, rest = ""): Found {
  const declaration = readableDeclaration(c, slug);
  if (declaration == null) return { response: notFoundPage(c) };
  const of = getTranslationOf(c.get("deps").db, declaration.id);
  if (of != null) return { response: c.redirect(`/d/${of.original.slug}/translations${rest}`, 303) };
  return { original: declaration };
}

/** A page for the person logged in, in their language: never cached. */
function privatePage(
  c: Context<WebEnv>,
  lang: PageLanguage,
  title: string,
  body: Child,
  status: 200 | 400 | 403 | 409 = 200,
) {
  c.header("Cache-Control", "no-store");
  return c.html(
    <Layout title={title} siteName={c.get("deps").config.instanceName} account={currentAccount(c)} locale={lang.locale}>
      {body}
    </Layout>,
    status,
  );
}

function valuesFrom(form: Record<string, string>): TranslationFormValues {
  return {
    language: form.language ?? "",
    revision: form.revision ?? "",
    title: form.title ?? "",
    summary: form.summary ?? "",
    body: form.body ?? "",
  };
}

function newFormPage(
  c: Context<WebEnv>,
  lang: PageLanguage,
  original: Declaration,
  values: TranslationFormValues,
  problems: readonly TranslationProblem[],
  status: 200 | 400 | 403 | 409 = 200,
  formError?: string,
) {
  const heading = lang.t("translations.form.heading", { title: original.title });
  return privatePage(
    c,
    lang,
    heading,
    <section class="translation-editor">
      <h1>{heading}</h1>
      <p>{lang.t("translations.form.intro")}</p>
      <TranslationForm
        t={lang.t}
        locale={lang.locale}
        action={`/d/${original.slug}/translations/new?lang=${lang.locale}`}
        csrf={csrfFor(c)}
        values={values}
        latest={original.revision}
        problems={problems}
        editing={false}
        formError={formError}
      />
    </section>,
    status,
  );
}

translationRoutes.get("/:slug/translations", (c) => {
  const found = findOriginal(c, c.req.param("slug"));
  if ("response" in found) return found.response;
  const { original } = found;
  if (original.status !== "published") return notFoundPage(c);
  const lang = pageLanguage(c);
  const family = translationFamily(c.get("deps").db, original);
  const title = lang.t("translations.pageTitle", { title: original.title });
  return c.html(
    <Layout title={title} siteName={c.get("deps").config.instanceName} locale={lang.locale}>
      <section class="translations-page">
        <h1>{title}</h1>
        {family.translations.length === 0 ? (
          <p>{lang.t("translations.none")}</p>
        ) : (
          <FamilyCounts family={family} locale={lang.locale} accountId={currentAccount(c)?.id ?? null} />
        )}
        <p>
          <a href={`/d/${original.slug}/translations/new`}>{lang.t("translations.add")}</a>
        </p>
      </section>
    </Layout>,
  );
});

translationRoutes.get("/:slug/translations/new", (c) => {
  const slug = c.req.param("slug");
  const found = findOriginal(c, slug, "/new");
  if ("response" in found) return found.response;
  const { original } = found;
  if (original.status !== "published") return notFoundPage(c);
  if (currentAccount(c) == null) return loginRedirect(c, `/d/${slug}/translations/new`);
  const revision = getRevision(c.get("deps").db, original.id, original.revision)!;
  const values = {
    language: canonicalLanguageTag(c.req.query("language") ?? "") ?? "",
    revision: String(original.revision),
    title: revision.title,
    summary: revision.summary,
    body: revision.body,
  };
  return newFormPage(c, pageLanguage(c), original, values, []);
});

translationRoutes.post("/:slug/translations/new", async (c) => {
  const slug = c.req.param("slug");
  const { db, batcher, secret, config, publisher } = c.get("deps");
  const body = await readForm(c, MAX_FORM_BYTES);
  const found = findOriginal(c, slug, "/new");
  if ("response" in found) return found.response;
  if (!body.ok) return notSavedPage(c, body);
  const { original } = found;
  const account = currentAccount(c);
  if (account == null) return loginRedirect(c, `/d/${slug}/translations/new`);
  const lang = pageLanguage(c);
  const values = valuesFrom(body.value);
  if (!verifyCsrf(c, secret, config.origin, body.value[CSRF_FIELD]))
    return newFormPage(c, lang, original, values, [], 403, lang.t("translations.error.expired"));
  if (original.status !== "published")
    return newFormPage(c, lang, original, values, [{ field: "form", key: "translations.error.original" }], 409);
  const checked = checkTranslation(db, original, values, lang.locale);
  if (!checked.ok) return newFormPage(c, lang, original, values, checked.problems, 400);
  const status = body.value.action === "draft" ? "draft" : "published";
  const saved = await saveNewTranslation({ db, batcher }, original, checked.value, account.id, status, lang.locale);
  if (!saved.ok) return newFormPage(c, lang, original, values, saved.problems, 409);
  if (saved.declaration.status === "published") publisher.notify();
  return c.redirect(`/d/${saved.declaration.slug}`, 303);
});

type Owned = { original: Declaration; translation: TranslationItem } | { response: Response | Promise<Response> };

/** The translation of `slug` into the address's language, for its translator only. */
function ownedTranslation(c: Context<WebEnv>, slug: string, page: string): Owned {
  const found = findOriginal(c, slug);
  if ("response" in found) return found;
  const language = canonicalLanguageTag(c.req.param("language") ?? "");
  const translation =
    language == null ? undefined : getTranslationByLanguage(c.get("deps").db, found.original.id, language);
  if (translation == null) return { response: notFoundPage(c) };
  const account = currentAccount(c);
  if (account == null)
    return { response: loginRedirect(c, `/d/${slug}/translations/${translation.link.language}/${page}`) };
  if (translation.declaration.ownerId !== account.id) {
    const lang = pageLanguage(c);
    return {
      response: privatePage(
        c,
        lang,
        lang.t("translations.error.notOwner"),
        <section class="error-page">
          <p>{lang.t("translations.error.notOwner")}</p>
        </section>,
        403,
      ),
    };
  }
  return { original: found.original, translation };
}

translationRoutes.get("/:slug/translations/:language", (c) => {
  const found = findOriginal(c, c.req.param("slug"));
  if ("response" in found) return found.response;
  const language = canonicalLanguageTag(c.req.param("language"));
  const item = language == null ? undefined : getTranslationByLanguage(c.get("deps").db, found.original.id, language);
  if (item == null || readableDeclaration(c, item.declaration.slug) == null) return notFoundPage(c);
  return c.redirect(`/d/${item.declaration.slug}`, 303);
});

function editFormPage(
  c: Context<WebEnv>,
  lang: PageLanguage,
  owned: { original: Declaration; translation: TranslationItem },
  values: TranslationFormValues,
  problems: readonly TranslationProblem[],
  status: 200 | 400 | 403 = 200,
  formError?: string,
) {
  const { original, translation } = owned;
  const heading = lang.t("translations.form.editHeading", {
    language: languageName(translation.link.language, lang.locale),
  });
  const base = `/d/${original.slug}/translations/${translation.link.language}`;
  return privatePage(
    c,
    lang,
    heading,
    <section class="translation-editor">
      <h1>{heading}</h1>
      <p>
        <a href={`/d/${translation.declaration.slug}`}>
          <Endonym tag={translation.link.language} />: {translation.declaration.title}
        </a>
        {translation.declaration.status === "draft" && ` (${lang.t("translations.draft")})`}
      </p>
      <TranslationForm
        t={lang.t}
        locale={lang.locale}
        action={`${base}/edit?lang=${lang.locale}`}
        csrf={csrfFor(c)}
        values={values}
        latest={original.revision}
        problems={problems}
        editing={true}
        formError={formError}
      />
      {translation.declaration.status === "draft" && (
        <form method="post" action={`${base}/publish`}>
          <input type="hidden" name={CSRF_FIELD} value={csrfFor(c)} />
          <button type="submit">{lang.t("translations.form.publish")}</button>
        </form>
      )}
    </section>,
    status,
  );
}

translationRoutes.get("/:slug/translations/:language/edit", (c) => {
  const owned = ownedTranslation(c, c.req.param("slug"), "edit");
  if ("response" in owned) return owned.response;
  const { translation } = owned;
  const latest = getRevision(c.get("deps").db, translation.declaration.id, translation.declaration.revision)!;
  const values = {
    language: translation.link.language,
    revision: String(translation.link.originalRevision),
    title: latest.title,
    summary: latest.summary,
    body: latest.body,
  };
  return editFormPage(c, pageLanguage(c), owned, values, []);
});

translationRoutes.post("/:slug/translations/:language/edit", async (c) => {
  const { db, batcher, secret, config, publisher } = c.get("deps");
  const body = await readForm(c, MAX_FORM_BYTES);
  const owned = ownedTranslation(c, c.req.param("slug"), "edit");
  if ("response" in owned) return owned.response;
  if (!body.ok) return notSavedPage(c, body);
  const lang = pageLanguage(c);
  const values = { ...valuesFrom(body.value), language: owned.translation.link.language };
  if (!verifyCsrf(c, secret, config.origin, body.value[CSRF_FIELD]))
    return editFormPage(c, lang, owned, values, [], 403, lang.t("translations.error.expired"));
  const checked = checkTranslation(db, owned.original, values, lang.locale, owned.translation);
  if (!checked.ok) return editFormPage(c, lang, owned, values, checked.problems, 400);
  await saveTranslationEdit({ db, batcher }, owned.translation, checked.value);
  if (owned.translation.declaration.status === "published") publisher.notify();
  return c.redirect(`/d/${owned.translation.declaration.slug}`, 303);
});

translationRoutes.post("/:slug/translations/:language/publish", async (c) => {
  const { db, batcher, secret, config, publisher } = c.get("deps");
  const body = await readForm(c);
  const owned = ownedTranslation(c, c.req.param("slug"), "edit");
  if ("response" in owned) return owned.response;
  if (!body.ok) return notSavedPage(c, body);
  const { translation } = owned;
  if (!verifyCsrf(c, secret, config.origin, body.value[CSRF_FIELD])) {
    const latest = getRevision(db, translation.declaration.id, translation.declaration.revision)!;
    const values = {
      language: translation.link.language,
      revision: String(translation.link.originalRevision),
      title: latest.title,
      summary: latest.summary,
      body: latest.body,
    };
    const lang = pageLanguage(c);
    return editFormPage(c, lang, owned, values, [], 403, lang.t("translations.error.expired"));
  }
  if (translation.declaration.status !== "published") {
    const account = currentAccount(c)!;
    await batcher.run(() => setDeclarationStatus(db, translation.declaration.id, "published", account.id));
    publisher.notify();
  }
  return c.redirect(`/d/${translation.declaration.slug}`, 303);
});
