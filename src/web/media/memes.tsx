/** `/memes`: the gallery of shareable images (media marked for the gallery). */
import { Hono } from "hono";
import { listGalleryMedia } from "../../db/media.ts";
import type { WebEnv } from "../kit/context.ts";
import { mediaPath } from "./images.tsx";
import { Layout } from "../layout/Layout.tsx";
import { MemesView } from "./MemeGallery.tsx";

export const memeRoutes = new Hono<WebEnv>();

memeRoutes.get("/memes", (c) => {
  const { db, config } = c.get("deps");
  const items = listGalleryMedia(db).map((media) => {
    const path = mediaPath(media);
    return { media, path, url: new URL(path, config.origin).href };
  });
  return c.html(
    <Layout
      title="Memes"
      siteName={config.instanceName}
      description="Images for the Social Media Strike, free to share, each with its description."
      canonical={new URL("/memes", config.origin).href}
      account={c.get("account")}
    >
      <MemesView items={items} />
    </Layout>,
  );
});
