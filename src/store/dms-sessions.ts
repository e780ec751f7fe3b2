import type { Database } from './database.js';

export interface DmsSessionRow {
  id_hash: string;
  user_id: string;
  participant_id: string;
  created_at: Date;
  last_seen_at: Date;
  expires_at: Date;
}

/** Delegated Administrators' DMS sessions, shared by every node; the cookie value is stored hashed. */
export function dmsSessionQueries(db: Database) {
  return {
    async create(session: DmsSessionRow): Promise<void> {
      await db('dms_sessions').insert(session);
    },
    /**
     * The session if it is live at `now` (not past its absolute expiry and seen within
     * `idleSince`); marks it seen. One statement, so concurrent requests agree.
     */
    async touch(idHash: string, now: Date, idleSince: Date): Promise<DmsSessionRow | undefined> {
      const [row] = await db<DmsSessionRow>('dms_sessions')
        .where({ id_hash: idHash })
        .andWhere('expires_at', '>', now)
        .andWhere('last_seen_at', '>', idleSince)
        .update({ last_seen_at: now })
        .returning('*');
      return row;
    },
    async end(idHash: string): Promise<void> {
      await db('dms_sessions').where({ id_hash: idHash }).delete();
    },
    async endAllFor(userId: string): Promise<number> {
      return db('dms_sessions').where({ user_id: userId }).delete();
    },
    async purgeExpired(now: Date, idleSince: Date): Promise<number> {
      return db('dms_sessions').where('expires_at', '<=', now).orWhere('last_seen_at', '<=', idleSince).delete();
    },
  };
}

export type DmsSessionQueries = ReturnType<typeof dmsSessionQueries>;
