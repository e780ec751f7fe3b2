import type { Database } from './database.js';

export type RegisteredWith = 'login' | 'smartcard' | 'security_page' | 'activation';

/** A security key or passkey of a user (WebAuthn): its public key and what the spec says to keep. */
export interface WebauthnCredentialRow {
  id: string;
  user_id: string;
  /** The credential ID, base64url (as the browser sends it). */
  credential_id: string;
  public_key: Buffer;
  sign_count: number;
  transports: string[];
  /** 'multiDevice': a passkey that may be synced to other devices; 'singleDevice': bound to one authenticator. */
  device_type: 'singleDevice' | 'multiDevice';
  backed_up: boolean;
  aaguid: string | null;
  name: string;
  registered_with: RegisteredWith;
  created_at: Date;
  last_used_at: Date | null;
}

const COLUMNS = ['id', 'user_id', 'credential_id', 'public_key', 'sign_count', 'transports', 'device_type', 'backed_up', 'aaguid', 'name', 'registered_with', 'created_at', 'last_used_at'];

const row = (raw: Record<string, unknown>) => ({ ...raw, sign_count: Number(raw['sign_count']) }) as WebauthnCredentialRow;

export function webauthnCredentialQueries(db: Database) {
  return {
    async listForUser(userId: string): Promise<WebauthnCredentialRow[]> {
      return (await db('webauthn_credentials').where({ user_id: userId }).orderBy('created_at').select(COLUMNS)).map(row);
    },
    /**
     * Holds the user's row until the transaction ends: two registrations of one user at once
     * then count and insert one after the other, so neither goes past the limit.
     */
    async lockOwner(userId: string): Promise<void> {
      await db('users').where({ id: userId }).forUpdate().first('id');
    },
    async countForUser(userId: string): Promise<number> {
      const [counted] = await db('webauthn_credentials').where({ user_id: userId }).count<{ count: string }[]>('id as count');
      return Number(counted?.count ?? 0);
    },
    async find(userId: string, id: string): Promise<WebauthnCredentialRow | undefined> {
      const found = await db('webauthn_credentials').where({ user_id: userId, id }).first(COLUMNS);
      return found && row(found);
    },
    /** The user's credential with this credential ID (a credential of another user is not found). */
    async findByCredentialId(userId: string, credentialId: string): Promise<WebauthnCredentialRow | undefined> {
      const found = await db('webauthn_credentials').where({ user_id: userId, credential_id: credentialId }).first(COLUMNS);
      return found && row(found);
    },
    /** Stores a new credential; false when that credential ID is registered already (to anyone). */
    async insert(credential: Omit<WebauthnCredentialRow, 'id' | 'created_at' | 'last_used_at'>): Promise<WebauthnCredentialRow | undefined> {
      const [inserted] = await db('webauthn_credentials').insert(credential).onConflict('credential_id').ignore().returning(COLUMNS);
      return inserted && row(inserted);
    },
    /**
     * Records a use: the new counter, only if it moved forward (or both are zero, as for
     * authenticators that keep no counter). One statement, so two nodes cannot both accept
     * the same counter value.
     */
    async recordUse(id: string, previousCount: number, newCount: number, backedUp: boolean, at: Date): Promise<boolean> {
      const query = db('webauthn_credentials').where({ id, sign_count: previousCount });
      if (newCount !== 0 || previousCount !== 0) query.andWhere('sign_count', '<', newCount);
      return (await query.update({ sign_count: newCount, backed_up: backedUp, last_used_at: at })) === 1;
    },
    async rename(userId: string, id: string, name: string): Promise<boolean> {
      return (await db('webauthn_credentials').where({ user_id: userId, id }).update({ name })) === 1;
    },
    async remove(userId: string, id: string): Promise<boolean> {
      return (await db('webauthn_credentials').where({ user_id: userId, id }).delete()) === 1;
    },
    async removeAll(userId: string): Promise<void> {
      await db('webauthn_credentials').where({ user_id: userId }).delete();
      await db('webauthn_challenges').where({ user_id: userId }).delete();
    },
  };
}

export type WebauthnCredentialQueries = ReturnType<typeof webauthnCredentialQueries>;
