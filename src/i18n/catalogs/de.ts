/** Deutsch. */
import type { MessageKey } from "./en.ts";

export const de: Record<MessageKey, string> = {
  "language.switcher": "Sprache",

  "error.notFound.title": "Nicht gefunden",
  "error.notFound.message": "Unter dieser Adresse gibt es keine Seite.",
  "error.notFound.link": "Alle Erklärungen ansehen",
  "error.server.title": "Etwas ist schiefgegangen",
  "error.server.message":
    "Der Server konnte diese Anfrage nicht ausführen. Der Fehler wurde protokolliert; bitte versuch es gleich noch einmal.",
  "error.unavailable.title": "Speichern gerade nicht möglich",
  "error.unavailable.message":
    "Die Website kann im Moment nichts speichern. Es wurde nichts erfasst; bitte versuch es in ein paar Minuten noch einmal.",
  "error.diskFull":
    "Diese Website kann gerade nichts speichern: Ihr Speicherplatz ist voll. Es wurde nichts erfasst; bitte versuch es in ein paar Minuten noch einmal.",
  "error.back": "Zurück zu den Erklärungen",

  "banner.join": "Mach mit beim Streik",
  "banner.hide": "Streik-Banner ausblenden",
  "banner.today": "Heute streiken wir gegen die großen sozialen Medien.",
  "banner.explain":
    "Am {dates} posten wir auf den großen Plattformen nichts außer Hinweisen mit {tags}. Unterschreib die Erklärung, sag deine Teilnahme zu und probier ein offenes Netzwerk aus.",
  "banner.why": "Warum wir streiken und wie du mitmachst",
  "banner.continue": "Weiter zu dieser Website",

  "signatures.count": "{count, plural, one {# Unterschrift} other {# Unterschriften}}",

  "translations.heading": "Übersetzungen",
  "translations.pageTitle": "Übersetzungen von „{title}“",
  "translations.none": "Noch keine Übersetzungen.",
  "translations.original": "das Original",
  "translations.familyTotal":
    "{count, plural, one {# Unterschrift} other {# Unterschriften}} in allen Sprachen, jede Unterschrift unter jedem Text einmal gezählt:",
  "translations.add": "Diese Erklärung übersetzen",
  "translations.all": "Alle Übersetzungen",
  "translations.of": "Übersetzung von „{title}“, Version {revision}, auf {language}.",
  "translations.readOriginal": "Das Original lesen",
  "translations.outOfDate":
    "Veraltet: Das Original wurde seit Version {revision} geändert und ist jetzt bei Version {latest}.",
  "translations.whatChanged": "Sehen, was sich im Original geändert hat",
  "translations.upToDate": "Auf dem Stand der neuesten Version des Originals.",
  "translations.draft": "Entwurf",
  "translations.edit": "Diese Übersetzung bearbeiten",
  "translations.form.heading": "„{title}“ übersetzen",
  "translations.form.editHeading": "Die Übersetzung auf {language} bearbeiten",
  "translations.form.intro":
    "Eine Übersetzung sagt dasselbe wie das Original, in einer anderen Sprache. Sie ist keine Kopie: Wer ändern will, was die Erklärung sagt, macht eine Kopie. Ihre Unterschriften zählen zur Gesamtzahl der Erklärung.",
  "translations.form.language": "Sprache",
  "translations.form.languageHint": "Ein Sprachkürzel wie de, fr, pt-BR oder zh-Hant.",
  "translations.form.revision": "Übersetzte Version des Originals",
  "translations.form.title": "Titel",
  "translations.form.summary": "Zusammenfassung (freiwillig)",
  "translations.form.text": "Text (Markdown)",
  "translations.form.publish": "Veröffentlichen",
  "translations.form.saveDraft": "Als Entwurf speichern",
  "translations.form.save": "Speichern",
  "translations.form.problems": "Bitte korrigiere Folgendes:",
  "translations.error.language": "Sprache: Gib ein Sprachkürzel wie de, fr oder pt-BR an.",
  "translations.error.sameLanguage": "Sprache: Das Original ist bereits auf {language}.",
  "translations.error.exists": "Sprache: Es gibt schon eine Übersetzung auf {language}.",
  "translations.error.slug": "Sprache: Die Adresse dieser Übersetzung, /d/{slug}, ist schon vergeben.",
  "translations.error.revision":
    "Übersetzte Version des Originals: „{value}“ ist keine seiner Versionen (1 bis {latest}).",
  "translations.error.title": "Titel: Gib einen Titel mit 1 bis {max} Zeichen an.",
  "translations.error.text": "Text: Die Übersetzung hat keinen Text.",
  "translations.error.textTooLong": "Text: höchstens {max} Zeichen.",
  "translations.error.summary": "Zusammenfassung: höchstens {max} Zeichen.",
  "translations.error.original": "Nur ein veröffentlichtes Original kann übersetzt werden.",
  "translations.error.expired":
    "Dieses Formular ist abgelaufen oder wurde nicht von dieser Website gesendet. Bitte versuch es noch einmal.",
  "translations.error.notOwner": "Nur wer übersetzt hat, kann diese Übersetzung bearbeiten.",
};
