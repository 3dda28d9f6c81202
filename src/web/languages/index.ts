/** The language switcher's route (the choice itself is made by src/web/kit/locale.ts). */
export { languageRoutes } from "./language-routes.ts";
