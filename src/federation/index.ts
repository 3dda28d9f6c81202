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

export { builder, INSTANCE_ACTOR, SITE_ACTOR, type FedData } from "./builder.ts";
export { siteActorUri, siteHandleOf, siteIntroductionOf, sitePostPath } from "./site-account.ts";
export { federationMiddleware } from "./hono.ts";
export type { InboundMessage } from "./inbound-message.ts";
export {
  ACCOUNT_MAX,
  findInteractionUrl,
  interactionTarget,
  parseAccount,
  type AccountInput,
  type InteractionFailure,
  type InteractionIntent,
} from "./interaction.ts";
export {
  checkRemoteCopy,
  keepRevision,
  refreshRemoteSource,
  refreshStaleRemoteLinks,
  revisionArticleJson,
  type CopyCheck,
  type SourceCheck,
} from "./copies.ts";
export {
  fetchArticle,
  MAX_REMOTE_BODY_BYTES,
  MAX_REMOTE_DOCUMENT_BYTES,
  MAX_SOURCE_CHAIN,
  resolveRemoteDeclaration,
  type RemoteArticle,
  type ResolvedDeclaration,
  type Resolution,
} from "./remote-declarations.ts";
export { localDeclarationSlug, lookupRemoteObject, type RemoteObjectSummary } from "./remote-objects.ts";
export {
  DEFAULT_SIGNING_REACTIONS,
  MAX_SIGNING_EMOJI,
  parseSigningReactions,
  readSigningReactions,
  type SigningReactions,
} from "./reactions.ts";
export {
  fetchRemoteImage,
  isPrivateHostLiteral,
  isPublicAddress,
  sniffImageType,
  type ImageFetch,
  type ImageType,
} from "./guarded-fetch.ts";
export type { Publisher } from "./publish.ts";
export {
  currentStrikeSettings,
  listSentNotices,
  mediaPath,
  nextNoticeAt,
  noticeKeyUsed,
  postNoticesNow,
  previewNoticesNow,
  type NoticePreview,
  type SentNotice,
} from "./notices.ts";
export { createFederationRuntime, type FederationRuntime, type FederationRuntimeOptions } from "./runtime.ts";
