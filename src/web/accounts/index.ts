/** Accounts: register, log in and out, the account page, the site administration page. */
export { accountRoutes, siteAdminRoutes } from "./accounts.tsx";
