/** The pure parts of "Follow/Sign from your server": account input, template expansion, link choice. */
import { describe, expect, it } from "vitest";
import { expandTemplate, parseAccount, pickInteractionUrl } from "../../src/federation/interaction.ts";
import { htmlToText } from "../../src/federation/remote-objects.ts";
import { readActor, readArticle } from "../../src/federation/remote-declarations.ts";
import { isPrivateHostLiteral, sniffImageType } from "../../src/federation/guarded-fetch.ts";

const TARGET = new URL("https://undersign.test/ap/notes/1b2c?x=(a)*!'");

describe("parseAccount", () => {
  it.each([
    ["alice@example.social", "acct:alice@example.social", "alice@example.social"],
    ["  @alice@Example.SOCIAL ", "acct:alice@example.social", "alice@example.social"],
    ["acct:alice@example.social", "acct:alice@example.social", "alice@example.social"],
    ["alice@bücher.example", "acct:alice@xn--bcher-kva.example", "alice@xn--bcher-kva.example"],
    ["alice@127.0.0.1:8080", "acct:alice@127.0.0.1:8080", "alice@127.0.0.1:8080"],
    ["https://example.social/@alice#top", "https://example.social/@alice", "https://example.social/@alice"],
  ])("reads %j", (input, resource, label) => {
    const parsed = parseAccount(input);
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.account.resource.href).toBe(resource);
    expect(parsed.account.label).toBe(label);
  });

  it.each([
    "",
    "alice",
    "@alice",
    "alice@",
    "a b@example.social",
    "alice@exa mple.social",
    "alice@example.social/x",
    "https://",
    "ftp://x/y",
  ])("refuses %j", (input) => {
    expect(parseAccount(input).ok).toBe(false);
  });
});

describe("expandTemplate", () => {
  it("puts the percent-encoded target in {object} and {uri}, and blanks the rest", () => {
    // Every reserved character is encoded, ( ) * ! ' included (RFC 6570 simple expansion).
    const encoded = "https%3A%2F%2Fundersign.test%2Fap%2Fnotes%2F1b2c%3Fx%3D%28a%29%2A%21%2527";
    expect(TARGET.href).toBe("https://undersign.test/ap/notes/1b2c?x=(a)*!%27");
    expect(expandTemplate("https://s.example/i?o={object}", TARGET)).toBe(`https://s.example/i?o=${encoded}`);
    expect(expandTemplate("https://s.example/a?uri={uri}&r={inReplyTo}{?x,y}{+z}", TARGET)).toBe(
      `https://s.example/a?uri=${encoded}&r=`,
    );
  });
});

describe("pickInteractionUrl", () => {
  const links = [
    { rel: "http://ostatus.org/schema/1.0/subscribe", template: "https://s.example/authorize?uri={uri}" },
    { rel: "https://w3id.org/fep/3b86/Object", template: "https://s.example/object?o={object}" },
    { rel: "https://w3id.org/fep/3b86/Like", template: "http://s.example/like?o={object}" },
    { rel: "https://w3id.org/fep/3b86/Follow", template: "data:text/html,{object}" },
  ];

  it("prefers the intent, then Object, then OStatus; https only unless http is allowed", () => {
    expect(`${pickInteractionUrl(links, "sign", TARGET)?.origin}/object`).toBe("https://s.example/object");
    expect(pickInteractionUrl(links, "sign", TARGET, true)?.pathname).toBe("/like");
    expect(pickInteractionUrl(links, "follow", TARGET)?.pathname).toBe("/object");
    expect(pickInteractionUrl(links.slice(0, 1), "follow", TARGET)?.pathname).toBe("/authorize");
    expect(pickInteractionUrl([{ rel: "self", template: "https://s.example/{uri}" }], "follow", TARGET)).toBeNull();
    expect(pickInteractionUrl([], "sign", TARGET)).toBeNull();
  });
});

describe("helpers", () => {
  it("turns remote HTML into short text", () => {
    expect(htmlToText("<p>Hello <b>you</b> &amp; me</p><p>again</p><script>x</script>")).toBe("Hello you & me again");
    expect([...htmlToText(`<p>${"é".repeat(600)}</p>`)]).toHaveLength(500);
    // Invisible control and direction characters go, as from what signers type.
    expect(htmlToText("<p>\u202Eevil\u200B \u2066name\u2069</p>")).toBe("evil name");
  });

  it("cleans the names and titles of remote Declarations and their actors", () => {
    const from = new URL("https://far.example/d/x");
    const article = readArticle(
      {
        type: "Article",
        id: "https://far.example/ap/articles/1",
        attributedTo: "https://far.example/d/x",
        name: "Our\u202E  Declaration\u200F",
        summary: "<p>Sum\u2067mary</p>",
        content: "<p>Text</p>",
      },
      from,
    );
    expect(article.ok && [article.article.title, article.article.summary]).toEqual(["Our Declaration", "Summary"]);
    const actor = readActor(
      { type: "Service", id: "https://far.example/d/x", inbox: "https://far.example/d/x/inbox", name: "\u202Ex\u200B" },
      from,
    );
    expect(actor?.name).toBe("x");
    expect(
      readActor(
        { type: "Service", id: "https://far.example/d/x", inbox: "https://far.example/d/x/inbox", name: "\u202E" },
        from,
      )?.name,
    ).toBeNull();
  });

  it("knows private hosts without DNS", () => {
    for (const host of [
      "localhost",
      "a.localhost",
      "127.0.0.1",
      "10.0.0.1",
      "192.168.1.1",
      "169.254.169.254",
      "[::1]",
      "::ffff:127.0.0.1",
      "[::ffff:7f00:1]",
      "fd00::1",
      "0.0.0.0",
      "100.64.0.1",
    ]) {
      expect(isPrivateHostLiteral(host), host).toBe(true);
    }
    for (const host of ["example.social", "8.8.8.8", "::ffff:8.8.8.8", "2606:4700::1111"])
      expect(isPrivateHostLiteral(host), host).toBe(false);
  });

  it("recognises raster images by their bytes, never SVG", () => {
    expect(sniffImageType(Buffer.from("89504e470d0a1a0a0000", "hex"))).toBe("image/png");
    expect(sniffImageType(Buffer.from("ffd8ffe000", "hex"))).toBe("image/jpeg");
    expect(sniffImageType(Buffer.from("GIF89a...."))).toBe("image/gif");
    expect(sniffImageType(Buffer.from("RIFF\u0000\u0000\u0000\u0000WEBPVP8 "))).toBe("image/webp");
    expect(sniffImageType(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>'))).toBeNull();
    expect(sniffImageType(Buffer.from("<?xml version='1.0'?><svg/>"))).toBeNull();
    expect(sniffImageType(new Uint8Array())).toBeNull();
  });
});
