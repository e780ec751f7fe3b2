/**
 * Fails fast, with a useful message, when no PostgreSQL is reachable, and clears test
 * databases left behind by killed runs. (Self-contained: Jest loads global setup outside
 * the module mapping that the tests use.)
 */
import pg from 'pg';

export default async function globalSetup(): Promise<void> {
  const adminUrl = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const client = new pg.Client({ connectionString: adminUrl });
  try {
    await client.connect();
  } catch (error) {
    const where = new URL(adminUrl);
    where.password = '';
    throw new Error(`Tests need a PostgreSQL server they can create databases on (DATABASE_URL, now ${where.toString()}): ${(error as Error).message}`, { cause: error });
  }
  try {
    const { rows } = await client.query<{ datname: string }>(
      `select datname from pg_database where datname like 'ccass\\_test\\_%'
         and datname not in (select datname from pg_stat_activity where datname is not null)`,
    );
    for (const { datname } of rows) await client.query(`drop database if exists ${datname}`);
  } finally {
    await client.end();
  }
}
