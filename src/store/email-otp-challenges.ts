import type { Database } from './database.js';

export interface EmailOtpChallengeRow {
  id: number;
  user_id: string;
  interaction_hash: string;
  code_hash: string;
  attempts: number;
  created_at: Date;
  expires_at: Date;
  consumed_at: Date | null;
}

export function emailOtpChallengeQueries(db: Database) {
  return {
    /** Stores a new code; returns its id. */
    async insert(row: Pick<EmailOtpChallengeRow, 'user_id' | 'interaction_hash' | 'code_hash' | 'created_at' | 'expires_at'>): Promise<number> {
      // A new code replaces the older ones of this login: only the latest code is valid.
      return db.transaction(async (trx) => {
        await trx('email_otp_challenges')
          .where({ user_id: row.user_id, interaction_hash: row.interaction_hash })
          .whereNull('consumed_at')
          .update({ consumed_at: row.created_at });
        const [inserted] = await trx('email_otp_challenges').insert(row).returning('id');
        return Number((inserted as { id: number }).id);
      });
    },
    /** Whether code `id` still waits to be used at `now` (a queued mail with a dead code is not sent). */
    async isOpen(id: number, now: Date): Promise<boolean> {
      const row = await db('email_otp_challenges').where({ id }).whereNull('consumed_at').andWhere('expires_at', '>', now).first('id');
      return row !== undefined;
    },
    /** Codes sent to this user since `since` (newest first), and whether each is still waiting to be used, for the resend limits. */
    async sentSince(userId: string, since: Date): Promise<Array<{ at: Date; open: boolean }>> {
      const rows = await db('email_otp_challenges')
        .where({ user_id: userId })
        .andWhere('created_at', '>=', since)
        .orderBy('created_at', 'desc')
        .select('created_at', db.raw('(consumed_at is null) as open'));
      return rows.map((row: { created_at: Date; open: boolean }) => ({ at: row.created_at, open: row.open }));
    },
    async findOpen(userId: string, interactionHash: string, now: Date): Promise<EmailOtpChallengeRow | undefined> {
      return db<EmailOtpChallengeRow>('email_otp_challenges')
        .where({ user_id: userId, interaction_hash: interactionHash })
        .whereNull('consumed_at')
        .andWhere('expires_at', '>', now)
        .orderBy('id', 'desc')
        .first();
    },
    /** Marks the challenge used if it still is open: exactly one of concurrent correct submissions wins. */
    async consume(id: number, now: Date, maxAttempts: number): Promise<boolean> {
      const updated = await db('email_otp_challenges')
        .where({ id })
        .whereNull('consumed_at')
        .andWhere('expires_at', '>', now)
        .andWhere('attempts', '<', maxAttempts)
        .update({ consumed_at: now });
      return updated === 1;
    },
    /** Counts a wrong code; returns the attempts made so far. */
    async recordWrongAttempt(id: number): Promise<number> {
      const [row] = await db('email_otp_challenges').where({ id }).increment('attempts', 1).returning('attempts');
      return (row as { attempts: number } | undefined)?.attempts ?? Number.POSITIVE_INFINITY;
    },
  };
}

export type EmailOtpChallengeQueries = ReturnType<typeof emailOtpChallengeQueries>;
