/** The texts of the mails sent to signers (plain text, in English). */
import type { Config } from "../config.ts";
import type { Declaration } from "../db/schema.ts";
import type { MailMessage } from "../mail.ts";

// With the time: a link that expires 48 hours (or 5 minutes) from now does not last to the end of that day.
const dateTimeFormat = new Intl.DateTimeFormat("en", {
  dateStyle: "long",
  timeStyle: "short",
  hourCycle: "h23",
  timeZone: "UTC",
});

/** "November 28, 2026 at 09:38" (UTC). */
export function formatDateTime(date: Date): string {
  return dateTimeFormat.format(date);
}

export interface SigningMailInput {
  config: Pick<Config, "origin" | "instanceName" | "signing">;
  declaration: Pick<Declaration, "slug" | "title">;
  to: string;
  privateToken: string;
  /** Present while the signature waits for confirmation. */
  confirmToken?: string | undefined;
  /** When the confirmation link stops working (as stored); defaults to now plus the configured time. */
  confirmExpires?: Date | undefined;
  /** A second signing with an address that had already signed. */
  repeat: boolean;
}

export function privateUrl(origin: URL, token: string): string {
  return new URL(`/s/${token}`, origin).href;
}

export function confirmUrl(origin: URL, token: string): string {
  return new URL(`/s/confirm/${token}`, origin).href;
}

export function signingMail(input: SigningMailInput): MailMessage {
  const { config, declaration } = input;
  const manage = privateUrl(config.origin, input.privateToken);
  const lines: string[] = [];
  let subject: string;
  if (input.confirmToken != null) {
    const expires = input.confirmExpires ?? new Date(Date.now() + config.signing.confirmationTtlMs);
    subject = `Confirm your signature: ${declaration.title}`;
    lines.push(
      `Someone, hopefully you, signed “${declaration.title}” on ${config.instanceName} with this email address.`,
      "",
      "Your signature counts once you confirm it here:",
      confirmUrl(config.origin, input.confirmToken),
      "",
      `The link works until ${formatDateTime(expires)} UTC. If you did not sign, ignore this mail: nothing will be counted.`,
    );
  } else if (input.repeat) {
    subject = `Your signature: ${declaration.title}`;
    lines.push(
      `This email address has already signed “${declaration.title}” on ${config.instanceName}. It is counted once.`,
    );
  } else {
    subject = `Thank you for signing: ${declaration.title}`;
    lines.push(`Thank you for signing “${declaration.title}” on ${config.instanceName}.`);
  }
  lines.push(
    "",
    "Your private link — keep it to yourself. With it you can see exactly what is stored about you,",
    "download it, re-sign new versions, or withdraw your signature (which erases your data):",
    manage,
    "",
    input.repeat ? "This link replaces any private link you received before." : "",
    `— ${config.instanceName}`,
    new URL(`/d/${declaration.slug}`, config.origin).href,
  );
  return {
    to: input.to,
    subject,
    text: lines.filter((line, i, all) => !(line === "" && all[i - 1] === "")).join("\n"),
  };
}

/** The private link, mailed on request from the signer's page ("Mail me this link"). */
export function privateLinkMail(input: {
  config: Pick<Config, "origin" | "instanceName">;
  declaration: Pick<Declaration, "slug" | "title">;
  to: string;
  privateToken: string;
}): MailMessage {
  const { config, declaration } = input;
  return {
    to: input.to,
    subject: `Your private link: ${declaration.title}`,
    text: [
      `You asked ${config.instanceName} to mail you the private link of your signature of “${declaration.title}”.`,
      "",
      "Keep it to yourself. With it you can see exactly what is stored about you, download it,",
      "re-sign new versions, or withdraw your signature (which erases your data):",
      privateUrl(config.origin, input.privateToken),
      "",
      "This address was used for this mail only and is not stored.",
      `— ${config.instanceName}`,
      new URL(`/d/${declaration.slug}`, config.origin).href,
    ].join("\n"),
  };
}
