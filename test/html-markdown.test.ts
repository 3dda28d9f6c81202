import { describe, expect, it } from "vitest";
import { htmlToMarkdown } from "../src/html-markdown.ts";
import { renderMarkdown } from "../src/markdown.ts";

describe("htmlToMarkdown", () => {
  it("writes headings, paragraphs, emphasis, links and lists as Markdown", () => {
    const html =
      '<h1>Title</h1><p>One <strong>bold</strong> and <em>soft</em> word, a <a href="https://example.org/a_b">link</a>, <code>code</code>.</p>' +
      "<ol><li>first</li><li>second</li></ol><ul><li><p>item</p></li></ul><hr><blockquote><p>Quoted</p></blockquote><pre><code>x &lt; 1\n</code></pre>";
    expect(htmlToMarkdown(html)).toBe(
      "# Title\n\nOne **bold** and *soft* word, a [link](https://example.org/a_b), `code`.\n\n1. first\n2. second\n\n- item\n\n---\n\n> Quoted\n\n```\nx < 1\n```\n",
    );
  });

  it("drops scripts, styles, attributes and unsafe links", () => {
    const markdown = htmlToMarkdown(
      '<p onclick="x()">Hi<script>alert(1)</script><style>p{}</style> <a href="javascript:alert(1)">there</a></p>',
    );
    expect(markdown).toBe("Hi there\n");
    expect(renderMarkdown(markdown)).not.toMatch(/script|javascript|onclick/);
  });

  it("decodes entities, keeps line breaks, and escapes underscores in text", () => {
    expect(htmlToMarkdown("<p>Fish &amp; chips<br>snake_case &quot;quoted&quot;</p>")).toBe(
      'Fish & chips\\\nsnake\\_case "quoted"\n',
    );
  });

  it("gives an empty text for empty HTML", () => {
    expect(htmlToMarkdown("").trim()).toBe("");
  });
});
