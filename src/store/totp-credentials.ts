import type { Database } from './database.js';

export interface TotpCredentialRow {
  user_id: string;
  secret_ciphertext: string;
  algorithm: 'sha1' | 'sha256' | 'sha512';
  digits: 6 | 8;
  period: number;
  last_used_step: number | null;
  confirmed_at: Date | null;
  created_at: Date;
}

export function totpCredentialQueries(db: Database) {
  return {
    async find(userId: string): Promise<TotpCredentialRow | undefined> {
      return db<TotpCredentialRow>('totp_credentials').where({ user_id: userId }).first();
    },
    /** A new, unconfirmed secret replaces any earlier unconfirmed one; a confirmed one is never overwritten here. */
    async savePending(row: Pick<TotpCredentialRow, 'user_id' | 'secret_ciphertext' | 'algorithm' | 'digits' | 'period'>): Promise<boolean> {
      const result = await db('totp_credentials')
        .insert({ ...row, last_used_step: null, confirmed_at: null, created_at: db.fn.now() })
        .onConflict('user_id')
        .merge(['secret_ciphertext', 'algorithm', 'digits', 'period', 'last_used_step', 'created_at'])
        .where('totp_credentials.confirmed_at', null)
        .returning('user_id');
      return result.length === 1;
    },
    /**
     * Records `step` as used, only if it is later than every step used before. One statement,
     * so of two nodes accepting the same code at the same moment exactly one succeeds.
     */
    async claimStep(userId: string, step: number, confirm: boolean): Promise<boolean> {
      const updated = await db('totp_credentials')
        .where({ user_id: userId })
        .andWhere((query) => query.whereNull('last_used_step').orWhere('last_used_step', '<', step))
        .update({ last_used_step: step, ...(confirm ? { confirmed_at: db.raw('coalesce(confirmed_at, now())') } : {}) });
      return updated === 1;
    },
    async remove(userId: string): Promise<void> {
      await db('totp_credentials').where({ user_id: userId }).delete();
    },
  };
}

export type TotpCredentialQueries = ReturnType<typeof totpCredentialQueries>;
