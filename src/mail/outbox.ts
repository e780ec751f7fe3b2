/**
 * The outbox: mail is queued, never sent by the code that causes it. A change queues its mail
 * in its own transaction (a job of the durable queue), so the mail exists exactly when the
 * change does; a worker on any node sends it after the commit and retries until the mail
 * server takes it. Nothing is lost when a node dies, and nothing is sent for a change that
 * rolled back.
 *
 * A queued mail carries its text sealed with the secret box (it may hold an activation link
 * or a one-time code, which are never stored in clear), and may say what must still hold
 * when its turn comes: a link that was replaced, or a code whose login ended, is not sent.
 * The job id doubles as the Message-ID, so the one resend a crash can cause (after the mail
 * server took the message, before the job was marked done) carries the same Message-ID.
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { recipientKey } from '../jobs/queue.js';
import type { SecretBox } from '../secrets/secret-box.js';
import type { JobQueries } from '../store/jobs.js';
import type { MailContent } from './bilingual.js';
import type { MailKind } from './mailer.js';

/** What must still be true for a queued mail to be worth sending. */
export type DeliveryCondition =
  /** The activation link of this row is still live (not used, replaced or expired). */
  | { activationToken: string }
  /** The emailed code of this challenge is still open (its login still waits for it). */
  | { emailOtpChallenge: number };

export interface OutgoingMail extends MailContent {
  kind: MailKind;
  to: string;
}

/** A mail job as stored: everything a person could misuse is sealed. */
export interface MailJob {
  kind: MailKind;
  to: string;
  sealed: string;
  wanted?: DeliveryCondition;
  /** When it was queued (ISO): a mail still not accepted days later is given up (delivery.ts). Absent in jobs of earlier releases. */
  queuedAt?: string;
}

/** What became of a mail's delivery attempt on this node. */
export type AttemptOutcome = 'sent' | 'failed' | 'rejected' | 'dropped';

export interface MailOutbox {
  /**
   * Queues `mail` on `jobs`' connection (the change's transaction); returns the job's id.
   * `options.id` names the job after its cause: a second mail for the same cause is not made.
   */
  queue(jobs: Pick<JobQueries, 'send'>, mail: OutgoingMail, wanted?: DeliveryCondition, options?: { id: string }): Promise<string>;
  /**
   * The outcome of the first attempt to deliver job `id` made on this node, or 'pending' when
   * none is made within `timeoutMs` (it may be running on another node, or still waiting).
   */
  firstAttempt(id: string, timeoutMs: number): Promise<AttemptOutcome | 'pending'>;
  /** For the delivery worker: reports an attempt to whoever waits for it. */
  attempted(id: string, outcome: AttemptOutcome): void;
  /** Opens a job's sealed text (the delivery worker's side). */
  open(id: string, job: MailJob): MailContent;
}

const sealContext = (id: string) => `mail:${id}`;

/**
 * The key that orders mail job `id` (QUEUES.mail): its recipient's, so each address gets its
 * mails in the order they were queued — except a one-time code, which has a key of its own and
 * so waits behind nothing. A code is for a login happening now: behind an earlier mail that is
 * waiting for a retry (the relay down, a mailbox answering 4xx) it would be neither tried nor
 * reported, and the code page, which waits for its first attempt, would say "on its way" when
 * it is not; and once the relay is back it would wait for that mail's next retry, up to 5
 * minutes off. Codes need no order among themselves either: a new code closes the login's
 * older ones, whose mails are then dropped, not sent.
 */
function orderKey(kind: MailKind, to: string, id: string): string {
  return kind === 'one-time-code' ? `one-time-code:${id}` : recipientKey(to);
}

/** How long an attempt's outcome is remembered for a waiter that comes late. */
const REMEMBER_MS = 60_000;

export function createMailOutbox(box: SecretBox, now: () => Date = () => new Date()): MailOutbox {
  const attempts = new EventEmitter();
  attempts.setMaxListeners(0);
  const recent = new Map<string, { outcome: AttemptOutcome; at: number }>();
  return {
    async queue(jobs, mail, wanted, options) {
      const id = options?.id ?? randomUUID();
      const sealed = box.seal(Buffer.from(JSON.stringify({ subject: mail.subject, text: mail.text })), sealContext(id));
      const job: MailJob = { kind: mail.kind, to: mail.to, sealed, ...(wanted ? { wanted } : {}), queuedAt: now().toISOString() };
      await jobs.send('mail', job, { id, singletonKey: orderKey(mail.kind, mail.to, id) });
      return id;
    },
    firstAttempt(id, timeoutMs) {
      const known = recent.get(id);
      if (known) return Promise.resolve(known.outcome);
      return new Promise((resolve) => {
        const done = (outcome: AttemptOutcome | 'pending') => {
          clearTimeout(timer);
          attempts.off(id, done);
          resolve(outcome);
        };
        const timer = setTimeout(() => done('pending'), timeoutMs);
        attempts.once(id, done);
      });
    },
    attempted(id, outcome) {
      const now = Date.now();
      if (!recent.has(id)) recent.set(id, { outcome, at: now });
      for (const [key, entry] of recent) {
        if (now - entry.at < REMEMBER_MS) break; // insertion order: the rest are newer
        recent.delete(key);
      }
      attempts.emit(id, outcome);
    },
    open(id, job) {
      const content = JSON.parse(box.open(job.sealed, sealContext(id)).toString('utf8')) as MailContent;
      return { subject: content.subject, text: content.text };
    },
  };
}
