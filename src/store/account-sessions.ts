import type { Database } from './database.js';

export interface AccountSessionRow {
  id_hash: string;
  user_id: string;
  /** The provider session (oidc-provider Session uid) of the login that opened this one, when known. */
  oidc_session_uid: string | null;
  /** When that login happened (the ID token's auth_time). */
  auth_time: Date;
  /** Whether that login was phishing-resistant: a security key (its acr meets phr), not a code. */
  phishing_resistant: boolean;
  /** Whether the user had a security key when it opened (removing every key later does not make it a bootstrap session). */
  had_security_key: boolean;
  created_at: Date;
  last_seen_at: Date;
  expires_at: Date;
}

/** Users' sessions on their own security page, shared by every node; the cookie value is stored hashed. */
export function accountSessionQueries(db: Database) {
  return {
    async create(session: AccountSessionRow): Promise<void> {
      await db('account_sessions').insert(session);
    },
    /**
     * The session if it is live at `now` (not past its absolute expiry and seen within
     * `idleSince`); marks it seen. One statement, so concurrent requests agree.
     */
    async touch(idHash: string, now: Date, idleSince: Date): Promise<AccountSessionRow | undefined> {
      const [row] = await db<AccountSessionRow>('account_sessions')
        .where({ id_hash: idHash })
        .andWhere('expires_at', '>', now)
        .andWhere('last_seen_at', '>', idleSince)
        .update({ last_seen_at: now })
        .returning('*');
      return row;
    },
    async end(idHash: string): Promise<void> {
      await db('account_sessions').where({ id_hash: idHash }).delete();
    },
    async purgeExpired(now: Date, idleSince: Date): Promise<number> {
      return db('account_sessions').where('expires_at', '<=', now).orWhere('last_seen_at', '<=', idleSince).delete();
    },
  };
}

export type AccountSessionQueries = ReturnType<typeof accountSessionQueries>;
