import type { Database } from './database.js';

/** What every first-party client's session table has (account_sessions, dms_sessions), besides its own columns. */
export interface SessionTableRow {
  /** The hash of the cookie value: the value itself is stored nowhere. */
  id_hash: string;
  user_id: string;
  created_at: Date;
  last_seen_at: Date;
  expires_at: Date;
}

/**
 * The queries of a table of sessions shared by every node, each with an absolute expiry
 * (`expires_at`) and an idle one (`last_seen_at` against the caller's `idleSince`).
 */
export function sessionTableQueries<Row extends SessionTableRow>(db: Database, table: 'account_sessions' | 'dms_sessions') {
  return {
    async create(session: Row): Promise<void> {
      await db(table).insert(session);
    },
    /**
     * The session if it is live at `now` (not past its absolute expiry and seen within
     * `idleSince`); marks it seen. One statement, so concurrent requests agree.
     */
    async touch(idHash: string, now: Date, idleSince: Date): Promise<Row | undefined> {
      const [row] = await db(table)
        .where({ id_hash: idHash })
        .andWhere('expires_at', '>', now)
        .andWhere('last_seen_at', '>', idleSince)
        .update({ last_seen_at: now })
        .returning('*');
      return row as Row | undefined;
    },
    async end(idHash: string): Promise<void> {
      await db(table).where({ id_hash: idHash }).delete();
    },
    async endAllFor(userId: string): Promise<number> {
      return db(table).where({ user_id: userId }).delete();
    },
    async purgeExpired(now: Date, idleSince: Date): Promise<number> {
      return db(table).where('expires_at', '<=', now).orWhere('last_seen_at', '<=', idleSince).delete();
    },
  };
}
