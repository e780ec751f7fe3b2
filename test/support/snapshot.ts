/** A fingerprint of a whole database's contents, to show that a request changed nothing. */
import type { Database } from '../../src/store/database.js';

/**
 * md5 of every table's rows (in a stable order), by table name; migrations' own tables left
 * out, and `ignore`d columns too (e.g. a session's last-seen time, which any request moves).
 */
export async function databaseFingerprint(db: Database, ignore: Record<string, string[]> = {}): Promise<Record<string, string>> {
  const tables = (await db('information_schema.tables')
    .where({ table_schema: 'public', table_type: 'BASE TABLE' })
    .whereNot('table_name', 'like', 'knex_migrations%')
    .pluck('table_name')) as string[];
  const fingerprint: Record<string, string> = {};
  for (const table of tables.sort()) {
    const columns = ignore[table] ?? [];
    const value = columns.length ? `(to_jsonb(t) - ${columns.map(() => '?').join(' - ')})::text` : 't::text';
    const row = await db.raw(`select md5(coalesce(string_agg(${value}, ',' order by ${value}), '')) as digest from ?? t`, [...columns, ...columns, table]);
    fingerprint[table] = (row.rows[0] as { digest: string }).digest;
  }
  return fingerprint;
}
