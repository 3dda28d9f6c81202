/** Notice templates: checking, filling, rotation, and reading links and hashtags out of the text. */
import { describe, expect, it } from "vitest";
import {
  fillTemplate,
  noticeHashtags,
  noticeTokens,
  templateIndexForSlot,
  templateProblem,
  unknownPlaceholders,
  type NoticeValues,
} from "../../src/strike/notices.ts";

const values: NoticeValues = {
  declaration_url: "https://undersign.test/d/independence",
  declaration_title: "Declaration of Digital Independence",
  signature_count: "1,204",
  hashtags: "#SocialMediaStrike #FediStrike",
  hours_left: "31",
  strike_name: "Social Media Strike",
  strike_url: "https://undersign.test/strike",
};

describe("templates", () => {
  it("names unknown placeholders, each once", () => {
    expect(unknownPlaceholders("{declaration_url} {signatures} {foo} {signatures}")).toEqual(["signatures", "foo"]);
    expect(templateProblem("Sign {signatures}")).toMatch(
      /There is no placeholder \{signatures\}\. Use \{declaration_url\}/,
    );
    expect(templateProblem("{a} {b}")).toMatch(/There are no placeholders \{a\}, \{b\}/);
  });

  it("refuses an empty template and one over 500 characters", () => {
    expect(templateProblem("   ")).toBe("The template is empty.");
    expect(templateProblem("x".repeat(500))).toBeNull();
    expect(templateProblem("x".repeat(501))).toBe("The template is 501 characters long; the limit is 500.");
  });

  it("fills every placeholder", () => {
    const text = fillTemplate(
      "{strike_name}: {signature_count} signed {declaration_title} — {hours_left} h left. {declaration_url} {strike_url} {hashtags}",
      values,
    );
    expect(text).toBe(
      "Social Media Strike: 1,204 signed Declaration of Digital Independence — 31 h left. https://undersign.test/d/independence https://undersign.test/strike #SocialMediaStrike #FediStrike",
    );
  });

  it("adds the Declaration's link and the hashtags when a template leaves them out; unknown placeholders never reach a post", () => {
    expect(fillTemplate("Join us {nope}", values)).toBe(
      "Join us https://undersign.test/d/independence #SocialMediaStrike #FediStrike",
    );
    expect(fillTemplate("Join us #socialmediastrike {declaration_url}", values)).toBe(
      "Join us #socialmediastrike https://undersign.test/d/independence",
    );
  });

  it("makes the words after a count of one singular, in stored templates as in the default ones", () => {
    const one = { ...values, signature_count: "1", hours_left: "1" };
    expect(
      fillTemplate(
        "Sign — {signature_count} people have. {hours_left} hours of the strike left; {signature_count} signatures, {signature_count} signers. {declaration_url} {hashtags}",
        one,
      ),
    ).toBe(
      "Sign — 1 person has. 1 hour of the strike left; 1 signature, 1 signer. https://undersign.test/d/independence #SocialMediaStrike #FediStrike",
    );
    expect(
      fillTemplate("{signature_count} people have, {hours_left} hours left {declaration_url} {hashtags}", values),
    ).toBe("1,204 people have, 31 hours left https://undersign.test/d/independence #SocialMediaStrike #FediStrike");
    // Only whole words right after the count change.
    expect(
      fillTemplate("{signature_count} peoples, {signature_count} more people {declaration_url} {hashtags}", one),
    ).toBe("1 peoples, 1 more people https://undersign.test/d/independence #SocialMediaStrike #FediStrike");
  });

  it("rotates templates by slot number", () => {
    expect([0, 1, 2, 3, 4].map((i) => templateIndexForSlot(i, 3))).toEqual([0, 1, 2, 0, 1]);
    expect(templateIndexForSlot(7, 1)).toBe(0);
  });
});

describe("tokens", () => {
  it("finds links (without trailing punctuation), hashtags and breaks", () => {
    expect(noticeTokens("Sign at https://a.test/d/x. #Strike_2026 now!\n\nAnd #1 is no tag; a#b neither\nend")).toEqual(
      [
        { type: "text", value: "Sign at " },
        { type: "url", value: "https://a.test/d/x" },
        { type: "text", value: ". " },
        { type: "tag", value: "Strike_2026" },
        { type: "text", value: " now!" },
        { type: "break", paragraph: true },
        { type: "text", value: "And #1 is no tag; a#b neither" },
        { type: "break", paragraph: false },
        { type: "text", value: "end" },
      ],
    );
    expect(noticeTokens("javascript:alert(1) ftp://x")).toEqual([
      { type: "text", value: "javascript:alert(1) ftp://x" },
    ]);
  });

  it("lists distinct hashtags in order", () => {
    expect(noticeHashtags("#SocialMediaStrike today. #Fediverse #socialmediastrike")).toEqual([
      "SocialMediaStrike",
      "Fediverse",
    ]);
    expect(noticeHashtags("https://a.test/#anchor")).toEqual([]);
  });
});
