import type { Knex } from 'knex';
import { migrations } from '../../migrations/index.js';
import type { Database } from './database.js';
import { installJobQueue, jobQueueInstalled } from '../jobs/queue.js';

const migrationSource: Knex.MigrationSource<readonly [string, Knex.Migration]> = {
  getMigrations: async () => [...migrations],
  getMigrationName: ([name]) => name,
  getMigration: async ([, migration]) => migration,
};

/**
 * Applies pending migrations, then installs or upgrades the job queue's schema and queues;
 * returns the names applied. Safe to run from several nodes at once (knex and pg-boss lock).
 */
export async function migrateToLatest(db: Database): Promise<string[]> {
  const [, applied] = (await db.migrate.latest({ migrationSource })) as [number, string[]];
  await installJobQueue(db);
  return applied;
}


/** Names of migrations not yet applied to this database ("job queue" when its schema is missing). */
export async function pendingMigrationNames(db: Database): Promise<string[]> {
  const [, pending] = (await db.migrate.list({ migrationSource })) as [unknown, Array<readonly [string, Knex.Migration]>];
  const names = pending.map(([name]) => name);
  if (!(await jobQueueInstalled(db))) names.push('job queue (pg-boss schema and queues)');
  return names;
}
