/** Declarations: the list, each Declaration's page, its versions and history, its Markdown file. */
export { DeclarationList } from "./DeclarationList.tsx";
export { declarationPages, pages, versionPage } from "./pages.tsx";
