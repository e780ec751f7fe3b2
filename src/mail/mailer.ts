/**
 * Outgoing mail (nodemailer). With `smtp.url`: SMTP. Without it (development only; the
 * configuration refuses this in production): each message is written to the outbox folder
 * as an .eml file and the log says where, so no message is ever dropped silently. The log
 * line names recipient and subject only: message bodies carry one-time codes.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import nodemailer from 'nodemailer';
import type { Logger } from '../observability/logger.js';

/** What a message is for: the label of the emails-sent metric. */
export type MailKind = 'one-time-code' | 'activation' | 'email-change' | 'security-notice' | 'reminder' | 'digest' | 'readiness-report' | 'change-request' | 'change-decision';

export interface MailMessage {
  kind: MailKind;
  to: string;
  subject: string;
  text: string;
  /** `<id@host>`: the same for every attempt to send one queued mail. */
  messageId?: string;
}

/** A failing mail server must not hold a worker for minutes: nodemailer waits 2 min to connect by default. */
const SMTP_TIMEOUTS = { connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 30_000 };

/** The SMTP URL with our timeouts where the operator's URL sets none. */
function withTimeouts(url: string): string {
  const parsed = new URL(url);
  for (const [name, value] of Object.entries(SMTP_TIMEOUTS)) if (!parsed.searchParams.has(name)) parsed.searchParams.set(name, String(value));
  return parsed.toString();
}

export interface Mailer {
  send(message: MailMessage): Promise<void>;
  close(): void;
}

export function createMailer(options: { url?: string | undefined; from: string; outboxDir: string }, log: Logger): Mailer {
  if (options.url) {
    const transport = nodemailer.createTransport(withTimeouts(options.url));
    return {
      async send({ kind: _kind, ...message }) {
        await transport.sendMail({ from: options.from, ...message });
        log.info({ to: message.to, subject: message.subject }, 'mail sent');
      },
      close: () => transport.close(),
    };
  }

  const transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  const outbox = path.resolve(options.outboxDir);
  return {
    async send({ kind: _kind, ...message }) {
      const info = await transport.sendMail({ from: options.from, ...message });
      await mkdir(outbox, { recursive: true, mode: 0o700 });
      const file = path.join(outbox, `${new Date().toISOString().replace(/[:.]/g, '-')}-${info.messageId.replace(/[^A-Za-z0-9.@-]/g, '')}.eml`);
      await writeFile(file, info.message as Buffer, { mode: 0o600 });
      log.warn({ to: message.to, subject: message.subject, file }, 'no SMTP configured: mail written to the outbox');
    },
    close: () => transport.close(),
  };
}
