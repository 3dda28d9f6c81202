/**
 * What writing the Public address in full costs on every served ActivityPub
 * document (src/federation/public-address.ts, decision 0018), against the
 * cost of serving that document in the same run (Fedify's dispatcher and
 * JSON-LD compaction, through the app): the actor (key fetches, the most
 * frequent), the pinned announcement (boosts fetch it), the Article, and an
 * outbox page of 50 activities with their objects.  Also the announcement's
 * opening words (openingParagraphs on a 200 KB text), built on every serve.
 *
 *   node --import tsx bench/served-documents.ts [--write]
 *
 * In process, no network: it measures CPU per document.  `--write` appends a
 * dated section to bench/RESULTS.md with the 1-minute load average.
 */
import { appendFileSync, readFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { appendRevision, getDeclarationBySlug } from "../src/db/declarations.ts";
import { getPost } from "../src/db/posts.ts";
import { fullPublicAddress, withFullPublicAddress } from "../src/federation/public-address.ts";
import { openingParagraphs } from "../src/markdown.ts";
import { addDeclaration, createTestApp } from "../test/helpers/app.ts";

const AP = { headers: { accept: "application/activity+json" } };
const ROUNDS = Number(process.env.BENCH_ROUNDS || "300");

async function time(rounds: number, fn: () => Promise<unknown> | unknown): Promise<number> {
  for (let i = 0; i < Math.min(20, rounds); i++) await fn();
  const start = process.hrtime.bigint();
  for (let i = 0; i < rounds; i++) await fn();
  return Number(process.hrtime.bigint() - start) / 1e3 / rounds;
}

async function main(): Promise<void> {
  const t = await createTestApp();
  const body = readFileSync(join(import.meta.dirname, "..", "declarations", "digital-independence.md"), "utf8").split(
    "---",
  )[2]!;
  const d = addDeclaration(t.db, { slug: "rights", body });
  await t.publisher.runOnce();
  // 50 more activities for a full outbox page.
  for (let i = 0; i < 49; i++) {
    const current = getDeclarationBySlug(t.db, "rights")!;
    t.db.transaction((tx) =>
      appendRevision(tx, current, {
        title: current.title,
        summary: current.summary,
        body: `${body}\n\nRevision ${i}.\n`,
        changeSummary: `r${i}`,
        origin: "site",
      }),
    );
    await t.publisher.runOnce();
  }
  const paths: Record<string, string> = {
    actor: "/d/rights",
    announcement: `/ap/notes/${getPost(t.db, d.id, "announcement")!.uuid}`,
    article: `/ap/articles/${getPost(t.db, d.id, "article")!.uuid}`,
    "outbox page (50)": "/d/rights/outbox?cursor=0",
  };
  const rows: string[][] = [];
  for (const [name, path] of Object.entries(paths)) {
    const serve = await time(ROUNDS, async () => (await t.app.request(path, AP)).arrayBuffer());
    const sample = await t.app.request(path, AP);
    const text = await sample.text();
    const headers = Object.fromEntries(sample.headers);
    const rewrite = await time(ROUNDS, async () =>
      (await withFullPublicAddress(new Response(text, { headers }))).arrayBuffer(),
    );
    const parse = await time(ROUNDS, () => fullPublicAddress(JSON.parse(text)));
    rows.push([
      name,
      `${(text.length / 1024).toFixed(1)} KiB`,
      serve.toFixed(0),
      rewrite.toFixed(0),
      parse.toFixed(0),
      `${((rewrite / serve) * 100).toFixed(1)} %`,
    ]);
  }
  const long = `${body}\n`.repeat(Math.ceil(200_000 / body.length));
  const opening = await time(ROUNDS, () => openingParagraphs(long, 500, "A summary."));
  // Served announcements take it from a per-revision cache (objects.ts); this is the first serve of a revision.
  const load = loadavg()[0]!.toFixed(2);
  const table = [
    "| document | size | serve (µs, app.request) | full-address rewrite (µs) | of which JSON rewrite (µs) | rewrite / serve |",
    "|---|---:|---:|---:|---:|---:|",
    ...rows.map((r) => `| ${r.join(" | ")} |`),
  ].join("\n");
  const text = `${table}\n\nOpening words of a ${Math.round(long.length / 1000)} KB text (openingParagraphs, reading its first 4,000 characters; worked out once per revision, then kept): ${opening.toFixed(0)} µs.\n`;
  process.stdout.write(`${text}\n1-minute load average: ${load}; ${ROUNDS} rounds each.\n`);
  if (process.argv.includes("--write")) {
    appendFileSync(
      join(import.meta.dirname, "RESULTS.md"),
      `\n### Served documents: the Public address in full (${new Date().toISOString().slice(0, 10)})\n\n` +
        `\`node --import tsx bench/served-documents.ts\`, in process, ${ROUNDS} rounds each; 1-minute load average ${load} when it ended (the machine is shared). ` +
        "The baseline is serving the same document through the app in the same run (Fedify's dispatcher and JSON-LD compaction included).\n\n" +
        text,
    );
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
