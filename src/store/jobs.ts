/**
 * Jobs as the rest of the store sees them: created on this query module's connection — the
 * transaction of the change that causes them, when the module is bound to one — and counted
 * for the operators (queue depth and age, from pg-boss's documented job table).
 */
import type { Database } from './database.js';
import { QUEUES, type JobQueue, type QueueName } from '../jobs/queue.js';
import { JOB_SCHEMA } from './job-schema.js';

export interface QueueDepth {
  queue: QueueName;
  /** Waiting for a first run or a retry. */
  queued: number;
  /** Being run by a worker now. */
  active: number;
  /** Retried at least once (a failing dependency, e.g. the mail server). */
  retrying: number;
  /** Given up (retention passed or a permanent failure), still kept for inspection. */
  failed: number;
  /**
   * Since when the longest-waiting job has waited: a job tried before, since it was created (it
   * has been trying ever since); one never tried, since it became due. A job scheduled for later
   * (a change request's expiry) is not waiting yet. Null when none waits.
   */
  oldestQueuedAt: Date | null;
}

export function jobQueries(db: Database, queue: JobQueue | undefined) {
  return {
    /** A new job, committed with the caller's transaction (see JobQueue.send). */
    async send(name: QueueName, data: object, options: { id: string; startAfter?: Date; singletonKey?: string }): Promise<void> {
      if (!queue) throw new Error('no job queue in this process: work that sends mail needs one');
      await queue.send(db, name, data, options);
    },
    /** Whether job `id` of `name` is still to run (waiting, retrying or running). */
    async pending(name: QueueName, id: string): Promise<boolean> {
      const { rows } = (await db.raw(`select 1 from ${JOB_SCHEMA}.job where name = ? and id = ? and state in ('created', 'retry', 'active')`, [name, id])) as { rows: unknown[] };
      return rows.length > 0;
    },
    /** How the queue stands, per queue. */
    async depth(): Promise<QueueDepth[]> {
      const { rows } = (await db.raw(
        `select name,
                count(*) filter (where state in ('created', 'retry')) as queued,
                count(*) filter (where state = 'active') as active,
                count(*) filter (where state = 'retry' or (state in ('created', 'active') and retry_count > 0)) as retrying,
                count(*) filter (where state = 'failed') as failed,
                min(case when state = 'retry' or retry_count > 0 then created_on else start_after end)
                  filter (where state = 'retry' or (state = 'created' and (retry_count > 0 or start_after <= now()))) as oldest
           from ${JOB_SCHEMA}.job group by name`,
      )) as { rows: Array<{ name: QueueName; queued: number; active: number; retrying: number; failed: number; oldest: Date | null }> };
      // Every queue of ours, with zeros when it holds no job (a quiet queue is a 0, not a gap in the graph); not pg-boss's own.
      const found = new Map(rows.map((row) => [row.name, row]));
      return (Object.keys(QUEUES) as QueueName[]).map((queue) => {
        const row = found.get(queue);
        return { queue, queued: Number(row?.queued ?? 0), active: Number(row?.active ?? 0), retrying: Number(row?.retrying ?? 0), failed: Number(row?.failed ?? 0), oldestQueuedAt: row?.oldest ?? null };
      });
    },
  };
}

export type JobQueries = ReturnType<typeof jobQueries>;
