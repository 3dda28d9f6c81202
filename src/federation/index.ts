/**
 * Public face of the federation module: the builder with every registration
 * loaded, the runtime that builds it, and the Hono glue.  Web code imports
 * from here only.
 */
import "./actors.ts";
import "./collections.ts";
import "./inbox.ts";
import "./nodeinfo.ts";
import "./notices.ts";
import "./objects.ts";
import "./publish.ts";

export { builder, INSTANCE_ACTOR, type FedData } from "./builder.ts";
export { federationMiddleware } from "./hono.ts";
export {
  ACCOUNT_MAX,
  findInteractionUrl,
  interactionTarget,
  parseAccount,
  type AccountInput,
  type InteractionFailure,
  type InteractionIntent,
} from "./interaction.ts";
export { localDeclarationSlug, lookupRemoteObject, type RemoteObjectSummary } from "./remote-objects.ts";
export { fetchRemoteImage, isPrivateHostLiteral, sniffImageType, type ImageFetch, type ImageType } from "./media.ts";
export { type Publisher } from "./publish.ts";
export { currentStrikeSettings, listSentNotices, mediaPath, nextNoticeAt, postNoticesNow, type SentNotice } from "./notices.ts";
export { createFederationRuntime, type FederationRuntime, type FederationRuntimeOptions } from "./runtime.ts";
