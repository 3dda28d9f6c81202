/** Accounts: register, log in and out, the account page, the site administration page. */
export { accountRoutes } from "./accounts.tsx";
