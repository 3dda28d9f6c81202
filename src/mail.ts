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
  const transport = nodemailer.createTransport(config.smtpUrl, { from: config.from });
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
    logger.warn("Could not send the {what} mail: {error}", { what, error: error instanceof Error ? error.message : String(error) });
  });
}
