/**
 * Public face of the federation module: the builder with every registration
 * loaded, and the Hono glue.  Web code imports from here only.
 */
import "./nodeinfo.ts";

export { builder, type FedData } from "./builder.ts";
export { federationMiddleware } from "./hono.ts";
