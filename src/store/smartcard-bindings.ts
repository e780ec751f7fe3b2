import type { Database } from './database.js';

export interface SmartcardBindingRow {
  id: number;
  user_id: string;
  fingerprint_sha256: string;
  issuer: string;
  serial: string;
  subject: string;
  not_after: Date;
  created_by: string;
  created_at: Date;
}

export type NewSmartcardBinding = Omit<SmartcardBindingRow, 'id'>;

/** Which user each smartcard certificate logs in (by the certificate's SHA-256 fingerprint). */
export function smartcardBindingQueries(db: Database) {
  return {
    /** False when the certificate is already bound (to this or another user). */
    async bind(binding: NewSmartcardBinding): Promise<boolean> {
      const inserted = await db('smartcard_bindings').insert(binding).onConflict('fingerprint_sha256').ignore().returning('id');
      return inserted.length === 1;
    },
    async findByFingerprint(fingerprint: string): Promise<SmartcardBindingRow | undefined> {
      return db<SmartcardBindingRow>('smartcard_bindings').where({ fingerprint_sha256: fingerprint }).first();
    },
    async listForUser(userId: string): Promise<SmartcardBindingRow[]> {
      return db<SmartcardBindingRow>('smartcard_bindings').where({ user_id: userId }).orderBy('id');
    },
    /** Removes one binding of the user (by fingerprint) or, without one, all of them; returns what was removed. */
    async unbind(userId: string, fingerprint?: string): Promise<SmartcardBindingRow[]> {
      const query = db<SmartcardBindingRow>('smartcard_bindings').where({ user_id: userId });
      if (fingerprint) query.andWhere({ fingerprint_sha256: fingerprint });
      return query.delete().returning('*');
    },
  };
}

export type SmartcardBindingQueries = ReturnType<typeof smartcardBindingQueries>;
