/**
 * Where pg-boss keeps its jobs (its own schema in our database), and whether it is installed:
 * the queue (jobs/queue.ts) and our queries of its job table (jobs.ts) both read it.
 */
import { ForbiddenError } from '../kernel/errors.js';
import { msg } from '../i18n/translate.js';
import type { Database } from './database.js';

/**
 * The `application_name` of the job queue's connections in a node or a CLI command that
 * queues (src/jobs/queue.ts), as every release so far has named them; `migrate`'s own are
 * named apart (MIGRATE_APPLICATION_NAME), so that it can tell whether anything else is running.
 */
export const JOB_APPLICATION_NAME = 'ccass-auth-jobs';
export const MIGRATE_APPLICATION_NAME = 'ccass-auth-migrate';

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
    // A node of the earlier release still running would queue mail the new queue never hands out
    // (lost), fail every request that mails (its insert breaks the new policy's check), and send
    // again a mail this conversion makes waiting again. So it is refused, not just documented:
    // every node keeps its job queue connected (LISTEN), and none may be.
    const { rows: running } = (await trx.raw(
      `select count(*)::int as connections, string_agg(distinct coalesce(host(client_addr), 'local'), ', ') as hosts
         from pg_stat_activity where datname = current_database() and application_name = ? and pid <> pg_backend_pid()`,
      [JOB_APPLICATION_NAME],
    )) as { rows: Array<{ connections: number; hosts: string | null }> };
    const busy = running[0];
    if (busy && busy.connections > 0) throw new ForbiddenError(msg('cli.migrate.nodesRunning', { connections: busy.connections, hosts: busy.hosts ?? 'local' }));
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
