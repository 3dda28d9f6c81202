/**
 * English: the reference catalog.  Every other catalog has exactly these
 * keys (test/i18n/catalogs.test.ts); messages are ICU MessageFormat.
 */
export const en = {
  "language.switcher": "Language",

  "error.notFound.title": "Not found",
  "error.notFound.message": "There is no page at this address.",
  "error.notFound.link": "See all Declarations",
  "error.server.title": "Something went wrong",
  "error.server.message":
    "The server could not complete this request. The problem has been logged; please try again in a moment.",
  "error.unavailable.title": "Cannot save right now",
  "error.unavailable.message":
    "The site cannot store anything at the moment. Nothing was recorded; please try again in a few minutes.",
  "error.diskFull":
    "This site cannot save anything right now: its disk is full. Nothing was recorded; please try again in a few minutes.",
  "error.back": "Back to the Declarations",

  "banner.join": "Join the strike",
  "banner.hide": "Hide the strike banner",
  "banner.today": "Today we are on strike from big social media.",
  "banner.explain":
    "On {dates} we post nothing on big platforms except notices with {tags}. Sign the Declaration, pledge to strike, and try an open network.",
  "banner.why": "Why we strike, and how to join",
  "banner.continue": "Continue to this site",

  "signatures.count": "{count, plural, one {# signature} other {# signatures}}",

  "translations.heading": "Translations",
  "translations.pageTitle": "Translations of “{title}”",
  "translations.none": "No translations yet.",
  "translations.original": "the original",
  "translations.familyTotal":
    "{count, plural, one {# signature} other {# signatures}} in all languages, counted once per signing of each text:",
  "translations.add": "Translate this Declaration",
  "translations.all": "All translations",
  "translations.of": "Translation into {language} of “{title}”, version {revision}.",
  "translations.readOriginal": "Read the original",
  "translations.outOfDate":
    "Out of date: the original has changed since version {revision}; it is now at version {latest}.",
  "translations.whatChanged": "See what changed in the original",
  "translations.upToDate": "Up to date with the original’s latest version.",
  "translations.draft": "Draft",
  "translations.edit": "Edit this translation",
  "translations.form.heading": "Translate “{title}”",
  "translations.form.editHeading": "Edit the translation into {language}",
  "translations.form.intro":
    "A translation says what the original says, in another language. It is not a copy: to change what the Declaration says, make a copy instead. Its signatures count toward the Declaration’s total.",
  "translations.form.language": "Language",
  "translations.form.languageHint": "A language tag, such as de, fr, pt-BR or zh-Hant.",
  "translations.form.revision": "Version of the original translated",
  "translations.form.title": "Title",
  "translations.form.summary": "Summary (optional)",
  "translations.form.text": "Text (Markdown)",
  "translations.form.publish": "Publish",
  "translations.form.saveDraft": "Save as draft",
  "translations.form.save": "Save",
  "translations.form.problems": "Please correct the following:",
  "translations.error.language": "Language: give a language tag such as de, fr or pt-BR.",
  "translations.error.sameLanguage": "Language: the original is already in {language}.",
  "translations.error.exists": "Language: there is already a translation into {language}.",
  "translations.error.slug": "Language: this translation’s address, /d/{slug}, is already taken.",
  "translations.error.revision":
    "Version of the original translated: “{value}” is not one of its versions (1 to {latest}).",
  "translations.error.title": "Title: give a title of 1 to {max} characters.",
  "translations.error.text": "Text: the translation has no text.",
  "translations.error.textTooLong": "Text: at most {max} characters.",
  "translations.error.summary": "Summary: at most {max} characters.",
  "translations.error.original": "Only a published original can be translated.",
  "translations.error.expired": "This form expired or was not sent from this site. Please try again.",
  "translations.error.notOwner": "Only the translator can edit this translation.",
} as const;

export type MessageKey = keyof typeof en;
