/** Sharing: share to Mastodon, embeds and the strike banner, badges, feeds, preview images, QR codes. */
export {
  DeclarationShare,
  declarationFiles,
  declarationMeta,
  StrikeShare,
  sharingRoutes,
  strikeMeta,
} from "./share.tsx";
export { strikeDates } from "./preview-images.ts";
