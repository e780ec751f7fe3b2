/**
 * One tick of the reminders: the causes due now (due-causes.ts), each queued as a `mail` job
 * named after its cause. pg-boss's cron makes a `reminders_tick` job every few minutes and
 * whichever node fetches it runs this; `ccass-auth reminders run` and tests run it directly.
 *
 * Exactly once per cause, whatever the number of nodes and however a tick ends: each batch of
 * causes is claimed in reminder_causes and its mails queued in one transaction. Two nodes
 * ticking at once claim disjoint sets (the second waits on the first's rows and then finds them
 * taken); a tick killed mid-way has committed whole batches only, and the tick run again after
 * it finds those taken and queues the rest. The mail job's id is derived from its cause too, so
 * it doubles as a stable Message-ID; delivery (retries while SMTP is down, a killed worker's job
 * run elsewhere) is the mail queue's (src/mail/delivery.ts).
 */
import { createHash } from 'node:crypto';
import type { Clock } from '../kernel/clock.js';
import { digestMail, readinessReportMail, reminderMail } from '../mail/reminder-mails.js';
import type { MailOutbox, OutgoingMail } from '../mail/outbox.js';
import type { Logger } from '../observability/logger.js';
import { readinessReport, type ReadinessReport } from '../reports/readiness-report.js';
import type { Queries } from '../store/index.js';
import type { ReminderCandidateRow } from '../store/reminders.js';
import { causeKey, dueCauses, dueOffsets, notReadyFor, type Cause, type Deadline, type DeadlineKind, type ReminderUser } from './due-causes.js';
import { exemptions, type ExceptionLookup } from './exceptions.js';

export interface ReminderDependencies {
  queries: Pick<Queries, 'reminders' | 'readinessReport' | 'transaction'>;
  outbox: MailOutbox;
  clock: Clock;
  log: Logger;
  /** Links in mails point at this server's public URL. */
  issuer: string;
  deadlines: readonly Deadline[];
  settings: { offsetsDays: readonly number[]; operatorEmails: readonly string[] };
  exceptions?: ExceptionLookup | undefined;
}

export interface TickResult {
  /** Mails due now. */
  due: number;
  /** Of those, queued by this tick. */
  queued: number;
  /** Of those, queued before (by another node or an earlier tick). */
  earlier: number;
}

/** Causes claimed and queued per transaction: a crash loses at most one uncommitted batch, which the next tick redoes. */
export const BATCH_SIZE = 100;

/** A UUID derived from the cause: the mail job's id and its Message-ID. */
export function causeJobId(cause: string): string {
  const hex = createHash('sha256').update(`reminder\0${cause}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

export async function runReminderTick(deps: ReminderDependencies): Promise<TickResult> {
  const now = deps.clock.now();
  const due = dueOffsets(deps.deadlines, deps.settings.offsetsDays, now);
  if (due.length === 0) return { due: 0, queued: 0, earlier: 0 };

  const rows = await deps.queries.reminders.candidates(now);
  const byId = new Map(rows.map((row) => [row.id, row]));
  const isExempt = await exemptions(deps.exceptions, now);
  const users: ReminderUser[] = [];
  for (const row of rows) {
    const excepted: DeadlineKind[] = [];
    for (const { deadline } of due) if (notReadyFor(deadline.kind, row.readiness) && (await isExempt(row.id, deadline.kind))) excepted.push(deadline.kind);
    users.push({ id: row.id, participantId: row.participant_id, email: row.email, role: row.role, status: row.status, readiness: row.readiness, excepted });
  }
  const causes = dueCauses({ deadlines: deps.deadlines, offsetsDays: deps.settings.offsetsDays, now, users, operatorEmails: deps.settings.operatorEmails });

  let report: ReadinessReport | undefined;
  const mailOf = async (cause: Cause): Promise<OutgoingMail | undefined> => {
    const deadline = { kind: cause.deadline, at: cause.date };
    switch (cause.kind) {
      case 'reminder': {
        const user = byId.get(cause.userId) as ReminderCandidateRow & { email: string };
        return { kind: 'reminder', to: user.email, ...reminderMail(user, deadline) };
      }
      case 'digest': {
        const da = byId.get(cause.daId) as ReminderCandidateRow & { email: string };
        const entries = cause.userIds.map((id) => byId.get(id) as ReminderCandidateRow);
        return { kind: 'digest', to: da.email, ...digestMail(da, deadline, entries, new URL('/dms/readiness', deps.issuer).toString()) };
      }
      case 'report':
        report ??= await readinessReport(deps.queries, { now });
        return { kind: 'readiness-report', to: cause.to, ...readinessReportMail(report, deadline, cause.offsetDays) };
    }
  };

  let queued = 0;
  for (let start = 0; start < causes.length; start += BATCH_SIZE) {
    // Sorted, so that two nodes claiming the same batch take its rows in one order (no deadlock).
    const batch = causes
      .slice(start, start + BATCH_SIZE)
      .map((cause) => ({ cause, key: causeKey(cause) }))
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    queued += await deps.queries.transaction(async (trx) => {
      const claimed = await trx.reminders.claim(batch.map(({ cause, key }) => ({ cause: key, kind: cause.kind, mailJobId: causeJobId(key) })), now);
      for (const { cause, key } of batch) {
        if (!claimed.has(key)) continue;
        const mail = await mailOf(cause);
        if (mail) await deps.outbox.queue(trx.jobs, mail, undefined, { id: causeJobId(key) });
      }
      return claimed.size;
    });
  }
  const result = { due: causes.length, queued, earlier: causes.length - queued };
  if (causes.length) deps.log.info({ ...result, deadlines: due.map(({ deadline, offsetDays }) => ({ deadline: deadline.kind, offsetDays })) }, 'reminders tick');
  return result;
}
