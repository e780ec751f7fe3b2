/**
 * What the reminders before a deadline read and write: every user who is not disabled with
 * their readiness (the readiness report's own definition, READINESS_SQL), and the causes
 * already queued (reminder_causes) — claimed in the transaction that queues their mail, so a
 * cause claimed by one node or one earlier tick is not queued again.
 */
import type { Database } from './database.js';
import { READINESS_SQL, type ReadinessState, type UserRow } from './users.js';

export interface ReminderCandidateRow {
  id: string;
  participant_id: string;
  user_id: string;
  display_name: string;
  email: string | null;
  role: UserRow['role'];
  status: UserRow['status'];
  readiness: ReadinessState;
}

export function reminderQueries(db: Database) {
  return {
    /** Every user who is not disabled, with where they stand at `now`, by participant and user ID. */
    async candidates(now: Date): Promise<ReminderCandidateRow[]> {
      return (await db('users')
        .whereNot({ status: 'disabled' })
        .select('id', 'participant_id', 'user_id', 'display_name', 'email', 'role', 'status', db.raw(`${READINESS_SQL} as readiness`, [now, now]))
        .orderBy(['participant_id', 'user_id'])) as ReminderCandidateRow[];
    },
    /**
     * Claims `causes` for this transaction: returns those no one claimed before. A cause being
     * claimed by a concurrent transaction waits for it and, once it commits, is not returned.
     */
    async claim(causes: ReadonlyArray<{ cause: string; kind: string; mailJobId: string }>, now: Date): Promise<Set<string>> {
      if (causes.length === 0) return new Set();
      const rows = (await db('reminder_causes')
        .insert(causes.map((entry) => ({ cause: entry.cause, kind: entry.kind, mail_job_id: entry.mailJobId, queued_at: now })))
        .onConflict('cause')
        .ignore()
        .returning('cause')) as Array<{ cause: string }>;
      return new Set(rows.map((row) => row.cause));
    },
  };
}

export type ReminderQueries = ReturnType<typeof reminderQueries>;
