/**
 * Where pg-boss keeps its jobs (its own schema in our database), and whether it is installed:
 * the queue (jobs/queue.ts) and our queries of its job table (jobs.ts) both read it.
 */
import type { Database } from './database.js';

export const JOB_SCHEMA = 'pgboss';

/** How many of `names` exist as queues (0 when pg-boss's schema is not installed yet). */
export async function installedQueueCount(db: Database, names: string[]): Promise<number> {
  const { rows } = (await db.raw('select to_regclass(?) as job', [`${JOB_SCHEMA}.job`])) as { rows: Array<{ job: string | null }> };
  if (!rows[0]?.job) return 0;
  const found = (await db.raw(`select name from ${JOB_SCHEMA}.queue where name = any(?)`, [names])) as { rows: unknown[] };
  return found.rows.length;
}

/**
 * Makes queue `name` a `key_strict_fifo` queue in place, each waiting job keyed by `keyOf` its
 * data: pg-boss takes a queue's policy only when it creates the queue (its updateQueue refuses a
 * policy), and deleting the queue to make it again would delete the mail waiting in it. In one
 * transaction, for a queue made by an earlier release (`migrate` with every node stopped: see the
 * runbook's upgrade notes). Every job still to run becomes 'created' again, keeping its retry
 * count and due time: pg-boss lets one job per key be active or retrying (its index job_i8), and
 * the queue then hands out each key's jobs in the order they were created. Jobs already
 * finished keep their policy (nothing fetches them). Returns how many jobs were keyed.
 */
export async function convertToKeyStrictFifo(db: Database, name: string, keyOf: (data: unknown) => string): Promise<number> {
  return db.transaction(async (trx) => {
    const { rows: queues } = (await trx.raw(`select policy from ${JOB_SCHEMA}.queue where name = ? for update`, [name])) as { rows: Array<{ policy: string }> };
    if (!queues[0] || queues[0].policy === 'key_strict_fifo') return 0;
    const { rows: jobs } = (await trx.raw(`select id, data from ${JOB_SCHEMA}.job where name = ? and state in ('created', 'retry', 'active') for update`, [name])) as { rows: Array<{ id: string; data: unknown }> };
    if (jobs.length) {
      await trx.raw(
        `update ${JOB_SCHEMA}.job as j
            set state = 'created', policy = 'key_strict_fifo', singleton_key = k.key
           from unnest(?::uuid[], ?::text[]) as k(id, key)
          where j.name = ? and j.id = k.id`,
        [jobs.map((job) => job.id), jobs.map((job) => keyOf(job.data)), name],
      );
    }
    await trx.raw(`update ${JOB_SCHEMA}.queue set policy = 'key_strict_fifo' where name = ?`, [name]);
    return jobs.length;
  });
}
