/** The strike bot's pages: connect an account, plan posts. */
export { botRoutes } from "./bot-pages.tsx";
