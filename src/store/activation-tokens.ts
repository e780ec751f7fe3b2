import type { Database } from './database.js';

/** An activation link as stored: the hash of its token, never the token. */
export interface ActivationTokenRow {
  id: string;
  user_id: string;
  token_hash: string;
  email: string;
  created_at: Date;
  expires_at: Date;
  used_at: Date | null;
  revoked_at: Date | null;
  /** The job that mails this link (null for links issued before the outbox existed). */
  mail_job_id: string | null;
  /** When the mail server took the link's mail (null: not yet, or never). */
  mailed_at: Date | null;
}

export function activationTokenQueries(db: Database) {
  return {
    /** Stores a new link for the user and revokes every earlier one: only the newest works. Returns the new row's id. */
    async issue(token: { user_id: string; token_hash: string; email: string; created_at: Date; expires_at: Date }): Promise<string> {
      return db.transaction(async (trx) => {
        await trx('activation_tokens')
          .where({ user_id: token.user_id })
          .whereNull('used_at')
          .whereNull('revoked_at')
          .update({ revoked_at: token.created_at });
        const [row] = await trx('activation_tokens').insert(token).returning('id');
        return String((row as { id: string }).id);
      });
    },
    /** Records the job that mails link `id` (in the transaction that issued it). */
    async setMailJob(id: string, jobId: string): Promise<void> {
      await db('activation_tokens').where({ id }).update({ mail_job_id: jobId });
    },
    /** The user's live link (not used, revoked or expired at `now`), if any. */
    async findLive(userId: string, now: Date): Promise<ActivationTokenRow | undefined> {
      return db<ActivationTokenRow>('activation_tokens')
        .where({ user_id: userId })
        .whereNull('used_at')
        .whereNull('revoked_at')
        .andWhere('expires_at', '>', now)
        .orderBy('created_at', 'desc')
        .first();
    },
    /** Link `id`'s mail was handed to the mail server. */
    async markMailed(id: string, at: Date): Promise<void> {
      await db('activation_tokens').where({ id }).whereNull('mailed_at').update({ mailed_at: at });
    },
    /** Whether link `id` is still live at `now` (a queued mail with a dead link is not sent). */
    async isLive(id: string, now: Date): Promise<boolean> {
      const row = await db('activation_tokens').where({ id }).whereNull('used_at').whereNull('revoked_at').andWhere('expires_at', '>', now).first('id');
      return row !== undefined;
    },
    async findByHash(tokenHash: string): Promise<ActivationTokenRow | undefined> {
      return db<ActivationTokenRow>('activation_tokens').where({ token_hash: tokenHash }).first();
    },
    /** When the user's newest link was sent, if any. */
    async latestSentAt(userId: string): Promise<Date | undefined> {
      const row = await db('activation_tokens').where({ user_id: userId }).max<{ latest: Date | null }>('created_at as latest').first();
      return row?.latest ?? undefined;
    },
    /** Uses the link up, if it is still usable at `now`; false when another request got there first. */
    async consume(id: string, now: Date): Promise<boolean> {
      const updated = await db('activation_tokens')
        .where({ id })
        .whereNull('used_at')
        .whereNull('revoked_at')
        .andWhere('expires_at', '>', now)
        .update({ used_at: now });
      return updated === 1;
    },
    /** Revokes every open link of the user (e.g. when the designated email changes). */
    async revokeAll(userId: string, now: Date): Promise<number> {
      return db('activation_tokens').where({ user_id: userId }).whereNull('used_at').whereNull('revoked_at').update({ revoked_at: now });
    },
  };
}

export type ActivationTokenQueries = ReturnType<typeof activationTokenQueries>;
