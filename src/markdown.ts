/**
 * Markdown → safe HTML.  One configured `Marked` instance; its output always
 * passes through sanitize-html with an allow-list, because Declarations can be
 * written by anyone who makes a copy.  Pure: no I/O.
 */
import { Marked } from "marked";
import sanitizeHtml from "sanitize-html";

const marked = new Marked({ gfm: true, breaks: false, async: false });

const SANITIZE_OPTIONS: sanitizeHtml.IOptions = {
  allowedTags: [
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "p",
    "br",
    "hr",
    "blockquote",
    "pre",
    "code",
    "em",
    "strong",
    "del",
    "s",
    "sub",
    "sup",
    "mark",
    "abbr",
    "q",
    "cite",
    "kbd",
    "ul",
    "ol",
    "li",
    "dl",
    "dt",
    "dd",
    "a",
    "img",
    "table",
    "thead",
    "tbody",
    "tfoot",
    "tr",
    "th",
    "td",
    "caption",
    "details",
    "summary",
  ],
  allowedAttributes: {
    a: ["href", "title", "rel"],
    img: ["src", "alt", "title", "width", "height"],
    ol: ["start"],
    th: ["align", "colspan", "rowspan"],
    td: ["align", "colspan", "rowspan"],
    abbr: ["title"],
    code: ["class"],
  },
  allowedClasses: { code: [/^language-[\w+-]+$/] },
  allowedSchemes: ["http", "https", "mailto"],
  allowedSchemesByTag: {
    // Images are loaded only from our own site: a remote image would be a
    // third-party request on every page view.  Relative URLs remain allowed.
    img: [],
  },
  allowProtocolRelative: false,
  disallowedTagsMode: "discard",
  // Text inside these is dropped with the tag, not shown as text.
  nonTextTags: [
    "script",
    "style",
    "textarea",
    "option",
    "noscript",
    "title",
    "iframe",
    "object",
    "embed",
    "template",
    "svg",
    "math",
  ],
  transformTags: {
    a: (tagName, attribs) => {
      const { rel: _ignored, href: rawHref, ...rest } = attribs;
      if (rawHref === undefined) return { tagName, attribs: rest };
      // Classify (and emit) the URL the way a browser reads it.  Browsers drop
      // leading/trailing C0 controls and spaces and every tab/newline inside a
      // URL, so `" https://x"`, `"\u0001https://x"` or `"ht\ttps://x"` are
      // external links too; testing the raw attribute let them through without
      // rel="nofollow noopener noreferrer".  The scheme allow-list still
      // applies to the cleaned value afterwards.
      const href = browserUrl(rawHref);
      const external = /^[a-z][a-z0-9+.-]*:/i.test(href) && !/^mailto:/i.test(href);
      return {
        tagName,
        attribs: external ? { ...rest, href, rel: "nofollow noopener noreferrer" } : { ...rest, href },
      };
    },
  },
};

/** A URL as the WHATWG URL parser sees it before parsing (see `transformTags.a`). */
function browserUrl(url: string): string {
  // eslint-disable-next-line no-control-regex
  return url.replace(/^[\x00-\x20]+|[\x00-\x20]+$/g, "").replace(/[\t\n\r]/g, "");
}

/**
 * marked parses nested containers and emphasis recursively, so a few thousand
 * levels (`"> ".repeat(10_000)`, `"- ".repeat(10_000)`, `"*".repeat(10_000)`…)
 * overflow the stack and renderMarkdown threw a RangeError — any Declaration
 * could make its own page (and anything listing it) fail.  Two guards:
 * 1. Lines that open more than MAX_LINE_NESTING block containers (`>`, `-`,
 *    `*`, `+`, `1.`, `1)`) are cut down to MAX_LINE_NESTING.  This handles the
 *    cheap one-line attack quickly and keeps the rest of the document.  Real
 *    documents never nest that deep; nesting spread over many lines needs input
 *    quadratic in the depth and stays far below the overflow point.
 * 2. If marked still overflows (e.g. deep emphasis), the document is shown as
 *    escaped plain-text paragraphs instead of throwing.
 */
const MAX_LINE_NESTING = 64;
const CONTAINER_MARKER = /[ \t]*(?:>|(?:[*+-]|\d{1,9}[.)])(?=[ \t]|$))/y;

function capLineNesting(markdown: string): string {
  if (markdown.length < MAX_LINE_NESTING * 2) return markdown;
  return markdown
    .split("\n")
    .map((line) => {
      CONTAINER_MARKER.lastIndex = 0;
      let count = 0;
      let cut = 0;
      let end = 0;
      // A failed sticky test() resets lastIndex, so remember the last match end.
      while (CONTAINER_MARKER.test(line)) {
        end = CONTAINER_MARKER.lastIndex;
        if (++count === MAX_LINE_NESTING) cut = end;
      }
      if (count <= MAX_LINE_NESTING) return line;
      return line.slice(0, cut) + line.slice(end);
    })
    .join("\n");
}

export function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** marked's HTML for `markdown`, never throwing on pathological nesting. */
function parseMarkdown(markdown: string): string {
  const source = capLineNesting(markdown.replace(/\0/g, "\uFFFD"));
  try {
    return marked.parse(source) as string;
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    return source
      .split(/\n[ \t]*\n/)
      .filter((paragraph) => paragraph.trim() !== "")
      .map((paragraph) => `<p>${escapeHtml(paragraph)}</p>\n`)
      .join("");
  }
}

/** Sanitizes HTML that did not come from our own renderer (remote content). */
export function sanitize(html: string): string {
  return sanitizeHtml(html, SANITIZE_OPTIONS);
}

/**
 * What a fediverse post (a reply shown under a Declaration) may keep: the
 * tags Mastodon itself keeps, with links made external and relative links
 * dropped (a remote post's relative link would point into our site), and no
 * images (a remote image would be a third-party request on every page view).
 */
const REMOTE_OPTIONS: sanitizeHtml.IOptions = {
  ...SANITIZE_OPTIONS,
  allowedTags: [
    "p",
    "br",
    "a",
    "span",
    "del",
    "s",
    "pre",
    "code",
    "em",
    "strong",
    "b",
    "i",
    "u",
    "ul",
    "ol",
    "li",
    "blockquote",
  ],
  allowedAttributes: { a: ["href", "rel"], span: ["class"], ol: ["start"] },
  allowedClasses: { span: ["h-card", "invisible", "ellipsis"] },
  allowedSchemesAppliedToAttributes: ["href"],
  transformTags: {
    a: (tagName, attribs): sanitizeHtml.Tag => {
      const href = browserUrl(attribs.href ?? "");
      if (!/^https?:\/\//i.test(href)) return { tagName: "span", attribs: {} };
      return { tagName, attribs: { href, rel: "nofollow noopener noreferrer ugc" } };
    },
  },
};

/** Sanitizes the HTML of a post from another server (stricter than our own). */
export function sanitizeRemoteHtml(html: string): string {
  return sanitizeHtml(html, REMOTE_OPTIONS);
}

/** Renders Markdown to sanitized HTML. */
export function renderMarkdown(markdown: string): string {
  return sanitize(parseMarkdown(markdown));
}

/**
 * Plain text of a Markdown snippet (for meta descriptions and summaries).  The
 * result is text, not HTML: escape it when writing it into a page (Hono JSX does).
 */
export function markdownToText(markdown: string): string {
  return htmlToText(parseMarkdown(markdown));
}

/** Plain text of an HTML fragment, whitespace collapsed.  Text, not HTML: escape it when writing it into a page. */
export function htmlToText(html: string): string {
  return sanitizeHtml(html, { allowedTags: [], allowedAttributes: {} })
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, "&")
    .replace(/\s+/g, " ")
    .trim();
}

function absoluteAttribute(attribute: "href" | "src", base: URL) {
  return (tagName: string, attribs: sanitizeHtml.Attributes): sanitizeHtml.Tag => {
    const value = attribs[attribute];
    // Already absolute (a scheme, or protocol-relative): left as written.
    if (value == null || /^[a-z][a-z0-9+.-]*:/i.test(value) || value.startsWith("//") || !URL.canParse(value, base))
      return { tagName, attribs };
    return { tagName, attribs: { ...attribs, [attribute]: new URL(value, base).href } };
  };
}

/**
 * The same sanitized HTML with every relative link and image made absolute
 * against `base`.  Other servers (and feed readers) show our HTML on their own
 * pages, where `href="/faq"` or `src="/media/…"` would point at themselves.
 * Only for HTML that already passed `sanitize` (every tag and attribute in it
 * is kept as it is).
 */
export function absoluteLinks(html: string, base: URL): string {
  return sanitizeHtml(html, {
    ...SANITIZE_OPTIONS,
    // The first pass let images through only with relative addresses: made
    // absolute against our own page, they stay on our site.
    allowedSchemesByTag: {},
    transformTags: { a: absoluteAttribute("href", base), img: absoluteAttribute("src", base) },
  });
}

/** Renders Markdown for other servers and feeds: `renderMarkdown`, with links and images absolute against `base`. */
export function renderMarkdownAbsolute(markdown: string, base: URL): string {
  return absoluteLinks(renderMarkdown(markdown), base);
}

/** How much of a text `openingParagraphs` reads. */
const OPENING_SOURCE_MAX = 4_000;

const sentences = new Intl.Segmenter("en", { granularity: "sentence" });

function length(text: string): number {
  return [...text].length;
}

/** `text` shortened to at most `max` characters: whole sentences when one fits, else whole words, then "…". */
function shorten(text: string, max: number): string | null {
  let kept = "";
  for (const { segment } of sentences.segment(text)) {
    if (length(kept + segment) + 2 > max) break;
    kept += segment;
  }
  if (kept.trim() !== "") return `${kept.trim()} …`;
  const words = text.split(" ");
  kept = "";
  for (const word of words) {
    const next = kept === "" ? word : `${kept} ${word}`;
    if (length(next) + 1 > max) break;
    kept = next;
  }
  if (kept !== "") return `${kept}…`;
  // One word longer than the room (a long URL): cut it.
  return max > 1 ? `${[...text].slice(0, max - 1).join("")}…` : null;
}

/**
 * The opening of a text as plain-text paragraphs, at most `max` characters in
 * all: `lead` (a summary, already plain text) when there is one, then the
 * first paragraphs of the Markdown (headings before the first paragraph are
 * skipped; the first other block after it ends the opening).  A paragraph
 * that does not fit whole is shortened to the sentences that fit (or, when
 * nothing was taken yet, to the words that fit) and marked with "…".
 */
export function openingParagraphs(markdown: string, max: number, lead = ""): string[] {
  let tokens: readonly { type: string; raw: string }[];
  try {
    // The opening is in the first few kilobytes; a 200 KB text need not be read whole.
    tokens = marked.lexer(capLineNesting(markdown.slice(0, OPENING_SOURCE_MAX).replace(/\0/g, "\uFFFD")));
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    tokens = [];
  }
  const out: string[] = [];
  let used = 0;
  /** Takes one paragraph; false once the opening is full. */
  const take = (text: string): boolean => {
    if (used + length(text) <= max) {
      out.push(text);
      used += length(text);
      return used < max;
    }
    const short = out.length === 0 ? shorten(text, max - used) : shortenToSentences(text, max - used);
    if (short != null) out.push(short);
    return false;
  };
  if (lead.trim() !== "" && !take(lead.trim())) return out;
  let started = false;
  // Paragraphs become text one at a time, and only until the opening is full.
  for (const token of tokens) {
    if (token.type === "paragraph") {
      started = true;
      const text = markdownToText(token.raw);
      if (text !== "" && !take(text)) break;
    } else if (started && token.type !== "space") break;
  }
  return out;
}

/** Whole sentences of `text` that fit in `max` characters, then "…"; null when not even one fits. */
function shortenToSentences(text: string, max: number): string | null {
  const short = shorten(text, max);
  return short == null || short.endsWith(" …") ? short : null;
}
