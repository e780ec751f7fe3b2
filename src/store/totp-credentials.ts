import type { Database } from './database.js';
import { prepared } from './prepared.js';

export interface TotpSecretRow {
  user_id: string;
  secret_ciphertext: string;
  algorithm: 'sha1' | 'sha256' | 'sha512';
  digits: 6 | 8;
  period: number;
}

/** The active TOTP secret of a user. */
export interface TotpCredentialRow extends TotpSecretRow {
  last_used_step: number | null;
  confirmed_at: Date;
}

/**
 * The claim of a time step: it succeeds (one row) only if `step` is later than every step the
 * user's credential was used with. `step` and `user` are the statement's placeholders. The one
 * text of the rule, for the claim alone and for a login's completion that claims as it completes
 * (login-progress.ts).
 */
export function claimStepStatement(step: string, user: string): string {
  return `update totp_credentials set last_used_step = ${step} where user_id = ${user} and (last_used_step is null or last_used_step < ${step})`;
}

export function totpCredentialQueries(db: Database) {
  // Every TOTP login claims its step: prepared once per connection, without knex's query building (prepared.ts).
  const claim = prepared(db, 'totp_claim_step', claimStepStatement('$1', '$2'));
  return {
    async find(userId: string): Promise<TotpCredentialRow | undefined> {
      return db<TotpCredentialRow>('totp_credentials').where({ user_id: userId }).first();
    },
    /** The secret shown for enrolment and not yet confirmed. */
    async findEnrolment(userId: string): Promise<TotpSecretRow | undefined> {
      return db<TotpSecretRow>('totp_enrolments').where({ user_id: userId }).first();
    },
    /** Stores a pending secret unless one is already pending (two tabs must show the same QR code). */
    async saveEnrolment(row: TotpSecretRow): Promise<void> {
      await db('totp_enrolments').insert(row).onConflict('user_id').ignore();
    },
    /**
     * Makes the pending secret the active one, replacing any earlier one, with `step` (the step
     * of the confirming code) already used. Only the enrolment that was checked is activated.
     */
    async activateEnrolment(enrolment: TotpSecretRow, step: number): Promise<boolean> {
      return db.transaction(async (trx) => {
        const removed = await trx('totp_enrolments').where({ user_id: enrolment.user_id, secret_ciphertext: enrolment.secret_ciphertext }).delete();
        if (removed !== 1) return false;
        await trx('totp_credentials')
          .insert({
            user_id: enrolment.user_id,
            secret_ciphertext: enrolment.secret_ciphertext,
            algorithm: enrolment.algorithm,
            digits: enrolment.digits,
            period: enrolment.period,
            last_used_step: step,
            confirmed_at: trx.fn.now(),
          })
          .onConflict('user_id')
          .merge(['secret_ciphertext', 'algorithm', 'digits', 'period', 'last_used_step', 'confirmed_at']);
        return true;
      });
    },
    /**
     * Records `step` as used, only if it is later than every step used before. One statement,
     * so of two nodes accepting the same code at the same moment exactly one succeeds.
     */
    async claimStep(userId: string, step: number): Promise<boolean> {
      return (await claim([step, userId])).rowCount === 1;
    },
    /** Removes the active secret and any pending one (a change to email codes, or a reset). */
    async remove(userId: string): Promise<void> {
      await db.transaction(async (trx) => {
        await trx('totp_credentials').where({ user_id: userId }).delete();
        await trx('totp_enrolments').where({ user_id: userId }).delete();
      });
    },
  };
}

export type TotpCredentialQueries = ReturnType<typeof totpCredentialQueries>;
