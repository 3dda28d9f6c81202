/** `/memes`: the gallery of shareable images (media marked for the gallery). */
import { Hono } from "hono";
import { listGalleryMedia } from "../db/media.ts";
import type { WebEnv } from "./context.ts";
import { mediaPath } from "./media.tsx";
import { Layout } from "./views/Layout.tsx";
import { MemesView } from "./views/Memes.tsx";

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
