/**
 * HTML from another server back to Markdown, for copying a Declaration whose
 * server publishes no Markdown `source`.  The HTML is sanitized first (only
 * the tags below survive, scripts and attributes go), then the common blocks
 * and inline marks are written as Markdown.  It is a fair approximation, not
 * a faithful one: the copy page says so.  Pure, no I/O.
 */
import sanitizeHtml from "sanitize-html";

const KEEP: sanitizeHtml.IOptions = {
  allowedTags: [
    "p",
    "br",
    "a",
    "del",
    "s",
    "pre",
    "code",
    "em",
    "strong",
    "b",
    "i",
    "ul",
    "ol",
    "li",
    "blockquote",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
  ],
  allowedAttributes: { a: ["href"] },
  allowedSchemes: ["http", "https"],
  disallowedTagsMode: "discard",
  nonTextTags: ["script", "style", "textarea", "option", "noscript", "template"],
};

function decode(text: string): string {
  return text
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&nbsp;/g, " ")
    .replace(/&amp;/g, "&");
}

function inline(html: string): string {
  return (
    decode(
      html
        .replace(/<br\s*\/?>/gi, "\u0000")
        .replace(/<(strong|b)>([\s\S]*?)<\/\1>/gi, (_, _t, t: string) => `**${t}**`)
        .replace(/<(em|i)>([\s\S]*?)<\/\1>/gi, (_, _t, t: string) => `*${t}*`)
        .replace(/<(del|s)>([\s\S]*?)<\/\1>/gi, (_, _t, t: string) => `~~${t}~~`)
        .replace(/<code>([\s\S]*?)<\/code>/gi, (_, t: string) => `\`${t.replace(/`/g, "")}\``)
        .replace(
          /<a href="([^"]*)">([\s\S]*?)<\/a>/gi,
          (_, href: string, t: string) => `[${t}](${href.replace(/[()\s]/g, encodeURIComponent)})`,
        )
        .replace(/<[^>]+>/g, "")
        // Text between the marks: escape what Markdown would read as syntax.
        .replace(
          /(^|[*`~\])])([^*`~[\]()]+)/g,
          (_all, lead: string, text: string) => lead + text.replace(/([\\_])/g, "\\$1"),
        ),
    )
      .replace(/[ \t]+/g, " ")
      .trim()
      // A line break (Markdown's backslash form: trailing spaces are trimmed by the diff).
      .replace(/ ?\u0000 ?/g, "\\\n")
  );
}

function list(html: string, ordered: boolean): string {
  const items = [...html.matchAll(/<li>([\s\S]*?)<\/li>/gi)].map((m) => inline(m[1]!.replace(/<\/?p>/gi, " ")));
  return items.map((item, i) => `${ordered ? `${i + 1}.` : "-"} ${item}`).join("\n");
}

/** Sanitized Markdown approximating `html`. */
export function htmlToMarkdown(html: string): string {
  const clean = sanitizeHtml(html, KEEP).replace(/\r\n?/g, "\n");
  const blocks: string[] = [];
  const pattern = /<(h[1-6]|p|pre|blockquote|ul|ol|hr)>([\s\S]*?)(?:<\/\1>|$)|([^<]+)/gi;
  const rest = clean.replace(/<hr \/>|<hr>/gi, "<hr></hr>");
  for (const match of rest.matchAll(pattern)) {
    const tag = match[1]?.toLowerCase();
    const content = match[2] ?? "";
    if (tag == null) {
      const text = inline(match[3] ?? "");
      if (text !== "") blocks.push(text);
    } else if (/^h[1-6]$/.test(tag)) blocks.push(`${"#".repeat(Number(tag[1]))} ${inline(content)}`);
    else if (tag === "p") blocks.push(inline(content));
    else if (tag === "pre")
      blocks.push(
        `\`\`\`\n${decode(content.replace(/<[^>]+>/g, ""))
          .replace(/```/g, "` ` `")
          .replace(/\n+$/, "")}\n\`\`\``,
      );
    else if (tag === "blockquote")
      blocks.push(
        htmlToMarkdown(content)
          .trimEnd()
          .split("\n")
          .map((l) => (l === "" ? ">" : `> ${l}`))
          .join("\n"),
      );
    else if (tag === "ul" || tag === "ol") blocks.push(list(content, tag === "ol"));
    else if (tag === "hr") blocks.push("---");
  }
  return `${blocks.filter((b) => b.trim() !== "").join("\n\n")}\n`;
}
