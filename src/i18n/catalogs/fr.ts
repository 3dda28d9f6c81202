/** Français. */
import type { MessageKey } from "./en.ts";

export const fr: Record<MessageKey, string> = {
  "language.switcher": "Langue",

  "error.notFound.title": "Page introuvable",
  "error.notFound.message": "Il n’y a aucune page à cette adresse.",
  "error.notFound.link": "Voir toutes les Déclarations",
  "error.server.title": "Une erreur s’est produite",
  "error.server.message":
    "Le serveur n’a pas pu traiter cette demande. Le problème a été consigné ; veuillez réessayer dans un instant.",
  "error.unavailable.title": "Enregistrement impossible pour le moment",
  "error.unavailable.message":
    "Le site ne peut rien enregistrer pour le moment. Rien n’a été pris en compte ; veuillez réessayer dans quelques minutes.",
  "error.diskFull":
    "Ce site ne peut rien enregistrer pour le moment : son disque est plein. Rien n’a été pris en compte ; veuillez réessayer dans quelques minutes.",
  "error.back": "Retour aux Déclarations",

  "banner.join": "Rejoindre la grève",
  "banner.hide": "Masquer la bannière de la grève",
  "banner.today": "Aujourd’hui, nous faisons grève contre les grands réseaux sociaux.",
  "banner.explain":
    "Le {dates}, nous ne publions rien sur les grandes plateformes, sauf des messages avec {tags}. Signez la Déclaration, engagez-vous à faire grève et essayez un réseau ouvert.",
  "banner.why": "Pourquoi nous faisons grève, et comment nous rejoindre",
  "banner.continue": "Continuer vers ce site",

  "signatures.count": "{count, plural, one {# signature} other {# signatures}}",

  "translations.heading": "Traductions",
  "translations.pageTitle": "Traductions de « {title} »",
  "translations.none": "Aucune traduction pour l’instant.",
  "translations.original": "l’original",
  "translations.familyTotal":
    "{count, plural, one {# signature} other {# signatures}} dans toutes les langues, chaque signature d’un texte comptée une fois :",
  "translations.add": "Traduire cette Déclaration",
  "translations.all": "Toutes les traductions",
  "translations.of": "Traduction en {language} de « {title} », version {revision}.",
  "translations.readOriginal": "Lire l’original",
  "translations.outOfDate":
    "Pas à jour : l’original a changé depuis la version {revision} ; il en est maintenant à la version {latest}.",
  "translations.whatChanged": "Voir ce qui a changé dans l’original",
  "translations.upToDate": "À jour avec la dernière version de l’original.",
  "translations.draft": "Brouillon",
  "translations.edit": "Modifier cette traduction",
  "translations.form.heading": "Traduire « {title} »",
  "translations.form.editHeading": "Modifier la traduction en {language}",
  "translations.form.intro":
    "Une traduction dit ce que dit l’original, dans une autre langue. Ce n’est pas une copie : pour changer ce que dit la Déclaration, faites-en une copie. Ses signatures comptent dans le total de la Déclaration.",
  "translations.form.language": "Langue",
  "translations.form.languageHint": "Un code de langue, comme de, fr, pt-BR ou zh-Hant.",
  "translations.form.revision": "Version de l’original traduite",
  "translations.form.title": "Titre",
  "translations.form.summary": "Résumé (facultatif)",
  "translations.form.text": "Texte (Markdown)",
  "translations.form.publish": "Publier",
  "translations.form.saveDraft": "Enregistrer comme brouillon",
  "translations.form.save": "Enregistrer",
  "translations.form.problems": "Veuillez corriger ce qui suit :",
  "translations.error.language": "Langue : indiquez un code de langue comme de, fr ou pt-BR.",
  "translations.error.sameLanguage": "Langue : l’original est déjà en {language}.",
  "translations.error.exists": "Langue : il existe déjà une traduction en {language}.",
  "translations.error.slug": "Langue : l’adresse de cette traduction, /d/{slug}, est déjà prise.",
  "translations.error.revision":
    "Version de l’original traduite : « {value} » n’est pas l’une de ses versions (1 à {latest}).",
  "translations.error.title": "Titre : donnez un titre de 1 à {max} caractères.",
  "translations.error.text": "Texte : la traduction n’a pas de texte.",
  "translations.error.textTooLong": "Texte : {max} caractères au plus.",
  "translations.error.summary": "Résumé : {max} caractères au plus.",
  "translations.error.original": "Seul un original publié peut être traduit.",
  "translations.error.expired": "Ce formulaire a expiré ou n’a pas été envoyé depuis ce site. Veuillez réessayer.",
  "translations.error.notOwner": "Seule la personne qui a traduit peut modifier cette traduction.",
};
