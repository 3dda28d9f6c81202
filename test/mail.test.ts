import type { AddressInfo } from "node:net";
import { configure, reset, type LogRecord } from "@logtape/logtape";
import { SMTPServer } from "smtp-server";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../src/config.ts";
import { APP } from "../src/logging.ts";
import { createMailer, fromAddress, redactAddresses, sendInBackground } from "../src/mail.ts";
import { confirmUrl, formatDateTime, privateUrl, signingMail } from "../src/services/signing-mail.ts";
import { closedPort, decodeEncodedWords, parseMessage, startSmtpServer, type TestSmtpServer } from "./helpers/smtp.ts";

const FROM = "Declarations <noreply@undersign.test>";

describe("createMailer", () => {
  let smtp: TestSmtpServer;
  beforeAll(async () => {
    smtp = await startSmtpServer({ allowInsecureAuth: true });
  });
  afterAll(() => smtp.close());

  it("delivers a message through a real SMTP server", async () => {
    const mailer = createMailer({ smtpUrl: smtp.url, from: FROM });
    const link = `https://undersign.test/s/confirm/${"A".repeat(43)}`;
    const text = [
      "Thank you for signing “Déclaration d’indépendance numérique” — 🖋️.",
      "",
      // Longer than a quoted-printable line (76): must survive soft line breaks.
      link,
      "A line ending in = and =3D and a trailing space ",
      ".A line that starts with a dot",
    ].join("\n");
    const before = smtp.messages.length;
    await mailer.send({
      to: "Alice.Example@example.org",
      subject: "Confirm your signature: Déclaration “numérique” ✓",
      text,
    });

    const mail = await smtp.waitForMessage(before + 1);
    expect(mail.envelope.from).toBe("noreply@undersign.test");
    expect(mail.envelope.to).toEqual(["Alice.Example@example.org"]);
    expect(mail.from).toBe(FROM);
    expect(mail.to).toBe("Alice.Example@example.org");
    expect(mail.subject).toBe("Confirm your signature: Déclaration “numérique” ✓");
    expect(mail.headers.get("content-type")).toMatch(/^text\/plain/);
    expect(mail.headers.get("message-id")).toMatch(/^<.+@.+>$/);
    expect(mail.text.replace(/\n$/, "")).toBe(text);
    expect(mail.text.split("\n")).toContain(link);
    expect(mail.auth).toBeNull();
  });

  it("authenticates with the credentials in SMTP_URL", async () => {
    const url = new URL(smtp.url);
    url.username = "mailer";
    url.password = "s3cret:with/odd@chars";
    const mailer = createMailer({ smtpUrl: url.href, from: FROM });
    const before = smtp.messages.length;
    await mailer.send({ to: "bob@example.org", subject: "Hello", text: "Hi" });
    const mail = await smtp.waitForMessage(before + 1);
    expect(mail.auth).toEqual({ username: "mailer", password: "s3cret:with/odd@chars" });
    expect(mail.envelope.to).toEqual(["bob@example.org"]);
  });

  it("sends concurrent messages each to its own recipient only", async () => {
    const mailer = createMailer({ smtpUrl: smtp.url, from: FROM });
    const before = smtp.messages.length;
    await Promise.all([
      mailer.send({ to: "one@example.org", subject: "One", text: "1" }),
      mailer.send({ to: "two@example.org", subject: "Two", text: "2" }),
    ]);
    const mails = (await smtp.waitForMessages(before + 2)).slice(before);
    const byRecipient = Object.fromEntries(mails.map((m) => [m.envelope.to.join(","), m.subject]));
    expect(byRecipient).toEqual({ "one@example.org": "One", "two@example.org": "Two" });
  });

  it.each([
    ["Undersign (Berlin) <noreply@undersign.test>", "Undersign (Berlin)"],
    ["Undersign: Berlin <noreply@undersign.test>", "Undersign: Berlin"],
    ["Declarations, Zürich <noreply@undersign.test>", "Declarations, Zürich"],
    ['"Quoted \\"name\\"" <noreply@undersign.test>', 'Quoted "name"'],
  ])("keeps the sender name of %s whole", async (from, name) => {
    const before = smtp.messages.length;
    await createMailer({ smtpUrl: smtp.url, from }).send({ to: "alice@example.org", subject: "Hi", text: "Hello" });
    const mail = await smtp.waitForMessage(before + 1);
    expect(mail.envelope.from).toBe("noreply@undersign.test");
    expect(mail.from).toMatch(/<noreply@undersign\.test>$/);
    // The display name, unquoted as a mail client shows it.
    const shown = mail.from.replace(/\s*<[^<>]+>$/, "");
    expect(shown.startsWith('"') ? shown.slice(1, -1).replace(/\\(.)/g, "$1") : shown).toBe(name);
  });

  it("keeps the default sender built from INSTANCE_NAME whole", async () => {
    const config = loadConfig(
      { SMTP_URL: smtp.url, INSTANCE_NAME: "Undersign: Berlin (test)", ORIGIN: "https://undersign.test" },
      "/tmp",
    );
    expect(config.mail!.from).toBe("Undersign: Berlin (test) <noreply@undersign.test>");
    const before = smtp.messages.length;
    await createMailer(config.mail!).send({ to: "alice@example.org", subject: "Hi", text: "Hello" });
    expect((await smtp.waitForMessage(before + 1)).from).toBe('"Undersign: Berlin (test)" <noreply@undersign.test>');
  });

  it("rejects when the SMTP server cannot be reached", async () => {
    const mailer = createMailer({ smtpUrl: `smtp://127.0.0.1:${await closedPort()}`, from: FROM });
    await expect(mailer.send({ to: "alice@example.org", subject: "x", text: "y" })).rejects.toThrow(/ECONNREFUSED/);
  });
});

describe("sendInBackground", () => {
  const records: LogRecord[] = [];
  beforeAll(async () => {
    await configure({
      reset: true,
      sinks: { capture: (record) => records.push(record) },
      loggers: [
        { category: APP, lowestLevel: "debug", sinks: ["capture"] },
        { category: ["logtape", "meta"], lowestLevel: "warning", sinks: [] },
      ],
    });
  });
  afterEach(() => {
    records.length = 0;
  });
  afterAll(() => reset());

  it("logs a failure without the address or the text, and never throws", async () => {
    const mailer = createMailer({ smtpUrl: `smtp://127.0.0.1:${await closedPort()}`, from: FROM });
    expect(() =>
      sendInBackground(
        mailer,
        { to: "secret-person@example.org", subject: "Private subject", text: "https://undersign.test/s/TOKEN" },
        "test",
      ),
    ).not.toThrow();
    await expect.poll(() => records.length, { timeout: 5000 }).toBeGreaterThan(0);
    const [record] = records;
    expect(record!.level).toBe("warning");
    expect(record!.category).toEqual([APP, "mail"]);
    const line = record!.message.join("");
    expect(line).toContain("Could not send the test mail");
    expect(line).toMatch(/ECONNREFUSED/);
    expect(line).not.toContain("secret-person");
    expect(line).not.toContain("TOKEN");
  });

  it("keeps the recipient's address out of the log when the server names it in its refusal", async () => {
    const server = new SMTPServer({
      authOptional: true,
      disabledCommands: ["STARTTLS"],
      logger: false,
      onRcptTo(address, _session, callback) {
        callback(
          Object.assign(new Error(`5.1.1 <${address.address}>: Recipient address rejected: User unknown`), {
            responseCode: 550,
          }),
        );
      },
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = server.server.address() as AddressInfo;
      sendInBackground(
        createMailer({ smtpUrl: `smtp://127.0.0.1:${port}`, from: FROM }),
        { to: "Secret.Person+tag@example.org", subject: "s", text: "t" },
        "test",
      );
      await expect.poll(() => records.length, { timeout: 5000 }).toBeGreaterThan(0);
      const line = records[0]!.message.join("");
      expect(line).toContain("550 5.1.1 <[address]>: Recipient address rejected");
      expect(line.toLowerCase()).not.toContain("secret.person");
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it("logs nothing when the mail goes out", async () => {
    const smtp = await startSmtpServer();
    try {
      sendInBackground(
        createMailer({ smtpUrl: smtp.url, from: FROM }),
        { to: "alice@example.org", subject: "Hi", text: "Hello" },
        "test",
      );
      await smtp.waitForMessage(1);
      expect(records).toEqual([]);
    } finally {
      await smtp.close();
    }
  });
});

describe("fromAddress and redactAddresses", () => {
  it("splits a name and an address, and leaves the rest alone", () => {
    expect(fromAddress("Declarations <noreply@undersign.test>")).toEqual({
      name: "Declarations",
      address: "noreply@undersign.test",
    });
    expect(fromAddress(' "A \\"B\\"" <a@b.example> ')).toEqual({ name: 'A "B"', address: "a@b.example" });
    expect(fromAddress("<a@b.example>")).toBe("a@b.example");
    expect(fromAddress("a@b.example")).toBe("a@b.example");
    expect(fromAddress("=?UTF-8?Q?D=C3=A9clarations?= <a@b.example>")).toBe(
      "=?UTF-8?Q?D=C3=A9clarations?= <a@b.example>",
    );
  });

  it("replaces every address", () => {
    expect(redactAddresses("550 <a.b+c@example.org>: rejected; also x@y.example")).toBe(
      "550 <[address]>: rejected; also [address]",
    );
    expect(redactAddresses("connect ECONNREFUSED 127.0.0.1:25")).toBe("connect ECONNREFUSED 127.0.0.1:25");
  });
});

describe("signingMail", () => {
  const config = {
    origin: new URL("https://undersign.test"),
    instanceName: "Test Declarations",
    signing: { confirmationTtlMs: 48 * 3_600_000 },
  } as Parameters<typeof signingMail>[0]["config"];
  const declaration = { slug: "test-declaration", title: "Test Declaration" };
  const privateToken = "P".repeat(43);
  const confirmToken = "C".repeat(43);

  it("asks for confirmation, with both links, while a signature is pending", () => {
    const mail = signingMail({
      config,
      declaration,
      to: "alice@example.org",
      privateToken,
      confirmToken,
      repeat: false,
    });
    expect(mail.to).toBe("alice@example.org");
    expect(mail.subject).toBe("Confirm your signature: Test Declaration");
    const lines = mail.text.split("\n");
    expect(lines).toContain(confirmUrl(config.origin, confirmToken));
    expect(lines).toContain(privateUrl(config.origin, privateToken));
    expect(lines).toContain("https://undersign.test/d/test-declaration");
    expect(mail.text).not.toMatch(/\n\n\n/);
  });

  it("says until when the confirmation link works, to the minute", () => {
    const confirmExpires = new Date("2026-03-02T00:05:00Z");
    const mail = signingMail({
      config,
      declaration,
      to: "alice@example.org",
      privateToken,
      confirmToken,
      confirmExpires,
      repeat: false,
    });
    expect(formatDateTime(confirmExpires)).toBe("March 2, 2026 at 00:05");
    expect(mail.text).toContain("The link works until March 2, 2026 at 00:05 UTC.");
  });

  it("thanks the signer when no confirmation is needed", () => {
    const mail = signingMail({ config, declaration, to: "alice@example.org", privateToken, repeat: false });
    expect(mail.subject).toBe("Thank you for signing: Test Declaration");
    expect(mail.text).not.toContain("/s/confirm/");
    expect(mail.text.split("\n")).toContain(`https://undersign.test/s/${privateToken}`);
  });

  it("says a repeat link replaces the old one", () => {
    const mail = signingMail({ config, declaration, to: "alice@example.org", privateToken, repeat: true });
    expect(mail.subject).toBe("Your signature: Test Declaration");
    expect(mail.text).toContain("already signed");
    expect(mail.text).toContain("replaces any private link");
  });
});

describe("the test mail parser", () => {
  it("decodes RFC 2047 words, joining adjacent ones", () => {
    expect(decodeEncodedWords("=?UTF-8?Q?D=C3=A9claration?= =?UTF-8?B?4oCc?=x")).toBe("Déclaration“x");
    expect(decodeEncodedWords("plain =?utf-8?q?a_b?= text")).toBe("plain a b text");
  });

  it("decodes base64 bodies", () => {
    const raw = Buffer.from(
      [
        "Subject: x",
        "Content-Type: text/plain; charset=utf-8",
        "Content-Transfer-Encoding: base64",
        "",
        Buffer.from("héllo\r\nworld").toString("base64"),
        "",
      ].join("\r\n"),
    );
    expect(parseMessage(raw).text).toBe("héllo\nworld");
  });
});
