/** Administration: the fediverse (servers, blocks, reports, held signatures) and the strike. */
export { federationAdminRoutes } from "./federation-admin.tsx";
export { strikeAdminRoutes } from "./strike-admin.tsx";
