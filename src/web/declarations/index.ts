/** Declarations: the list, each Declaration's page, its versions and history, its Markdown file. */
export { CopyMark, DeclarationList, wordsDiffer } from "./DeclarationList.tsx";
export { declarationPages, pages, versionPage } from "./pages.tsx";
export { reportRoutes } from "./report.tsx";
