/** Site pages: the FAQ and resources (and their editor), the privacy page. */
export { privacy } from "./privacy.tsx";
export { sitePageEditorRoutes, sitePageRoutes } from "./site-pages.tsx";
