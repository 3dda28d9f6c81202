/**
 * A real SMTP server on loopback for tests (the `smtp-server` package), and a
 * small parser for the plain-text mails the site sends: headers (unfolded,
 * RFC 2047 encoded words decoded) and a single text body (7bit, 8bit,
 * quoted-printable or base64).  Multipart mails are refused loudly, since the
 * site never sends them.
 */
import { createServer, type AddressInfo } from "node:net";
import { SMTPServer } from "smtp-server";

export interface ReceivedMail {
  /** The SMTP envelope (MAIL FROM / RCPT TO), as the server saw it. */
  readonly envelope: { readonly from: string | null; readonly to: readonly string[] };
  /** Credentials the client authenticated with, if any. */
  readonly auth: { readonly username: string; readonly password: string } | null;
  readonly headers: ReadonlyMap<string, string>;
  readonly from: string;
  readonly to: string;
  readonly subject: string;
  /** The decoded text body with "\n" line ends. */
  readonly text: string;
  readonly raw: Buffer;
}

export interface TestSmtpServer {
  readonly port: number;
  /** smtp://127.0.0.1:<port> */
  readonly url: string;
  /** Every message accepted so far, in arrival order. */
  readonly messages: readonly ReceivedMail[];
  /** How many SMTP connections were opened so far. */
  readonly connections: number;
  /** Resolves with the first `count` messages once they have arrived; rejects after `timeoutMs`. */
  waitForMessages(count: number, timeoutMs?: number): Promise<readonly ReceivedMail[]>;
  /** Resolves with message number `count` (1-based) once it has arrived. */
  waitForMessage(count: number, timeoutMs?: number): Promise<ReceivedMail>;
  close(): Promise<void>;
}

/** Starts an SMTP server on 127.0.0.1 and a random free port. */
export async function startSmtpServer(
  options: {
    allowInsecureAuth?: boolean;
    /** Messages are accepted only once this settles (to prove that nobody waits for the mail). */
    gate?: Promise<unknown>;
  } = {},
): Promise<TestSmtpServer> {
  const messages: ReceivedMail[] = [];
  const logins = new Map<string, { username: string; password: string }>();
  let connections = 0;
  const server = new SMTPServer({
    authOptional: true,
    allowInsecureAuth: options.allowInsecureAuth ?? false,
    disabledCommands: ["STARTTLS"],
    logger: false,
    onConnect(_session, callback) {
      connections++;
      callback();
    },
    onAuth(auth, session, callback) {
      logins.set(session.id, { username: auth.username ?? "", password: auth.password ?? "" });
      callback(null, { user: auth.username });
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("error", callback);
      stream.on("end", async () => {
        await options.gate;
        const raw = Buffer.concat(chunks);
        try {
          const mail = parseMessage(raw);
          const from = session.envelope.mailFrom;
          messages.push({
            ...mail,
            raw,
            auth: logins.get(session.id) ?? null,
            envelope: { from: from === false ? null : from.address, to: session.envelope.rcptTo.map((r) => r.address) },
          });
          callback();
        } catch (error) {
          callback(error as Error);
        }
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.server.address() as AddressInfo).port;

  async function waitForMessages(count: number, timeoutMs = 5000): Promise<readonly ReceivedMail[]> {
    const deadline = Date.now() + timeoutMs;
    while (messages.length < count) {
      if (Date.now() > deadline) {
        throw new Error(
          `Expected ${count} mail(s) within ${timeoutMs} ms, got ${messages.length}: ${messages.map((m) => m.subject).join(" | ")}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return messages.slice(0, count);
  }

  return {
    port,
    url: `smtp://127.0.0.1:${port}`,
    messages,
    get connections() {
      return connections;
    },
    waitForMessages,
    async waitForMessage(count, timeoutMs) {
      return (await waitForMessages(count, timeoutMs))[count - 1]!;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A loopback port that nothing listens on (bound once, then released). */
export async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

// ---------------------------------------------------------------------------
// A minimal RFC 5322 / MIME parser for single-part text mails.

export function parseMessage(raw: Buffer): Omit<ReceivedMail, "envelope" | "auth" | "raw"> {
  const binary = raw.toString("latin1");
  const split = /\r?\n\r?\n/.exec(binary);
  const headerPart = split == null ? binary : binary.slice(0, split.index);
  const bodyPart = split == null ? "" : binary.slice(split.index + split[0].length);

  const headers = new Map<string, string>();
  const unfolded = Buffer.from(headerPart, "latin1")
    .toString("utf8")
    .replace(/\r?\n(?=[ \t])/g, "");
  for (const line of unfolded.split(/\r?\n/)) {
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    if (!headers.has(name)) headers.set(name, decodeEncodedWords(line.slice(colon + 1).trim()));
  }

  const contentType = headers.get("content-type") ?? "text/plain; charset=us-ascii";
  const mediaType = contentType.split(";")[0]!.trim().toLowerCase();
  if (mediaType.startsWith("multipart/"))
    throw new Error(`parseMessage handles single-part mails only, got ${mediaType}`);
  if (mediaType !== "text/plain") throw new Error(`Expected a text/plain mail, got ${mediaType}`);
  const charset = /;\s*charset="?([^";\s]+)"?/i.exec(contentType)?.[1] ?? "us-ascii";
  const encoding = (headers.get("content-transfer-encoding") ?? "7bit").trim().toLowerCase();

  let bytes: Uint8Array;
  if (encoding === "quoted-printable") bytes = decodeQuotedPrintable(bodyPart);
  else if (encoding === "base64") bytes = Buffer.from(bodyPart.replace(/\s+/g, ""), "base64");
  else if (encoding === "7bit" || encoding === "8bit" || encoding === "binary") bytes = Buffer.from(bodyPart, "latin1");
  else throw new Error(`Unknown Content-Transfer-Encoding: ${encoding}`);
  const text = decode(bytes, charset).replace(/\r\n?/g, "\n");

  return {
    headers,
    from: headers.get("from") ?? "",
    to: headers.get("to") ?? "",
    subject: headers.get("subject") ?? "",
    text,
  };
}

function decode(bytes: Uint8Array, charset: string): string {
  const label = charset.toLowerCase() === "us-ascii" ? "utf-8" : charset;
  return new TextDecoder(label, { fatal: true }).decode(bytes);
}

/** Quoted-printable (RFC 2045 §6.7) on a latin1 string (one char per byte). */
function decodeQuotedPrintable(text: string): Uint8Array {
  const s = text.replace(/[ \t]+(?=\r?\n)/g, "").replace(/=\r?\n/g, "");
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const hex = s.slice(i + 1, i + 3);
    if (s[i] === "=" && /^[0-9A-Fa-f]{2}$/.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else {
      bytes.push(s.charCodeAt(i) & 0xff);
    }
  }
  return Uint8Array.from(bytes);
}

/**
 * RFC 2047: `=?charset?Q|B?text?=`.  Whitespace between adjacent encoded
 * words is dropped, and their bytes are joined before decoding (a character
 * may be split across two words).
 */
export function decodeEncodedWords(value: string): string {
  const WORD = /=\?([^?\s]+)\?([BbQq])\?([^?\s]*)\?=/g;
  let out = "";
  let last = 0;
  let pending: { charset: string; bytes: number[] } | null = null;
  const flush = () => {
    if (pending != null) out += decode(Uint8Array.from(pending.bytes), pending.charset.replace(/\*.*$/, ""));
    pending = null;
  };
  for (const match of value.matchAll(WORD)) {
    const between = value.slice(last, match.index);
    if (pending == null || !/^\s*$/.test(between)) {
      flush();
      out += between;
    }
    const [, charset, kind, encoded] = match as unknown as [string, string, string, string];
    const bytes =
      kind.toUpperCase() === "B"
        ? [...Buffer.from(encoded, "base64")]
        : [...decodeQuotedPrintable(encoded.replace(/_/g, " "))];
    const current = pending as { charset: string; bytes: number[] } | null;
    if (current != null && current.charset.toLowerCase() === charset.toLowerCase()) current.bytes.push(...bytes);
    else {
      flush();
      pending = { charset, bytes };
    }
    last = match.index + match[0].length;
  }
  flush();
  return out + value.slice(last);
}

/** The address in a header such as `Name <user@host>` (or a bare address). */
export function addressOf(header: string): string {
  return (/<([^<>]+)>\s*$/.exec(header)?.[1] ?? header).trim();
}
