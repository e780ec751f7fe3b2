/**
 * oidc-provider's storage adapter on PostgreSQL: one table for every model, so that
 * sessions, interactions, codes, tokens and grants are shared by all nodes.
 *
 * Ids are stored as SHA-256 hashes (see the migration): `find(id)` hashes what it is given.
 * The model's own `jti` is removed from the stored payload and put back on the way out.
 * A Session found by `uid` comes back without its `jti`; oidc-provider only reads such
 * sessions (to check that a token or an interaction still belongs to a live session).
 */
import { createHash } from 'node:crypto';
import type { Adapter, AdapterPayload } from 'oidc-provider';
import type { Database } from './database.js';

const TABLE = 'oidc_payloads';

/** Models whose artefacts belong to a grant and die with it (revokeByGrantId). */
const GRANT_MEMBERS = new Set([
  'AccessToken',
  'AuthorizationCode',
  'RefreshToken',
  'DeviceCode',
  'BackchannelAuthenticationRequest',
]);

export function hashId(id: string): string {
  return createHash('sha256').update(id).digest('base64url');
}

interface Row {
  payload: AdapterPayload;
  consumed_at: Date | null;
  expires_at: Date | null;
}

export class PostgresAdapter implements Adapter {
  constructor(
    private readonly db: Database,
    private readonly model: string,
  ) {}

  async upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
    const { jti: _jti, ...stored } = payload;
    const expiresAt = expiresIn ? new Date(Date.now() + expiresIn * 1000) : null;
    await this.db(TABLE)
      .insert({
        model: this.model,
        id_hash: hashId(id),
        payload: stored,
        grant_id_hash: GRANT_MEMBERS.has(this.model) && payload.grantId ? hashId(payload.grantId) : null,
        user_code: payload.userCode ?? null,
        uid: payload.uid ?? null,
        account_id: accountIdOf(payload),
        expires_at: expiresAt,
      })
      .onConflict(['model', 'id_hash'])
      .merge(['payload', 'grant_id_hash', 'user_code', 'uid', 'account_id', 'expires_at']);
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    const row = await this.live().where({ id_hash: hashId(id) }).first<Row | undefined>();
    return row ? withState(row, id) : undefined;
  }

  async findByUid(uid: string): Promise<AdapterPayload | undefined> {
    const row = await this.live().where({ uid }).first<Row | undefined>();
    return row ? withState(row) : undefined;
  }

  async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
    const row = await this.live().where({ user_code: userCode }).first<Row | undefined>();
    return row ? withState(row) : undefined;
  }

  async consume(id: string): Promise<void> {
    await this.db(TABLE)
      .where({ model: this.model, id_hash: hashId(id) })
      .whereNull('consumed_at')
      .update({ consumed_at: this.db.fn.now() });
  }

  async destroy(id: string): Promise<void> {
    await this.db(TABLE).where({ model: this.model, id_hash: hashId(id) }).delete();
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    // Every artefact of the grant, whatever its model: one adapter instance is asked per model
    // by oidc-provider, but a single statement is cheaper and leaves nothing behind.
    await this.db(TABLE).where({ grant_id_hash: hashId(grantId) }).delete();
  }

  private live() {
    return this.db(TABLE)
      .select('payload', 'consumed_at', 'expires_at')
      .where({ model: this.model })
      .andWhere((query) => query.whereNull('expires_at').orWhere('expires_at', '>', this.db.fn.now()));
  }
}

/**
 * Whose artefact this is: tokens, codes, grants and sessions name the account; an interaction
 * names it in the session it started from or, once a login finished, in its result.
 */
function accountIdOf(payload: AdapterPayload): string | null {
  const session = payload.session as { accountId?: unknown } | undefined;
  const result = payload.result as { login?: { accountId?: unknown } } | undefined;
  const accountId = payload.accountId ?? session?.accountId ?? result?.login?.accountId;
  return typeof accountId === 'string' ? accountId : null;
}

function withState(row: Row, id?: string): AdapterPayload {
  const payload: AdapterPayload = { ...row.payload };
  if (id !== undefined) payload.jti = id;
  if (row.consumed_at) payload.consumed = Math.floor(row.consumed_at.getTime() / 1000);
  return payload;
}

/** The adapter class oidc-provider instantiates once per model name. */
export function postgresAdapterFactory(db: Database): new (model: string) => Adapter {
  return class extends PostgresAdapter {
    constructor(model: string) {
      super(db, model);
    }
  };
}

/** Deletes artefacts that expired more than `graceSeconds` ago; returns how many. */
export async function purgeExpiredOidcPayloads(db: Database, graceSeconds = 60): Promise<number> {
  return db(TABLE)
    .where('expires_at', '<', db.raw(`now() - make_interval(secs => ?)`, [graceSeconds]))
    .delete();
}

/**
 * Ends everything oidc-provider holds for one account: sessions (the browser's single
 * sign-on), grants, authorization codes, access and refresh tokens, and interactions in
 * flight (but `keepInteraction`, the one making the change). Returns how many of each model went.
 */
export async function revokeOidcArtefactsOf(db: Database, accountId: string, keepInteraction?: string): Promise<Record<string, number>> {
  const query = db(TABLE).where({ account_id: accountId });
  if (keepInteraction) query.whereNot((kept) => kept.where({ model: 'Interaction', uid: keepInteraction }));
  const rows = (await query.delete().returning('model')) as { model: string }[];
  const counts: Record<string, number> = {};
  for (const { model } of rows) counts[model] = (counts[model] ?? 0) + 1;
  return counts;
}

/**
 * Moves a session's expiry (used when a relying party refreshes tokens that live with the
 * session: the user is active there). Sessions are found by uid; only the expiry changes.
 */
export async function extendOidcSession(db: Database, sessionUid: string, expiresAt: Date): Promise<boolean> {
  const exp = Math.floor(expiresAt.getTime() / 1000);
  const updated = await db(TABLE)
    .where({ model: 'Session', uid: sessionUid })
    .andWhere('expires_at', '>', db.fn.now())
    .update({ expires_at: expiresAt, payload: db.raw(`jsonb_set(payload, '{exp}', to_jsonb(?::bigint))`, [exp]) });
  return updated > 0;
}
