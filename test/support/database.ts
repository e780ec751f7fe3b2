/**
 * Each test file gets its own PostgreSQL database on DATABASE_URL's server, dropped at the end:
 * tests can run alone or in parallel without sharing rows. The database is a copy of a template
 * migrated once (CREATE DATABASE … TEMPLATE copies files, far cheaper than migrating each time).
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { connectDatabase, type Database } from '../../src/store/database.js';
import { migrateToLatest } from '../../src/store/migrate.js';
import { templateDatabaseName } from './global-setup.js';

export const ADMIN_DATABASE_URL = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const TEST_DATABASE_PREFIX = 'ccass_test_';

export interface TestDatabase {
  name: string;
  url: string;
  db: Database;
  drop(): Promise<void>;
}

export function databaseUrl(name: string): string {
  const url = new URL(ADMIN_DATABASE_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

export async function withAdminClient<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: ADMIN_DATABASE_URL });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

let template: Promise<string> | undefined;

/**
 * The migrated template, made by the first test process that needs it; the others wait on the
 * advisory lock and find it made. A template left half-made by a killed run is made again.
 */
function migratedTemplate(): Promise<string> {
  template ??= withAdminClient(async (client) => {
    const name = templateDatabaseName();
    await client.query('select pg_advisory_lock(hashtext($1))', [name]);
    try {
      const { rowCount } = await client.query('select 1 from pg_database where datname = $1 and datistemplate', [name]);
      if (!rowCount) {
        await client.query(`drop database if exists ${name} with (force)`);
        await client.query(`create database ${name}`);
        const db = connectDatabase(databaseUrl(name), { min: 0, max: 2 });
        try {
          await migrateToLatest(db);
        } finally {
          await db.destroy();
        }
        await client.query(`alter database ${name} is_template true`);
      }
      return name;
    } finally {
      await client.query('select pg_advisory_unlock(hashtext($1))', [name]);
    }
  });
  return template;
}

/** The Jest run a database belongs to (its main process), so a run's clean-up leaves another run's databases alone. */
export const TEST_RUN_ENV = 'CCASS_TEST_RUN_PID';

export async function createTestDatabase(): Promise<TestDatabase> {
  const run = process.env[TEST_RUN_ENV] ?? String(process.pid);
  const name = `${TEST_DATABASE_PREFIX}${run}_${randomBytes(6).toString('hex')}`;
  const source = await migratedTemplate();
  // PostgreSQL refuses to copy a template while any session is connected to it (another run's
  // clean-up or set-up, for a moment): try again shortly rather than fail the test file.
  for (let attempt = 1; ; attempt += 1) {
    try {
      await withAdminClient((client) => client.query(`create database ${name} template ${source}`));
      break;
    } catch (error) {
      if ((error as { code?: string }).code !== '55006' || attempt >= 20) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
    }
  }
  const url = databaseUrl(name);
  const db = connectDatabase(url, { min: 0, max: 5 });
  return {
    name,
    url,
    db,
    async drop() {
      await db.destroy();
      await withAdminClient((client) => client.query(`drop database if exists ${name} with (force)`));
    },
  };
}
