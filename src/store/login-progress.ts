import { hashId } from './oidc-adapter.js';
import type { Database } from './database.js';
import { prepared } from './prepared.js';

/** The factors one login (one oidc-provider interaction) has proven so far, for which user. */
export interface LoginProgress {
  userId: string;
  factors: string[];
  /** The user asked to change their second factor once the current one is proven. */
  changeMethod: boolean;
  /** The user asked to set a new password once the second factor is proven. */
  changePassword: boolean;
}

export function loginProgressQueries(db: Database) {
  const findLive = prepared<{ user_id: string; factors: string[]; change_method: boolean; change_password: boolean }>(
    db,
    'login_progress_find',
    'select user_id, factors, change_method, change_password from login_progress where interaction_hash = $1 and expires_at > $2',
  );
  return {
    /** Starts (or restarts, after a new password step) the progress of an interaction. */
    async start(interactionUid: string, userId: string, factors: string[], expiresAt: Date): Promise<void> {
      await db('login_progress')
        .insert({ interaction_hash: hashId(interactionUid), user_id: userId, factors, change_method: false, change_password: false, expires_at: expiresAt })
        .onConflict('interaction_hash')
        .merge(['user_id', 'factors', 'change_method', 'change_password', 'expires_at']);
    },
    async find(interactionUid: string, now: Date): Promise<LoginProgress | undefined> {
      const [row] = (await findLive([hashId(interactionUid), now])).rows;
      return row ? { userId: row.user_id, factors: row.factors, changeMethod: row.change_method, changePassword: row.change_password } : undefined;
    },
    async requestMethodChange(interactionUid: string): Promise<void> {
      await db('login_progress').where({ interaction_hash: hashId(interactionUid) }).update({ change_method: true });
    },
    async setPasswordChange(interactionUid: string, wanted: boolean): Promise<void> {
      await db('login_progress').where({ interaction_hash: hashId(interactionUid) }).update({ change_password: wanted });
    },
    async addFactor(interactionUid: string, factor: string): Promise<void> {
      await db('login_progress')
        .where({ interaction_hash: hashId(interactionUid) })
        .update({ factors: db.raw('array_append(factors, ?)', [factor]) });
    },
    async finish(interactionUid: string): Promise<void> {
      await db('login_progress').where({ interaction_hash: hashId(interactionUid) }).delete();
    },
    async purgeExpired(now: Date): Promise<number> {
      return db('login_progress').where('expires_at', '<=', now).delete();
    },
  };
}

export type LoginProgressQueries = ReturnType<typeof loginProgressQueries>;
