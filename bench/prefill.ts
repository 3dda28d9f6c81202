/**
 * Fills an undersign database (already migrated, with the Declaration
 * imported, and with the server stopped) with confirmed public signatures,
 * fast: one prepared INSERT, transactions of 50,000 rows, no fsync during the
 * load (synchronous=OFF on this connection only), a checkpoint at the end.
 * `declarations.signature_count` is set to the number of confirmed rows, as
 * the app maintains it.
 *
 *   node --import tsx bench/prefill.ts <data-dir>/undersign.sqlite digital-independence 1000000 [public-share]
 */
import { createHash, randomBytes } from "node:crypto";
import Database from "better-sqlite3";

export interface PrefillResult {
  inserted: number;
  seconds: number;
  minId: number;
  maxId: number;
  signatureCount: number;
  /** Signatures shown by name (the rest are "count only"). */
  publicCount: number;
  /** An id for `before=`: the oldest public signatures (the last page of the list) lie below it. */
  deepBefore: number;
  fileBytes: number;
}

const PLACES = ["Berlin", "Lyon", "Nairobi", "Porto Alegre", "Osaka", "Toronto", "Wellington", "Kraków", null, null];

/**
 * `publicShare` (0–1] of the rows, spread evenly, show the signer's name; the
 * others chose "count only".
 */
export function prefillSignatures(
  file: string,
  slug: string,
  count: number,
  publicShare = 1,
  batchSize = 50_000,
): PrefillResult {
  const publicEvery = Math.max(1, Math.round(1 / publicShare));
  const started = performance.now();
  const db = new Database(file);
  try {
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = OFF");
    db.pragma("cache_size = -200000"); // 200 MB while loading
    const declaration = db.prepare("SELECT id, revision FROM declarations WHERE slug = ?").get(slug) as
      | { id: number; revision: number }
      | undefined;
    if (declaration == null) throw new Error(`No Declaration ${slug} in ${file}; start the server once first.`);

    const insert = db.prepare(
      `INSERT INTO signatures
         (declaration_id, revision, first_revision, kind, status, name, place, website, comment, public, token_hash, created, confirmed)
       VALUES (?, ?, ?, 'browser', 'confirmed', ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const salt = randomBytes(8).toString("hex");
    // Spread the signing times over the 30 days before now, oldest first.
    const now = Date.now();
    const span = 30 * 86_400_000;
    const insertBatch = db.transaction((from: number, to: number) => {
      for (let i = from; i < to; i++) {
        const created = now - span + Math.floor((span * i) / count);
        insert.run(
          declaration.id,
          declaration.revision,
          declaration.revision,
          `Bench Signer ${i + 1}`,
          PLACES[i % PLACES.length] ?? null,
          i % 7 === 0 ? `https://example.org/~signer${i + 1}` : null,
          i % 25 === 0 ? `I sign because it matters, reason number ${i + 1}, "quoted", with a comma.` : null,
          i % publicEvery === 0 ? 1 : 0,
          createHash("sha256").update(`${salt}:${i}`).digest("hex"),
          created,
          created,
        );
      }
    });
    for (let from = 0; from < count; from += batchSize) insertBatch(from, Math.min(count, from + batchSize));

    const confirmed = (
      db
        .prepare("SELECT count(*) AS n FROM signatures WHERE declaration_id = ? AND status = 'confirmed'")
        .get(declaration.id) as { n: number }
    ).n;
    db.prepare("UPDATE declarations SET signature_count = ? WHERE id = ?").run(confirmed, declaration.id);
    const range = db
      .prepare("SELECT min(id) AS minId, max(id) AS maxId FROM signatures WHERE declaration_id = ?")
      .get(declaration.id) as {
      minId: number;
      maxId: number;
    };
    const publicCount = (
      db
        .prepare(
          "SELECT count(*) AS n FROM signatures WHERE declaration_id = ? AND status = 'confirmed' AND public = 1",
        )
        .get(declaration.id) as { n: number }
    ).n;
    const deep = db
      .prepare(
        "SELECT id FROM signatures WHERE declaration_id = ? AND status = 'confirmed' AND public = 1 ORDER BY id LIMIT 1 OFFSET 60",
      )
      .get(declaration.id) as { id: number } | undefined;
    db.pragma("wal_checkpoint(TRUNCATE)");
    const pages = db.pragma("page_count", { simple: true }) as number;
    const pageSize = db.pragma("page_size", { simple: true }) as number;
    return {
      inserted: count,
      seconds: (performance.now() - started) / 1000,
      minId: range.minId,
      maxId: range.maxId,
      signatureCount: confirmed,
      publicCount,
      deepBefore: deep?.id ?? range.maxId + 1,
      fileBytes: pages * pageSize,
    };
  } finally {
    db.close();
  }
}

if (import.meta.main) {
  const [file, slug = "digital-independence", count = "1000000", share = "1"] = process.argv.slice(2);
  if (file == null) {
    process.stderr.write(
      "usage: node --import tsx bench/prefill.ts <undersign.sqlite> [slug] [count] [public-share]\n",
    );
    process.exit(2);
  }
  const result = prefillSignatures(file, slug, Number(count), Number(share));
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
