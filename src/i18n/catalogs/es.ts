/** Español. */
import type { MessageKey } from "./en.ts";

export const es: Record<MessageKey, string> = {
  "language.switcher": "Idioma",

  "error.notFound.title": "No encontrado",
  "error.notFound.message": "No hay ninguna página en esta dirección.",
  "error.notFound.link": "Ver todas las Declaraciones",
  "error.server.title": "Algo salió mal",
  "error.server.message":
    "El servidor no pudo completar esta solicitud. El problema quedó registrado; vuelve a intentarlo en un momento.",
  "error.unavailable.title": "No se puede guardar ahora",
  "error.unavailable.message":
    "El sitio no puede guardar nada en este momento. No se registró nada; vuelve a intentarlo en unos minutos.",
  "error.diskFull":
    "Este sitio no puede guardar nada ahora: su disco está lleno. No se registró nada; vuelve a intentarlo en unos minutos.",
  "error.back": "Volver a las Declaraciones",

  "banner.join": "Únete a la huelga",
  "banner.hide": "Ocultar el aviso de la huelga",
  "banner.today": "Hoy estamos en huelga contra las grandes redes sociales.",
  "banner.explain":
    "El {dates} no publicamos nada en las grandes plataformas, salvo avisos con {tags}. Firma la Declaración, comprométete a hacer huelga y prueba una red abierta.",
  "banner.why": "Por qué hacemos huelga y cómo sumarte",
  "banner.continue": "Continuar a este sitio",

  "signatures.count": "{count, plural, one {# firma} other {# firmas}}",

  "translations.heading": "Traducciones",
  "translations.pageTitle": "Traducciones de «{title}»",
  "translations.none": "Todavía no hay traducciones.",
  "translations.original": "el original",
  "translations.familyTotal":
    "{count, plural, one {# firma} other {# firmas}} en todos los idiomas, cada firma de cada texto contada una vez:",
  "translations.add": "Traducir esta Declaración",
  "translations.all": "Todas las traducciones",
  "translations.of": "Traducción al {language} de «{title}», versión {revision}.",
  "translations.readOriginal": "Leer el original",
  "translations.outOfDate":
    "Desactualizada: el original cambió desde la versión {revision}; ahora va por la versión {latest}.",
  "translations.whatChanged": "Ver qué cambió en el original",
  "translations.upToDate": "Al día con la última versión del original.",
  "translations.draft": "Borrador",
  "translations.edit": "Editar esta traducción",
  "translations.form.heading": "Traducir «{title}»",
  "translations.form.editHeading": "Editar la traducción al {language}",
  "translations.form.intro":
    "Una traducción dice lo mismo que el original, en otro idioma. No es una copia: para cambiar lo que dice la Declaración, haz una copia. Sus firmas cuentan para el total de la Declaración.",
  "translations.form.language": "Idioma",
  "translations.form.languageHint": "Un código de idioma, como de, fr, pt-BR o zh-Hant.",
  "translations.form.revision": "Versión del original traducida",
  "translations.form.title": "Título",
  "translations.form.summary": "Resumen (opcional)",
  "translations.form.text": "Texto (Markdown)",
  "translations.form.publish": "Publicar",
  "translations.form.saveDraft": "Guardar como borrador",
  "translations.form.save": "Guardar",
  "translations.form.problems": "Corrige lo siguiente:",
  "translations.error.language": "Idioma: indica un código de idioma como de, fr o pt-BR.",
  "translations.error.sameLanguage": "Idioma: el original ya está en {language}.",
  "translations.error.exists": "Idioma: ya existe una traducción al {language}.",
  "translations.error.slug": "Idioma: la dirección de esta traducción, /d/{slug}, ya está ocupada.",
  "translations.error.revision": "Versión del original traducida: «{value}» no es una de sus versiones (1 a {latest}).",
  "translations.error.title": "Título: escribe un título de 1 a {max} caracteres.",
  "translations.error.text": "Texto: la traducción no tiene texto.",
  "translations.error.textTooLong": "Texto: {max} caracteres como máximo.",
  "translations.error.summary": "Resumen: {max} caracteres como máximo.",
  "translations.error.original": "Solo se puede traducir un original publicado.",
  "translations.error.expired": "Este formulario caducó o no se envió desde este sitio. Vuelve a intentarlo.",
  "translations.error.notOwner": "Solo quien hizo la traducción puede editarla.",
};
