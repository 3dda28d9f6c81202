/** Copies: copy and edit, publish, take in a source's changes, copies from and on other sites, the lineage page. */
export { compareElsewhereRoutes } from "./compare-elsewhere.tsx";
export { copyRoutes } from "./copies.tsx";
export { copiesElsewhereRoutes, revisionAsArticle } from "./copies-elsewhere.tsx";
export { familyOf, lineageRoutes } from "./lineage.tsx";
export { mergeRoutes } from "./merge.tsx";
export { copySource, type ProposedChangesSection, proposedChangesSection } from "./provenance.ts";
