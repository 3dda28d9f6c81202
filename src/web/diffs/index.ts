/** Comparison pages: two versions of a Declaration, or two Declarations. */
export { diffRoutes } from "./diff-pages.tsx";
