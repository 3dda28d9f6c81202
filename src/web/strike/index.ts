/** The strike page and pledges. */
export { NoticeList } from "./NoticeList.tsx";
export { strikeRoutes } from "./strike-page.tsx";
