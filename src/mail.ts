/**
 * Outgoing mail (nodemailer over SMTP).  Only the signing flow sends mail:
 * confirmation links and private links.  Addresses and message bodies are
 * never logged.
 */
import { getLogger } from "@logtape/logtape";
import nodemailer from "nodemailer";
import type { MailConfig } from "./config.ts";
import { APP } from "./logging.ts";

export interface MailMessage {
  readonly to: string;
  readonly subject: string;
  readonly text: string;
}

export interface Mailer {
  send(message: MailMessage): Promise<void>;
}

const logger = getLogger([APP, "mail"]);

/** A mailer for the configured SMTP server. */
export function createMailer(config: MailConfig): Mailer {
  const transport = nodemailer.createTransport(config.smtpUrl, { from: fromAddress(config.from) });
  return {
    async send(message) {
      await transport.sendMail({ to: message.to, subject: message.subject, text: message.text });
    },
  };
}

/**
 * Sends without making the caller wait or fail: a signature is already safely
 * stored when its mail goes out, and a lost mail can be re-sent by signing again.
 */
export function sendInBackground(mailer: Mailer, message: MailMessage, what: string): void {
  mailer.send(message).catch((error: unknown) => {
    logger.warn("Could not send the {what} mail: {error}", {
      what,
      error: redactAddresses(error instanceof Error ? error.message : String(error)),
    });
  });
}

/**
 * `Name <address>` split into its parts, so that nodemailer quotes the name
 * itself.  Given the whole string, nodemailer parses the name as an address
 * list: "Undersign (Berlin)" loses "(Berlin)" as a comment, and "Undersign:
 * Berlin" becomes a group ("Undersign:Berlin <…>;").  The default MAIL_FROM is
 * built from INSTANCE_NAME, which may contain either.  Anything else (a bare
 * address, or a name already RFC 2047-encoded) is passed on as it is.
 */
export function fromAddress(from: string): string | { name: string; address: string } {
  const match = /^\s*(.*?)\s*<([^<>\s]+@[^<>\s]+)>\s*$/.exec(from);
  if (match == null || /=\?[^?]+\?[BbQq]\?/.test(match[1]!)) return from.trim();
  let name = match[1]!;
  if (/^".*"$/.test(name)) name = name.slice(1, -1).replace(/\\(.)/g, "$1");
  return name === "" ? match[2]! : { name, address: match[2]! };
}

const ADDRESS = /[^\s<>()[\]\\,;:"'@]+@[^\s<>()[\]\\,;:"'@]+/g;

/** SMTP servers quote the recipient in their errors ("550 <alice@…>: unknown user"); keep it out of the log. */
export function redactAddresses(text: string): string {
  return text.replace(ADDRESS, "[address]");
}
