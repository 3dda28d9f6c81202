/**
 * src/markdown.ts against hostile input.  Every case is rendered and the output
 * is parsed with a real HTML parser (htmlparser2, the one sanitize-html uses),
 * then checked against the allow-list by one shared checker.
 */
import { Parser } from "htmlparser2";
import { describe, expect, it } from "vitest";
import {
  absoluteLinks,
  markdownToText,
  openingParagraphs,
  renderMarkdown,
  renderMarkdownAbsolute,
  sanitize,
} from "../src/markdown.ts";

// ---------------------------------------------------------------------------
// The policy, restated independently of src/markdown.ts (keep in step with
// SANITIZE_OPTIONS there: a new tag or attribute must be added here on purpose).
// ---------------------------------------------------------------------------

const ALLOWED_TAGS = new Set([
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
]);

const ALLOWED_ATTRIBUTES: Record<string, readonly string[]> = {
  a: ["href", "title", "rel"],
  img: ["src", "alt", "title", "width", "height"],
  ol: ["start"],
  th: ["align", "colspan", "rowspan"],
  td: ["align", "colspan", "rowspan"],
  abbr: ["title"],
  code: ["class"],
};

const FORBIDDEN_TAGS = [
  "script",
  "iframe",
  "object",
  "embed",
  "style",
  "base",
  "meta",
  "form",
  "input",
  "svg",
  "math",
  "link",
  "frame",
  "frameset",
  "textarea",
  "button",
  "template",
  "noscript",
  "title",
  "video",
  "audio",
  "source",
];

const EXTERNAL_REL = "nofollow noopener noreferrer";

/** The URL a browser would actually use: it strips leading/trailing C0 controls
 *  and spaces, removes tabs/newlines anywhere, and treats `\` like `/`. */
function asBrowserSeesIt(url: string): string {
  // eslint-disable-next-line no-control-regex
  return url
    .replace(/^[\x00-\x20]+|[\x00-\x20]+$/g, "")
    .replace(/[\t\n\r]/g, "")
    .replace(/\\/g, "/");
}

function schemeOf(url: string): string | null {
  const m = /^([a-z][a-z0-9+.-]*):/i.exec(asBrowserSeesIt(url));
  return m ? m[1]!.toLowerCase() : null;
}

function isProtocolRelative(url: string): boolean {
  return asBrowserSeesIt(url).startsWith("//");
}

interface ParsedElement {
  name: string;
  attribs: Record<string, string>;
}

function parseHtml(html: string): { elements: ParsedElement[]; comments: string[]; directives: string[] } {
  const elements: ParsedElement[] = [];
  const comments: string[] = [];
  const directives: string[] = [];
  const parser = new Parser(
    {
      onopentag(name, attribs) {
        elements.push({ name, attribs });
      },
      oncomment(data) {
        comments.push(data);
      },
      onprocessinginstruction(name, data) {
        directives.push(`${name} ${data}`);
      },
      oncdatastart() {
        directives.push("CDATA");
      },
    },
    { decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true },
  );
  parser.write(html);
  parser.end();
  return { elements, comments, directives };
}

/** The shared checker: throws (via expect) on anything outside the policy. */
function expectClean(html: string, label: string): void {
  const { elements, comments, directives } = parseHtml(html);
  const where = `${label}\n--- output ---\n${html.length > 2000 ? `${html.slice(0, 2000)}…` : html}`;

  expect(comments, `HTML comment in ${where}`).toEqual([]);
  expect(directives, `directive/CDATA in ${where}`).toEqual([]);

  for (const { name, attribs } of elements) {
    expect(ALLOWED_TAGS.has(name), `<${name}> is not allowed: ${where}`).toBe(true);
    expect(FORBIDDEN_TAGS, `forbidden <${name}>: ${where}`).not.toContain(name);
    const allowedAttributes = ALLOWED_ATTRIBUTES[name] ?? [];
    for (const [attr, value] of Object.entries(attribs)) {
      expect(attr.startsWith("on"), `event handler ${attr} on <${name}>: ${where}`).toBe(false);
      expect(attr, `style attribute on <${name}>: ${where}`).not.toBe("style");
      expect(allowedAttributes, `attribute ${attr} on <${name}>: ${where}`).toContain(attr);
      if (attr === "href") {
        const scheme = schemeOf(value);
        if (scheme === null) {
          expect(isProtocolRelative(value), `protocol-relative href ${JSON.stringify(value)}: ${where}`).toBe(false);
        } else {
          expect(["http", "https", "mailto"], `href scheme of ${JSON.stringify(value)}: ${where}`).toContain(scheme);
        }
        if (scheme === "http" || scheme === "https") {
          expect(attribs.rel, `external link without rel: ${where}`).toBe(EXTERNAL_REL);
        }
      }
      if (attr === "src") {
        expect(schemeOf(value), `absolute src ${JSON.stringify(value)}: ${where}`).toBeNull();
        expect(isProtocolRelative(value), `protocol-relative src ${JSON.stringify(value)}: ${where}`).toBe(false);
      }
      if (attr === "class") {
        for (const cls of value.split(/\s+/).filter(Boolean)) {
          expect(cls, `class on <${name}>: ${where}`).toMatch(/^language-[\w+-]+$/);
        }
      }
    }
  }

  // Simple string checks on top of the parser.  Text is always escaped, so a
  // literal `<tag` can only be markup.
  const lower = html.toLowerCase();
  for (const tag of FORBIDDEN_TAGS) expect(lower, where).not.toContain(`<${tag}`);
  expect(lower, where).not.toContain("<!--");
  expect(lower, where).not.toContain("<![cdata[");
  // The markup alone (tags with their attributes, no text between them).
  // (Attribute values are escaped, so `>` cannot end a tag early.)
  const markup = (lower.match(/<[^>]*>/g) ?? []).join("");
  for (const needle of [
    "javascript:",
    "vbscript:",
    "data:",
    "style=",
    "srcset",
    "formaction",
    "xlink:",
    "&#",
    "&colon;",
  ]) {
    expect(markup, `${JSON.stringify(needle)} in markup: ${where}`).not.toContain(needle);
  }
  // Attribute names only: a title may harmlessly quote `onerror=` as text.
  const names = markup.replace(/"[^"]*"/g, '""');
  expect(names, `event handler in markup: ${where}`).not.toMatch(/[\s"'/]on[a-z]+\s*=/);
}

// ---------------------------------------------------------------------------
// Hostile inputs.  `echoes` marks cases whose payload may legitimately come
// back as visible, escaped *text* (e.g. the autolink `<javascript:…>` keeps its
// label); for all others even the text must not contain the dangerous strings.
// ---------------------------------------------------------------------------

interface HostileCase {
  name: string;
  md: string;
  echoes?: boolean;
}

const B64_SCRIPT = "PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg=="; // <script>alert(1)</script>
const B64_SVG = "PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+"; // <svg onload=alert(1)>

const HOSTILE: HostileCase[] = [
  // --- script and active elements -------------------------------------------
  { name: "script tag", md: "<script>alert(1)</script>" },
  { name: "script tag, upper case with src", md: "<SCRIPT SRC=//evil.example/x.js></SCRIPT>" },
  { name: "unclosed script tag", md: "hello <script>alert(1)" },
  { name: "script in paragraph text", md: "Hello <script>alert(document.cookie)</script> world" },
  { name: "img onerror", md: "<img src=x onerror=alert(1)>" },
  { name: "img onerror, mixed case", md: "<IMG SRC=x OnErRoR=alert(1)>" },
  { name: "inline img onerror inside text", md: 'Look: <img src="/a.png" onerror="alert(1)"/> here' },
  { name: "svg onload", md: "<svg onload=alert(1)>" },
  { name: "svg with script", md: "<svg><script>alert(1)</script></svg>" },
  { name: "iframe javascript src", md: '<iframe src="javascript:alert(1)"></iframe>' },
  { name: "iframe srcdoc", md: '<iframe srcdoc="<script>alert(1)</script>"></iframe>' },
  { name: "object data", md: '<object data="javascript:alert(1)"></object>' },
  { name: "embed data:text/html", md: `<embed src="data:text/html;base64,${B64_SCRIPT}">` },
  { name: "style element", md: "<style>body{background:url(javascript:alert(1))}</style>" },
  { name: "meta refresh", md: '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">' },
  { name: "base href", md: '<base href="https://evil.example/">\n\n[x](/d/x)' },
  { name: "link stylesheet", md: '<link rel="stylesheet" href="https://evil.example/x.css">' },
  { name: "form action", md: '<form action="https://evil.example/steal"><button>Sign</button></form>' },
  { name: "input autofocus onfocus", md: "<input autofocus onfocus=alert(1)>" },
  { name: "button formaction", md: '<button formaction="javascript:alert(1)">x</button>' },
  { name: "details ontoggle", md: "<details open ontoggle=alert(1)><summary>s</summary>x</details>" },
  { name: "body onload", md: "<body onload=alert(1)>" },
  { name: "video source onerror", md: "<video><source onerror=alert(1)></video>" },
  { name: "textarea smuggling", md: "<textarea><img src=x onerror=alert(1)></textarea>" },
  { name: "title smuggling", md: "<title><img src=x onerror=alert(1)></title>" },

  // --- javascript: in raw <a href>, many spellings ---------------------------
  { name: "a href javascript:", md: '<a href="javascript:alert(1)">x</a>' },
  { name: "a href mixed case", md: '<a href="JaVaScRiPt:alert(1)">x</a>' },
  { name: "a href decimal entity", md: '<a href="&#106;avascript:alert(1)">x</a>' },
  { name: "a href padded decimal entities, no semicolons", md: '<a href="&#0000106&#0000097vascript:alert(1)">x</a>' },
  {
    name: "a href all hex entities",
    md: '<a href="&#x6A;&#x61;&#x76;&#x61;&#x73;&#x63;&#x72;&#x69;&#x70;&#x74;&#x3A;alert(1)">x</a>',
  },
  { name: "a href &#x09; inside scheme", md: '<a href="jav&#x09;ascript:alert(1)">x</a>' },
  { name: "a href &#x0A; inside scheme", md: '<a href="jav&#x0A;ascript:alert(1)">x</a>' },
  { name: "a href literal tab inside scheme", md: '<a href="jav\tascript:alert(1)">x</a>' },
  { name: "a href literal newline inside scheme", md: '<a href="java\nscript:alert(1)">x</a>' },
  { name: "a href leading spaces", md: '<a href="   javascript:alert(1)">x</a>' },
  { name: "a href leading control character", md: '<a href="\u0001javascript:alert(1)">x</a>' },
  { name: "a href &colon; entity", md: '<a href="javascript&colon;alert(1)">x</a>' },
  { name: "a href unquoted", md: "<a href=javascript:alert(1)>x</a>" },
  { name: "a href vbscript:", md: '<a href="vbscript:msgbox(1)">x</a>' },
  { name: "a href data:text/html", md: `<a href="data:text/html;base64,${B64_SCRIPT}">x</a>` },
  { name: "a href protocol-relative", md: '<a href="//evil.example/">x</a>' },
  { name: "a href backslashes", md: '<a href="\\\\evil.example/">x</a>' },
  { name: "a href slash-backslash", md: '<a href="/\\evil.example/">x</a>' },
  {
    name: "a with onclick, style and target",
    md: '<a href="https://ok.example" onclick="alert(1)" style="color:red" target="_blank">x</a>',
  },
  { name: "a inside html block div", md: '<div>\n<a href="javascript:alert(1)">x</a>\n</div>' },
  { name: "unclosed a tag", md: 'text <a href="javascript:alert(1)"', echoes: true },
  { name: "unclosed img tag", md: "text <img src=x onerror=alert(1)" },
  { name: "whitespace-smuggled external link", md: '<a href=" &#x0A;ht&#x09;tps://ext.example/">x</a>' },

  // --- other attributes -------------------------------------------------------
  { name: "style attribute on p", md: '<p style="background:url(javascript:alert(1))">x</p>' },
  { name: "img srcset", md: '<img srcset="https://evil.example/x.png 1x" src="/ok.png">' },
  { name: "svg xlink:href", md: '<svg><a xlink:href="javascript:alert(1)"><text>x</text></a></svg>' },
  { name: "td background", md: '<table><tr><td background="javascript:alert(1)">x</td></tr></table>' },
  { name: "code class injection", md: '<code class="language-js x onmouseover=alert(1)">x</code>' },
  { name: "abbr onmouseover", md: '<abbr title="t" onmouseover="alert(1)">x</abbr>' },
  { name: "isindex", md: "<isindex action=javascript:alert(1) type=image>" },

  // --- comments, CDATA, mXSS-style nesting ------------------------------------
  { name: "comment hiding img", md: "<!--<img src=x onerror=alert(1)>-->" },
  { name: "comment closed early", md: "<!--><img src=x onerror=alert(1)>-->" },
  { name: "comment with dashes trick", md: "<!-- --!><img src=x onerror=alert(1)> -->" },
  { name: "CDATA", md: "<![CDATA[<img src=x onerror=alert(1)>]]>" },
  { name: "CDATA in svg", md: "<svg><![CDATA[><img src=x onerror=alert(1)>]]></svg>" },
  {
    name: "noscript attribute break-out",
    md: '<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>',
  },
  { name: "template content", md: "<template><img src=x onerror=alert(1)></template>" },
  { name: "svg style img", md: "<svg><style><img src=x onerror=alert(1)></style></svg>" },
  { name: "math mglyph style img", md: "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>" },
  { name: "math xlink:href", md: '<math><a xlink:href="javascript:alert(1)">x</a></math>' },
  { name: "math href", md: '<math href="javascript:alert(1)">x</math>' },
  { name: "form/math nesting", md: "<form><math><mtext></form><form><mglyph><style></math><img src onerror=alert(1)>" },
  { name: "nested quotes in attribute", md: `<a title='"><img src=x onerror=alert(1)>' href="/ok">x</a>` },

  // --- NUL bytes ----------------------------------------------------------------
  { name: "NUL inside script tag name", md: "<scr\0ipt>alert(1)</scr\0ipt>" },
  { name: "NUL inside event attribute", md: "<img src=x on\0error=alert(1)>" },
  { name: "NUL inside markdown link scheme", md: "[x](java\0script:alert(1))" },
  { name: "NUL inside raw href scheme", md: '<a href="java\0script:alert(1)">x</a>' },

  // --- Markdown links and images ----------------------------------------------
  { name: "md link javascript:", md: "[x](javascript:alert(1))" },
  { name: "md link JAVASCRIPT:", md: "[x](JAVASCRIPT:alert(1))" },
  { name: "md link entity colon", md: "[x](javascript&#58;alert(1))" },
  { name: "md link entity j", md: "[x](&#106;avascript:alert(1))" },
  { name: "md link angle-bracket destination", md: "[x](<javascript:alert(1)>)" },
  { name: "md link leading space", md: "[x]( javascript:alert(1))" },
  { name: "md link tab entity inside scheme", md: "[x](jav&#x09;ascript:alert(1))" },
  { name: "md link vbscript:", md: "[x](vbscript:msgbox(1))" },
  { name: "md link data:text/html", md: `[x](data:text/html;base64,${B64_SCRIPT})` },
  { name: "md link protocol-relative", md: "[x](//evil.example/)" },
  { name: "md link title attribute break-out", md: '[x](https://ok.example "\\"onmouseover=alert(1) x=\\"")' },
  { name: "md link with raw img label", md: "[<img src=x onerror=alert(1)>](/ok)" },
  { name: "md image javascript:", md: "![x](javascript:alert(1))" },
  { name: "md image data:image/svg+xml", md: `![x](data:image/svg+xml;base64,${B64_SVG})` },
  { name: "md image data:text/html", md: "![x](data:text/html,<script>alert(1)</script>)" },
  { name: "md image protocol-relative", md: "![x](//evil.example/x.png)" },
  { name: "md image remote http", md: "![x](http://evil.example/x.png)" },
  { name: "md image remote https with title", md: '![x](https://evil.example/track.png "t")' },
  { name: "md image alt attribute break-out", md: '![x"onerror="alert(1)](/ok.png)' },
  { name: "raw img remote https", md: '<img src="https://evil.example/track.png">' },
  { name: "raw img protocol-relative", md: '<img src="//evil.example/x.png">' },
  { name: "raw img backslash protocol-relative", md: '<img src="/\\evil.example/x.png">' },
  { name: "raw img tab-split protocol-relative", md: '<img src="/&#x09;/evil.example/x.png">' },
  { name: "raw img data:image/svg+xml", md: `<img src="data:image/svg+xml;base64,${B64_SVG}">` },
  { name: "reference link javascript:", md: "[x][r]\n\n[r]: javascript:alert(1)" },
  { name: "reference link vbscript:", md: "[x][r]\n\n[r]: vbscript:msgbox(1)" },
  { name: "reference link data:text/html", md: `[x][r]\n\n[r]: data:text/html;base64,${B64_SCRIPT}` },
  { name: "reference image data:image/svg+xml", md: `![x][r]\n\n[r]: data:image/svg+xml;base64,${B64_SVG}` },
  { name: "reference image remote", md: "![x][r]\n\n[r]: https://evil.example/x.png" },
  { name: "reference link entity spelling", md: "[x][r]\n\n[r]: &#106;avascript:alert(1)" },
  { name: "autolink javascript:", md: "<javascript:alert(1)>", echoes: true },
  { name: "autolink vbscript:", md: "<vbscript:msgbox(1)>", echoes: true },
  { name: "autolink data:", md: "<data:text/html,x>", echoes: true },
  { name: "code span with script", md: "`<script>alert(1)</script>`" },
  { name: "fenced code with script", md: "```html\n<script>alert(1)</script>\n```" },
  { name: "fenced code info-string injection", md: '```js" onmouseover="alert(1)\nx\n```' },

  // --- pathological nesting: must not throw, must stay fast -------------------
  { name: "10,000 nested blockquotes", md: `${">".repeat(10_000)} x` },
  { name: "10,000 nested blockquotes with spaces", md: `${"> ".repeat(10_000)}x` },
  { name: "10,000 nested bullet lists", md: `${"- ".repeat(10_000)}x` },
  { name: "10,000 nested ordered lists", md: `${"1. ".repeat(10_000)}x` },
  { name: "mixed quote/list nesting", md: `${"> - 1) ".repeat(4_000)}x` },
  { name: "10,000 nested emphasis delimiters", md: `${"*".repeat(10_000)}x${"*".repeat(10_000)}` },
  { name: "10,000 open brackets", md: `${"[".repeat(10_000)}x${"](/a)".repeat(10_000)}` },
  { name: "10,000 nested divs", md: `${"<div>".repeat(10_000)}x` },
];

describe("renderMarkdown / sanitize with hostile input", () => {
  it("has at least 40 hostile cases with unique names", () => {
    expect(HOSTILE.length).toBeGreaterThanOrEqual(40);
    expect(new Set(HOSTILE.map((c) => c.name)).size).toBe(HOSTILE.length);
  });

  it.each(HOSTILE)("$name", ({ name, md, echoes }) => {
    // Through the Markdown renderer …
    const html = renderMarkdown(md);
    expectClean(html, `renderMarkdown: ${name}`);
    expect(html, "NUL bytes are replaced with U+FFFD").not.toContain("\0");
    // … and the same string treated as remote HTML.
    expectClean(sanitize(md), `sanitize: ${name}`);

    if (!echoes) {
      const lower = html.toLowerCase();
      for (const needle of ["javascript:", "vbscript:", "data:text", "data:image", "evil.example"]) {
        expect(lower, `${JSON.stringify(needle)} in output of ${name}:\n${html}`).not.toContain(needle);
      }
    }

    // The plain-text form never contains a NUL byte (it is text, escaped where used).
    const text = markdownToText(md);
    expect(text).not.toContain("\0");
  });

  it("keeps the text of deeply nested input and caps the nesting", () => {
    const html = renderMarkdown(`${"> ".repeat(10_000)}deep`);
    expect(html).toContain("deep");
    expect((html.match(/<blockquote>/g) ?? []).length).toBeLessThanOrEqual(64);
    const list = renderMarkdown(`${"- ".repeat(10_000)}deep`);
    expect(list).toContain("deep");
    expect((list.match(/<ul>/g) ?? []).length).toBeLessThanOrEqual(64);
    expect(markdownToText(`${"- ".repeat(10_000)}deep`)).toBe("deep");
  });

  it("strips remote images entirely but keeps same-site ones", () => {
    expect(renderMarkdown("![a](https://evil.example/x.png)")).not.toMatch(/src=/);
    expect(renderMarkdown("![a](//evil.example/x.png)")).not.toMatch(/src=/);
    expect(renderMarkdown('![a](/media/a.png "Title")')).toContain('<img src="/media/a.png" alt="a" title="Title" />');
    expect(renderMarkdown("![a](img/a.png)")).toContain('src="img/a.png"');
  });

  it("gives whitespace-smuggled external links the external rel", () => {
    for (const md of [
      '<a href=" https://ext.example/">x</a>',
      '<a href="ht&#x09;tps://ext.example/">x</a>',
      '<a href="\u0001https://ext.example/">x</a>',
    ]) {
      const html = renderMarkdown(md);
      expectClean(html, md);
      expect(html).toContain(`<a href="https://ext.example/" rel="${EXTERNAL_REL}">x</a>`);
    }
  });
});

describe("renderMarkdown keeps ordinary Markdown", () => {
  it("renders headings", () => {
    const html = renderMarkdown("# One\n\n## Two\n\n### Three\n\n###### Six");
    expectClean(html, "headings");
    expect(html).toContain("<h1>One</h1>");
    expect(html).toContain("<h2>Two</h2>");
    expect(html).toContain("<h3>Three</h3>");
    expect(html).toContain("<h6>Six</h6>");
  });

  it("renders lists, including an ordered list's start", () => {
    const html = renderMarkdown("- apples\n- pears\n  - nested\n\n3. three\n4. four");
    expectClean(html, "lists");
    expect(html).toMatch(/<ul>\s*<li>apples<\/li>\s*<li>pears\s*<ul>\s*<li>nested<\/li>\s*<\/ul>\s*<\/li>\s*<\/ul>/);
    expect(html).toMatch(/<ol start="3">\s*<li>three<\/li>\s*<li>four<\/li>\s*<\/ol>/);
  });

  it("renders GFM tables with alignment", () => {
    const html = renderMarkdown("| Name | Count |\n| :--- | ----: |\n| a | 1 |\n| b | 2 |");
    expectClean(html, "table");
    expect(html).toContain("<table>");
    expect(html).toContain("<thead>");
    expect(html).toContain("<tbody>");
    expect(html).toMatch(/<th align="left">Name<\/th>/);
    expect(html).toMatch(/<td align="right">2<\/td>/);
  });

  it("renders fenced and inline code, escaping its content", () => {
    const html = renderMarkdown("Use `a < b`.\n\n```ts\nconst x = <T,>(y: T) => y && '<b>';\n```");
    expectClean(html, "code");
    expect(html).toContain("<code>a &lt; b</code>");
    expect(html).toContain('<pre><code class="language-ts">');
    expect(html).toContain("&lt;b&gt;");
  });

  it("renders emphasis, strong, strikethrough and rules", () => {
    const html = renderMarkdown("*em* and **strong** and ~~gone~~\n\n---");
    expectClean(html, "emphasis");
    expect(html).toContain("<em>em</em>");
    expect(html).toContain("<strong>strong</strong>");
    expect(html).toContain("<del>gone</del>");
    expect(html).toContain("<hr />");
  });

  it("renders blockquotes", () => {
    const html = renderMarkdown("> We declare\n>\n> > nested");
    expectClean(html, "blockquote");
    expect(html).toMatch(
      /<blockquote>\s*<p>We declare<\/p>\s*<blockquote>\s*<p>nested<\/p>\s*<\/blockquote>\s*<\/blockquote>/,
    );
  });

  it("adds rel=nofollow noopener noreferrer to external links", () => {
    const html = renderMarkdown('[Example](https://example.org/path?q=1&r=2 "Ex") and https://www.example.com');
    expectClean(html, "external links");
    expect(html).toContain(
      `<a title="Ex" href="https://example.org/path?q=1&amp;r=2" rel="${EXTERNAL_REL}">Example</a>`,
    );
    expect(html).toContain(`<a href="https://www.example.com" rel="${EXTERNAL_REL}">https://www.example.com</a>`);
  });

  it("replaces a rel supplied by the author", () => {
    expect(renderMarkdown('<a href="https://example.org" rel="opener">x</a>')).toContain(`rel="${EXTERNAL_REL}"`);
    expect(renderMarkdown('<a href="/d/x" rel="opener">x</a>')).not.toContain("rel=");
  });

  it("leaves relative and mailto links without rel", () => {
    const html = renderMarkdown("[A declaration](/d/x) and [section](#s) and [mail](mailto:a@example.org)");
    expectClean(html, "relative links");
    expect(html).toContain('<a href="/d/x">A declaration</a>');
    expect(html).toContain('<a href="#s">section</a>');
    expect(html).toContain('<a href="mailto:a@example.org">mail</a>');
    expect(html).not.toContain("rel=");
  });
});

describe("markdownToText", () => {
  it("returns plain text without markup", () => {
    const text = markdownToText("# Title\n\nSome *emphasis* and [a link](/d/x).\n\n- one\n- two\n\n```\ncode\n```");
    expect(text).toBe("Title Some emphasis and a link. one two code");
  });

  it("drops scripts and tags from raw HTML", () => {
    expect(markdownToText("Hello <script>alert(1)</script><b>world</b>")).toBe("Hello world");
  });

  it("returns text, not HTML entities", () => {
    expect(markdownToText('Fish & chips, `a < b` and "quotes"')).toBe('Fish & chips, a < b and "quotes"');
  });

  it("returns an empty string for empty input", () => {
    expect(markdownToText("")).toBe("");
    expect(markdownToText("   \n\n  ")).toBe("");
  });
});

describe("renderMarkdownAbsolute (for other servers and feeds)", () => {
  const base = new URL("https://undersign.test/d/rights");

  it("makes relative links and images absolute against the Declaration's page, and leaves absolute ones as written", () => {
    const html = renderMarkdownAbsolute(
      "[FAQ](/faq) [next](other) [part](#p) [out](https://elsewhere.example/x?a=1) [mail](mailto:a@example.org) ![poster](/media/a.png)",
      base,
    );
    expect(html).toContain('<a href="https://undersign.test/faq">FAQ</a>');
    expect(html).toContain('<a href="https://undersign.test/d/other">next</a>');
    expect(html).toContain('<a href="https://undersign.test/d/rights#p">part</a>');
    expect(html).toContain('<a href="https://elsewhere.example/x?a=1" rel="nofollow noopener noreferrer">out</a>');
    expect(html).toContain('<a href="mailto:a@example.org">mail</a>');
    expect(html).toContain('<img src="https://undersign.test/media/a.png" alt="poster" />');
  });

  it("keeps the sanitizer's rules: no remote images, no scripts, no protocol-relative links", () => {
    const html = renderMarkdownAbsolute(
      '<img src="https://tracker.example/p.gif"> <a href="//evil.example/x">x</a> <a href="javascript:alert(1)">y</a> <script>alert(1)</script>',
      base,
    );
    expect(html).not.toContain("tracker.example");
    expect(html).not.toContain("evil.example");
    expect(html).not.toContain("javascript:");
    expect(html).not.toContain("<script");
    expect(absoluteLinks("<p>plain</p>", base)).toBe("<p>plain</p>");
  });
});

describe("openingParagraphs", () => {
  it("takes the lead, then the first paragraphs after the headings, up to the limit, shortening at a sentence", () => {
    const text =
      "## Preamble\n\nFirst sentence here. Second sentence here.\n\nAnother paragraph.\n\n## Next\n\nNot in the opening.\n";
    expect(openingParagraphs(text, 500, "The summary.")).toEqual([
      "The summary.",
      "First sentence here. Second sentence here.",
      "Another paragraph.",
    ]);
    expect(openingParagraphs(text, 40)).toEqual(["First sentence here. …"]);
    expect(openingParagraphs(text, 50, "The summary.")).toEqual(["The summary.", "First sentence here. …"]);
  });

  it("stops at the first block that is not a paragraph, cuts a very long first paragraph at a word, and never exceeds the limit", () => {
    expect(openingParagraphs("Intro.\n\n- a list\n\nAfter the list.", 500)).toEqual(["Intro."]);
    const long = openingParagraphs(`${"word ".repeat(200)}`, 100);
    expect(long).toHaveLength(1);
    expect(long[0]!.endsWith("…")).toBe(true);
    expect([...long[0]!].length).toBeLessThanOrEqual(100);
    expect([...openingParagraphs("x".repeat(600), 100)[0]!].length).toBe(100);
    expect(openingParagraphs("", 100)).toEqual([]);
    expect(openingParagraphs("> ".repeat(20_000), 100)).toEqual([]);
  });
});
