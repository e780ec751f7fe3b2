/**
 * The mail worker: runs each queued mail (see outbox.ts) on whichever node fetches it. A mail
 * whose condition no longer holds is dropped, not sent; a mail the server refuses for good
 * (SMTP 5xx to its recipient or to its message) is given up and logged; any other failure —
 * the server unreachable, a timeout, a 4xx — is thrown, so the queue retries it with backoff
 * until the server takes it.
 *
 * The queue hands a worker only the oldest waiting mail of each recipient (QUEUES.mail in
 * jobs/queue.ts; a one-time code is keyed on its own): a mail thrown here stays its address's first, and the later ones to that
 * address wait for it to be sent, dropped or given up — no attempt of theirs is made or
 * counted meanwhile, so the attempt counts below stay one per real attempt.
 */
import type { Job } from 'pg-boss';
import { QUEUES } from '../jobs/queue.js';
import type { Clock } from '../kernel/clock.js';
import type { Logger } from '../observability/logger.js';
import type { Queries } from '../store/index.js';
import type { Mailer, MailKind } from './mailer.js';
import type { AttemptOutcome, DeliveryCondition, MailJob, MailOutbox } from './outbox.js';

export interface MailDeliveryDependencies {
  queries: Pick<Queries, 'activationTokens' | 'emailOtpChallenges'>;
  mailer: Mailer;
  outbox: MailOutbox;
  clock: Clock;
  log: Logger;
  /** The host the Message-ID is minted under (the issuer's). */
  messageIdHost: string;
  /** Counts every attempt by kind and outcome. */
  count: (kind: MailKind, outcome: AttemptOutcome) => void;
}

async function stillWanted(deps: MailDeliveryDependencies, wanted: DeliveryCondition | undefined): Promise<boolean> {
  if (!wanted) return true;
  const now = deps.clock.now();
  if ('activationToken' in wanted) return deps.queries.activationTokens.isLive(wanted.activationToken, now);
  return deps.queries.emailOtpChallenges.isOpen(wanted.emailOtpChallenge, now);
}

/**
 * A refusal that no retry can change: the server refused the recipient with a 5xx (RFC 5321
 * §4.2.1, RCPT TO: no such mailbox), or refused this message as such with a 5xx to its DATA
 * (552: too big; 554: refused by a content filter) — RFC 5321 §4.2.1: a 5yz is not to be
 * repeated as it was. Such a mail must be given up, not retried: it would otherwise stay its
 * address's first for the days its retries last, and every later mail to the address — a
 * one-time code a user waits for — would wait behind it (QUEUES.mail). Everything else is
 * retried — a connection refused, a timeout, a 4xx, and also a 5xx to AUTH or MAIL FROM: those
 * mean our credentials or sender are wrong (a rotated SMTP password), which an operator fixes,
 * and no mail may be lost to it.
 */
/**
 * How long a mail is retried before it is given up: a day short of the queue's retention, after
 * which pg-boss would delete it unseen (a job it drops that way is neither failed nor logged).
 * Given up here, it is logged and counted, and it no longer holds its address's later mail
 * (QUEUES.mail: one address's mail goes out in order). An activation link's DA resends it.
 */
export const GIVE_UP_AFTER_MS = (QUEUES.mail.retentionSeconds - 86_400) * 1000;

function tooLongUnsent(mail: MailJob, now: Date): boolean {
  const queuedAt = mail.queuedAt === undefined ? Number.NaN : Date.parse(mail.queuedAt);
  return Number.isFinite(queuedAt) && now.getTime() - queuedAt >= GIVE_UP_AFTER_MS;
}

function permanentRefusal(error: unknown): boolean {
  const { responseCode, command } = error as { responseCode?: unknown; command?: unknown };
  return typeof responseCode === 'number' && responseCode >= 500 && responseCode < 600 && (command === 'RCPT TO' || command === 'DATA');
}

export function mailDelivery(deps: MailDeliveryDependencies): (job: Job<MailJob>) => Promise<void> {
  return async (job) => {
    const mail = job.data;
    const context = { job: job.id, kind: mail.kind, to: mail.to };
    const report = (outcome: AttemptOutcome) => {
      deps.count(mail.kind, outcome);
      deps.outbox.attempted(job.id, outcome);
    };
    if (!(await stillWanted(deps, mail.wanted))) {
      deps.log.info(context, 'queued mail dropped: what it carried is no longer valid');
      report('dropped');
      return;
    }
    let content;
    try {
      content = deps.outbox.open(job.id, mail);
    } catch (error) {
      // Sealed under a key no longer configured: no retry can help.
      deps.log.error({ ...context, err: error }, 'queued mail cannot be opened (was its encryption key removed?); given up');
      report('rejected');
      return;
    }
    try {
      await deps.mailer.send({ kind: mail.kind, to: mail.to, ...content, messageId: `<${job.id}@${deps.messageIdHost}>` });
      // The link's row says it went out: re-running an upload resends only links that did not.
      if (mail.wanted && 'activationToken' in mail.wanted) await deps.queries.activationTokens.markMailed(mail.wanted.activationToken, deps.clock.now());
    } catch (error) {
      if (permanentRefusal(error)) {
        deps.log.warn({ ...context, err: error }, 'mail refused by the mail server for good; given up');
        report('rejected');
        return;
      }
      if (tooLongUnsent(mail, deps.clock.now())) {
        deps.log.error({ ...context, err: error, queuedAt: mail.queuedAt }, 'mail not accepted by the mail server for days; given up');
        report('rejected');
        return;
      }
      deps.log.warn({ ...context, err: error }, 'mail could not be handed to the mail server; it will be retried');
      report('failed');
      throw error;
    }
    report('sent');
  };
}
