/**
 * A real SMTP server on loopback (smtp-server) that keeps what it receives, parsed with
 * mailparser, so tests exercise the same SMTP exchange as production.
 */
import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  to: string;
  subject: string;
  text: string;
  messageId: string;
}

export class SmtpSink {
  readonly messages: ReceivedMail[] = [];
  private waiters: Array<() => void> = [];
  /** Recipients (lower case) answered with an SMTP error at RCPT TO, and how many times more. */
  private refusals = new Map<string, { code: number; times: number }>();
  /** Recipients (lower case) whose RCPT TO is left unanswered until release(address); their callbacks. */
  private holds = new Map<string, Array<() => void>>();
  /** Messages refused at the end of DATA when their subject contains the text: with this code. */
  private dataRefusals = new Map<string, number>();
  private server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onRcptTo: (address, _session, callback) => {
      const key = address.address.toLowerCase();
      const held = this.holds.get(key);
      if (held) {
        held.push(() => callback());
        return;
      }
      const refusal = this.refusals.get(key);
      if (!refusal) return callback();
      refusal.times -= 1;
      if (refusal.times <= 0) this.refusals.delete(key);
      const error = new Error(refusal.code >= 500 ? 'no such mailbox' : 'mailbox busy, try again later') as Error & { responseCode: number };
      error.responseCode = refusal.code;
      return callback(error);
    },
    onData: (stream, _session, callback) => {
      simpleParser(stream)
        .then((mail: ParsedMail) => {
          const to = Array.isArray(mail.to) ? mail.to.map((entry) => entry.text).join(', ') : (mail.to?.text ?? '');
          const subject = mail.subject ?? '';
          for (const [text, code] of this.dataRefusals) {
            if (!subject.includes(text)) continue;
            const error = new Error(code >= 500 ? 'message refused' : 'try again later') as Error & { responseCode: number };
            error.responseCode = code;
            return callback(error);
          }
          this.messages.push({ to, subject, text: mail.text ?? '', messageId: mail.messageId ?? '' });
          for (const wake of this.waiters.splice(0)) wake();
          callback();
        })
        .catch(callback);
    },
  });

  url = '';

  constructor() {
    // A client that dies mid-message (a node SIGKILLed while sending) resets its connection:
    // that is the sender's failure, not the sink's.
    this.server.on('error', () => undefined);
  }

  /** Listens on `port` (default: any free one). */
  async start(listenPort = 0): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(listenPort, '127.0.0.1', resolve));
    const { port } = this.server.server.address() as AddressInfo;
    this.url = `smtp://127.0.0.1:${port}`;
    return this;
  }

  /**
   * Answers RCPT TO `address` (any case) with `code` — a 4xx (try later) or a 5xx (no such
   * mailbox) — the next `times` times, or until accept(address).
   */
  refuse(address: string, code: number, times = Number.POSITIVE_INFINITY): this {
    this.refusals.set(address.toLowerCase(), { code, times });
    return this;
  }

  /** Takes mail for `address` again. */
  accept(address: string): this {
    this.refusals.delete(address.toLowerCase());
    return this;
  }

  /**
   * Leaves RCPT TO `address` (any case) unanswered — the sender stays mid-send, its job active —
   * until release(address). heldCount(address) says how many sessions wait so.
   */
  hold(address: string): this {
    this.holds.set(address.toLowerCase(), this.holds.get(address.toLowerCase()) ?? []);
    return this;
  }

  heldCount(address: string): number {
    return this.holds.get(address.toLowerCase())?.length ?? 0;
  }

  /** Answers the held RCPT TOs of `address` (a dead sender's session simply closes) and no longer holds it. */
  release(address: string): this {
    const held = this.holds.get(address.toLowerCase()) ?? [];
    this.holds.delete(address.toLowerCase());
    for (const answer of held) {
      try {
        answer();
      } catch {
        // the sender is gone
      }
    }
    return this;
  }

  /** Refuses, at the end of DATA, every message whose subject contains `text`, with `code` (e.g. 554, 552). */
  refuseMessage(text: string, code: number): this {
    this.dataRefusals.set(text, code);
    return this;
  }

  /** Takes messages whose subject contains `text` again. */
  acceptMessage(text: string): this {
    this.dataRefusals.delete(text);
    return this;
  }

  /** Resolves with the `count`-th message (1-based) to `to`, waiting for it to arrive. */
  async mailTo(to: string, count = 1, timeoutMs = 5000): Promise<ReceivedMail> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const matching = this.messages.filter((message) => message.to.includes(to));
      if (matching.length >= count) return matching[count - 1] as ReceivedMail;
      if (Date.now() > deadline) throw new Error(`no message #${count} to ${to} within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 100);
      });
    }
  }

  countTo(to: string): number {
    return this.messages.filter((message) => message.to.includes(to)).length;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** The 6-digit code in a one-time-code email (for a login, or for setting one up). */
export function codeIn(mail: ReceivedMail): string {
  const match = /(?:code for logging in to CCASS|code to finish setting up your CCASS login) is: (\d{6})/.exec(mail.text);
  if (!match) throw new Error(`no code in mail: ${mail.text}`);
  return match[1] as string;
}
