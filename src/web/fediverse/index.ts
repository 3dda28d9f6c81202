/** The fediverse on our pages: follow and sign from another server, responses, hashtags, remote avatars. */
export { avatarRoutes, avatarUrl } from "./avatars.ts";
export { interactOnDeclarations, interactRoutes } from "./interact.tsx";
export { canModerate, FediverseSections, hasResponses, responseRoutes } from "./responses.tsx";
export { tagRoutes } from "./tags.tsx";
export { siteAccountUri, SiteFollowersOf, siteFollowRoutes, siteHandle } from "./site-follow.tsx";
export { SiteFollow, type SiteFollowProps } from "./SiteFollow.tsx";
