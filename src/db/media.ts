/**
 * Uploaded images (`media`) and their bytes (`media_blobs`).  Rows are
 * written by the web routes through the group commit; the bytes are already
 * re-encoded by src/images.ts.  The same image (same stored bytes) is kept once.
 */
import { randomUUID } from "node:crypto";
import { desc, eq, sql } from "drizzle-orm";
import type { DbLike } from "./client.ts";
import { fedPosts, media, mediaBlobs, type Media } from "./schema.ts";

export interface NewMediaInput {
  mime: Media["mime"];
  width: number;
  height: number;
  sha256: string;
  data: Uint8Array;
  alt: string;
  title: string;
  gallery: boolean;
  createdBy: number | null;
  created: Date;
}

export type InsertMediaOutcome = { kind: "created"; media: Media } | { kind: "existing"; media: Media };

/**
 * Stores an image and its bytes, or returns the row that already has the
 * same bytes (its alt text, title and gallery flag are left as they are).
 * Call inside a transaction (`batcher.run`), so the row and blob are written together.
 */
export function insertMedia(db: DbLike, input: NewMediaInput): InsertMediaOutcome {
  const existing = db.select().from(media).where(eq(media.sha256, input.sha256)).get();
  if (existing != null) return { kind: "existing", media: existing };
  const row = db
    .insert(media)
    .values({
      uuid: randomUUID(),
      mime: input.mime,
      width: input.width,
      height: input.height,
      bytes: input.data.byteLength,
      sha256: input.sha256,
      alt: input.alt,
      title: input.title,
      gallery: input.gallery,
      createdBy: input.createdBy,
      created: input.created,
    })
    .returning()
    .get();
  db.insert(mediaBlobs)
    .values({ mediaId: row.id, data: Buffer.from(input.data.buffer, input.data.byteOffset, input.data.byteLength) })
    .run();
  return { kind: "created", media: row };
}

export function getMediaByUuid(db: DbLike, uuid: string): Media | undefined {
  return db.select().from(media).where(eq(media.uuid, uuid)).get();
}

export function getMediaById(db: DbLike, id: number): Media | undefined {
  return db.select().from(media).where(eq(media.id, id)).get();
}

/** The stored bytes of an image. */
export function getMediaData(db: DbLike, mediaId: number): Buffer | undefined {
  return db.select({ data: mediaBlobs.data }).from(mediaBlobs).where(eq(mediaBlobs.mediaId, mediaId)).get()?.data;
}

/** Every image, newest first. */
export function listMedia(db: DbLike, limit = 500): Media[] {
  return db.select().from(media).orderBy(desc(media.id)).limit(limit).all();
}

/** The memes gallery: images marked for it, newest first. */
export function listGalleryMedia(db: DbLike, limit = 500): Media[] {
  return db.select().from(media).where(eq(media.gallery, true)).orderBy(desc(media.id)).limit(limit).all();
}

/** Changes an image's description, title and gallery flag; false when there is no such image. */
export function updateMedia(db: DbLike, id: number, fields: { alt: string; title: string; gallery: boolean }): boolean {
  return db.update(media).set(fields).where(eq(media.id, id)).run().changes > 0;
}

/** Deletes an image and its bytes (cascade); false when there was none. */
export function deleteMedia(db: DbLike, id: number): boolean {
  return db.delete(media).where(eq(media.id, id)).run().changes > 0;
}

/** How many posts (strike notices) were sent with this image. */
export function countPostsWithMedia(db: DbLike, id: number): number {
  return (
    db
      .select({ n: sql<number>`count(*)` })
      .from(fedPosts)
      .where(sql`exists (select 1 from json_each(${fedPosts.mediaIds}) where json_each.value = ${id})`)
      .get()?.n ?? 0
  );
}
