/** Comparison pages: two versions of a Declaration, or two Declarations. */
export { declarationDiffRoutes, diffRoutes } from "./diff-pages.tsx";
export { CompareLink, compareWithSourceHref } from "./CompareLink.tsx";
