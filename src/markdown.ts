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
    "h1", "h2", "h3", "h4", "h5", "h6", "p", "br", "hr", "blockquote", "pre", "code",
    "em", "strong", "del", "s", "sub", "sup", "mark", "abbr", "q", "cite", "kbd",
    "ul", "ol", "li", "dl", "dt", "dd", "a", "img",
    "table", "thead", "tbody", "tfoot", "tr", "th", "td", "caption", "details", "summary",
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
  nonTextTags: ["script", "style", "textarea", "option", "noscript", "title", "iframe", "object", "embed", "template", "svg", "math"],
  transformTags: {
    a: (tagName, attribs) => {
      const href = attribs.href ?? "";
      const external = /^[a-z][a-z0-9+.-]*:/i.test(href) && !/^mailto:/i.test(href);
      const { rel: _ignored, ...rest } = attribs;
      return { tagName, attribs: external ? { ...rest, rel: "nofollow noopener noreferrer" } : rest };
    },
  },
};

/** Sanitizes HTML that did not come from our own renderer (remote content). */
export function sanitize(html: string): string {
  return sanitizeHtml(html, SANITIZE_OPTIONS);
}

/** Renders Markdown to sanitized HTML. */
export function renderMarkdown(markdown: string): string {
  const html = marked.parse(markdown.replace(/\0/g, "\uFFFD")) as string;
  return sanitize(html);
}

/** Plain text of a Markdown snippet, for meta descriptions. */
export function markdownToText(markdown: string): string {
  return sanitizeHtml(marked.parse(markdown) as string, { allowedTags: [], allowedAttributes: {} })
    .replace(/\s+/g, " ")
    .trim();
}
