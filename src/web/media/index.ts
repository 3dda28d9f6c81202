/** Uploaded images: serving them, the admin's page, the memes gallery. */
export { mediaAdminRoutes, mediaPath, mediaRoutes } from "./images.tsx";
export { memeRoutes } from "./memes.tsx";
