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
