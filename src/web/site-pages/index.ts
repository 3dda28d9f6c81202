/** Site pages: about, the FAQ and resources (and their editor), the owner's introduction on /, the privacy page. */
export { privacy } from "./privacy.tsx";
export { sitePageEditorRoutes, sitePageRoutes } from "./site-pages.tsx";
export { introductionEditorRoutes, SiteIntroduction } from "./introduction.tsx";
