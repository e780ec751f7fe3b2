/**
 * The knex connection pool. Everything that persists goes through the query modules in
 * this folder; nothing outside `store/` writes SQL.
 */
import knexFactory, { type Knex } from 'knex';
import pg from 'pg';

export type Database = Knex;

// Return int8 (bigint, count(*)) as JS numbers: our counts and ids stay far below 2^53.
pg.types.setTypeParser(pg.types.builtins.INT8, (value: string) => Number.parseInt(value, 10));

/** Where knex's own warnings go (a connection lost, a deprecation); by default nowhere. */
export interface DatabaseLog {
  warn(message: string): void;
}

export function connectDatabase(url: string, pool: { min: number; max: number } = { min: 0, max: 10 }, log?: DatabaseLog): Database {
  const warn = (message: unknown) => log?.warn(String(message));
  return knexFactory({
    client: 'pg',
    connection: { connectionString: url, application_name: 'ccass-auth' },
    pool: { min: pool.min, max: pool.max },
    acquireConnectionTimeout: 10_000,
    // knex writes these to the console unless told otherwise; a lost connection is dropped from the pool and logged here.
    log: { warn, error: warn, deprecate: warn, debug: () => undefined },
  });
}

/** True when a trivial query succeeds within the timeout (readiness probe). */
export async function isDatabaseReachable(db: Database, timeoutMs = 2000): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  try {
    return await Promise.race([db.raw('select 1').then(() => true, () => false), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** The connection string a pool was made with: for clients that need connections of their own (the job queue's LISTEN). */
export function databaseUrlOf(db: Database): string {
  const connection = (db.client as { config?: { connection?: unknown } }).config?.connection;
  const url = typeof connection === 'string' ? connection : (connection as { connectionString?: unknown } | undefined)?.connectionString;
  if (typeof url !== 'string') throw new Error('the database pool was not made from a connection string');
  return url;
}
