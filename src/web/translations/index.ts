/** Translations of Declarations: the routes under `/d/{slug}/translations`, and the box and alternates of a Declaration's page. */
export { translationRoutes } from "./translation-routes.tsx";
export { TranslationsBox } from "./TranslationsBox.tsx";
export { translationAlternates } from "./family.ts";
