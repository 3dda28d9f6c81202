/** The JSON API: Declarations, signatures, signing. */
export { api } from "./api.ts";
