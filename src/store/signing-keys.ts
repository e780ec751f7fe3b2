/**
 * The provider's signing keys in PostgreSQL (when no `oidc.jwksFile` is configured). The
 * private JWK is stored sealed (see secrets/secret-box.ts); this module stores and moves
 * rows, the sealing happens in oidc/signing-key-store.ts.
 */
import type { SigningKeyState } from '../policy/key-rotation.js';
import type { Database } from './database.js';

export interface SigningKeyRow {
  kid: string;
  alg: string;
  state: SigningKeyState;
  public_jwk: Record<string, unknown>;
  private_jwk_sealed: string | null;
  created_by: string;
  created_at: Date;
  activated_at: Date | null;
  retiring_at: Date | null;
  retired_at: Date | null;
}

export type SigningKeySummary = Omit<SigningKeyRow, 'private_jwk_sealed'>;

const SUMMARY_COLUMNS = ['kid', 'alg', 'state', 'public_jwk', 'created_by', 'created_at', 'activated_at', 'retiring_at', 'retired_at'] as const;

/** Serialises first-start key generation across nodes starting at once. */
const INITIAL_KEYS_LOCK = 'ccass-auth:signing-keys:initial';

export type NewSigningKeyRow = Pick<SigningKeyRow, 'kid' | 'alg' | 'state' | 'public_jwk' | 'private_jwk_sealed' | 'created_by' | 'created_at' | 'activated_at'>;

export function signingKeyQueries(db: Database) {
  return {
    /** Every key, without private material, oldest first. */
    async list(): Promise<SigningKeySummary[]> {
      return db('signing_keys').select(SUMMARY_COLUMNS).orderBy([{ column: 'created_at' }, { column: 'kid' }]);
    },
    /** The keys still published, with their sealed private keys. */
    async published(): Promise<SigningKeyRow[]> {
      return db<SigningKeyRow>('signing_keys').whereNot({ state: 'retired' }).orderBy('kid');
    },
    async find(kid: string): Promise<SigningKeySummary | undefined> {
      return db('signing_keys').select(SUMMARY_COLUMNS).where({ kid }).first();
    },
    /** A short value that changes whenever a key is added or changes state (nodes poll it). */
    async version(): Promise<string> {
      const rows = await db('signing_keys').whereNot({ state: 'retired' }).orderBy('kid').select<{ kid: string; state: string }[]>('kid', 'state');
      return rows.map((row) => `${row.kid}:${row.state}`).join(',');
    },
    async insert(row: NewSigningKeyRow): Promise<void> {
      await db('signing_keys').insert({ ...row, public_jwk: JSON.stringify(row.public_jwk) });
    },
    /**
     * Runs `create` only when no key signs yet, with a lock so that nodes starting at once
     * do not each create their own. Returns whether it ran.
     */
    async createInitialKeys(create: () => Promise<NewSigningKeyRow[]>): Promise<boolean> {
      return db.transaction(async (trx) => {
        await trx.raw('select pg_advisory_xact_lock(hashtext(?))', [INITIAL_KEYS_LOCK]);
        const active = await trx('signing_keys').where({ state: 'active' }).first('kid');
        if (active) return false;
        const rows = await create();
        if (rows.length) await trx('signing_keys').insert(rows.map((row) => ({ ...row, public_jwk: JSON.stringify(row.public_jwk) })));
        return true;
      });
    },
    /**
     * `kid` starts signing; the key that signed with its algorithm until now keeps being
     * published as `retiring`. Returns the kid it replaced, if any. The caller has checked
     * that `kid` is staged; the update is conditional on it, so a concurrent change loses.
     */
    async promote(kid: string, at: Date): Promise<{ promoted: boolean; replaced?: string }> {
      return db.transaction(async (trx) => {
        const key = await trx('signing_keys').where({ kid, state: 'staged' }).forUpdate().first<{ alg: string } | undefined>('alg');
        if (!key) return { promoted: false };
        const replaced = await trx('signing_keys')
          .where({ alg: key.alg, state: 'active' })
          .update({ state: 'retiring', retiring_at: at })
          .returning<{ kid: string }[]>('kid');
        await trx('signing_keys').where({ kid }).update({ state: 'active', activated_at: at });
        return replaced[0] ? { promoted: true, replaced: replaced[0].kid } : { promoted: true };
      });
    },
    /** Unpublishes a key that is not signing and erases its private part. */
    async retire(kid: string, at: Date): Promise<boolean> {
      const updated = await db('signing_keys')
        .where({ kid })
        .whereIn('state', ['staged', 'retiring'])
        .update({ state: 'retired', retired_at: at, private_jwk_sealed: null });
      return updated === 1;
    },
  };
}

export type SigningKeyQueries = ReturnType<typeof signingKeyQueries>;
