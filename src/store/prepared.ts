/**
 * Named prepared statements for the hottest queries (oidc-provider's storage, finding users,
 * the audit insert). PostgreSQL parses and plans a named statement once per connection, and
 * the statement skips knex's query building: on this project's login benchmark that halves
 * the time each of these queries costs (BENCHMARKS.md). They run on knex's own pool, and are
 * announced on its 'query' event like every other statement, so logging and counting see them.
 */
import type { Database } from './database.js';

interface PgConnection {
  query(config: { name?: string; text: string; values: unknown[] }): Promise<{ rows: unknown[]; rowCount: number | null }>;
}

export interface PreparedStatement<Row> {
  (values: unknown[]): Promise<{ rows: Row[]; rowCount: number }>;
}

/** The text each name stands for (a name is looked up on every run: by name, not by its long text). */
const textOfName = new Map<string, string>();

/** A statement run by name. Names are global to a connection: each must be used for one text only. */
export function prepared<Row = Record<string, unknown>>(db: Database, name: string, text: string): PreparedStatement<Row> {
  claimName(name, text);
  return (values) => namedShape<Row>(db, name, text, values);
}

/** Records that `name` stands for `text`; a second text under one name is a bug, refused at once. */
function claimName(name: string, text: string): void {
  const known = textOfName.get(name);
  if (known === undefined) textOfName.set(name, text);
  else if (known !== text) throw new Error(`prepared statement name ${name} is already used for another statement`);
}

/**
 * A statement whose text is one of a few shapes (a batch of so many rows), run by name on `db`
 * — the pool, or a transaction's connection — so that PostgreSQL parses and plans each shape
 * once per connection instead of once per run. The caller derives `name` from the shape, and
 * the text from the shape alone: a name stands for one text (checked as for prepared()).
 */
export async function namedShape<Row = Record<string, unknown>>(db: Database, name: string, text: string, values: unknown[]): Promise<{ rows: Row[]; rowCount: number }> {
  claimName(name, text);
  const connection = (await db.client.acquireConnection()) as PgConnection;
  try {
    db.emit('query', { sql: text, bindings: values, method: 'prepared', name });
    const result = await connection.query({ name, text, values });
    return { rows: result.rows as Row[], rowCount: result.rowCount ?? 0 };
  } finally {
    await db.client.releaseConnection(connection);
  }
}

/**
 * A statement whose text varies (a batch of so many rows), run as prepared statements are —
 * on knex's pool, announced on its 'query' event — but unnamed: parsed each time, without
 * knex's query building and runner, which cost the hot path about as much as the statement's
 * own round trip on the login benchmark. Placeholders are PostgreSQL's ($1, $2, …).
 */
export async function unnamed<Row = Record<string, unknown>>(db: Database, text: string, values: unknown[]): Promise<{ rows: Row[]; rowCount: number }> {
  const connection = (await db.client.acquireConnection()) as PgConnection;
  try {
    db.emit('query', { sql: text, bindings: values, method: 'raw' });
    const result = await connection.query({ text, values });
    return { rows: result.rows as Row[], rowCount: result.rowCount ?? 0 };
  } finally {
    await db.client.releaseConnection(connection);
  }
}
