/**
 * Signing keys kept in PostgreSQL, sealed with the secret box, and their rotation:
 * add (published, not signing) → promote (signs; the old key keeps being published) →
 * retire (unpublished, private key erased). Every node polls the keys' version and rebuilds
 * its provider when it changes (see provider-host.ts), so rotation needs no restart.
 */
import type { JWK } from 'oidc-provider';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../kernel/errors.js';
import { msg, type Message } from '../i18n/translate.js';
import type { Actor } from '../kernel/actor.js';
import {
  promotionRefusal,
  publicationOrder,
  retirementRefusal,
  SIGNING_ALGORITHMS,
  type RotationRefusal,
  type RotationSettings,
  type SigningAlgorithm,
  type SigningKeyLifecycle,
} from '../policy/key-rotation.js';
import type { SecretBox } from '../secrets/secret-box.js';
import type { AuditQueries } from '../store/audit.js';
import type { Database } from '../store/database.js';
import type { SigningKeyQueries, SigningKeyRow, SigningKeySummary } from '../store/signing-keys.js';
import { generateSigningKey, type Jwks } from './key-generation.js';
import { deleteGeneratedSecret, findGeneratedSecret } from '../store/generated-secrets.js';

/** The signing keys as a node sees them now, and a cheap check for whether they changed. */
export interface SigningKeySource {
  /** 'file' keys change only with a restart; 'database' keys change through the CLI. */
  kind: 'file' | 'database';
  /** Changes whenever the published keys or their roles change. */
  version(): Promise<string>;
  /** The private JWKS to give oidc-provider, signing keys first. */
  load(): Promise<{ version: string; jwks: Jwks }>;
}

/** The sealed private key is bound to its kid: copied onto another row, it does not open. */
const sealContext = (kid: string) => `signing-key:${kid}`;

/** Keys created before keys lived in this table (development databases): imported, not regenerated. */
const LEGACY_SECRET = 'oidc.signing-jwks';

function publicPart(jwk: JWK): Record<string, unknown> {
  const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, oth: _oth, ...rest } = jwk as Record<string, unknown>;
  return rest;
}

function sealedRow(box: SecretBox, jwk: JWK & { kid: string; alg: string }, state: 'staged' | 'active', actor: string, at: Date) {
  return {
    kid: jwk.kid,
    alg: jwk.alg,
    state,
    public_jwk: publicPart(jwk),
    private_jwk_sealed: box.seal(Buffer.from(JSON.stringify(jwk)), sealContext(jwk.kid)),
    created_by: actor,
    created_at: at,
    activated_at: state === 'active' ? at : null,
  };
}

export function lifecycleOf(row: SigningKeySummary): SigningKeyLifecycle {
  return { kid: row.kid, alg: row.alg, state: row.state, createdAt: row.created_at, activatedAt: row.activated_at, retiringAt: row.retiring_at };
}

/**
 * On first start (no signing key yet): import a development database's earlier generated
 * keys, or generate one RS256 and one ES256 key, active at once (there are no tokens yet
 * that a relying party could fail to verify).
 */
export async function ensureSigningKeys(db: Database, queries: SigningKeyQueries, box: SecretBox, now = new Date()): Promise<void> {
  const created = await queries.createInitialKeys(async () => {
    const legacy = await findGeneratedSecret<Jwks>(db, LEGACY_SECRET);
    const keys = legacy ? legacy.keys : await Promise.all(SIGNING_ALGORITHMS.map((alg) => generateSigningKey(alg)));
    return keys.map((jwk) => sealedRow(box, jwk as JWK & { kid: string; alg: string }, 'active', 'system:first-start', now));
  });
  // The plaintext copy goes once its sealed copy is in the table.
  if (created) await deleteGeneratedSecret(db, LEGACY_SECRET);
}

/** Opens the published keys, in the order oidc-provider needs (it signs with the first key of an algorithm). */
export function jwksFromRows(rows: readonly SigningKeyRow[], box: SecretBox): Jwks {
  const byKid = new Map(rows.map((row) => [row.kid, row]));
  const ordered = publicationOrder(rows.map(lifecycleOf));
  return {
    keys: ordered.map((key) => {
      const row = byKid.get(key.kid) as SigningKeyRow;
      return JSON.parse(box.open(row.private_jwk_sealed as string, sealContext(row.kid)).toString('utf8')) as JWK;
    }),
  };
}

export function databaseKeySource(queries: SigningKeyQueries, box: SecretBox): SigningKeySource {
  return {
    kind: 'database',
    version: () => queries.version(),
    async load() {
      // Read the version and the rows together enough: a change between the two is seen at the next poll.
      const version = await queries.version();
      return { version, jwks: jwksFromRows(await queries.published(), box) };
    },
  };
}

// --- rotation (the `keys` CLI) --------------------------------------------------------------

export interface KeyRotationDependencies {
  queries: { signingKeys: SigningKeyQueries; audit: AuditQueries };
  box: SecretBox;
  settings: RotationSettings;
  now: () => Date;
}

function describeRefusal(kid: string, refusal: RotationRefusal, action: 'promote' | 'retire'): Message {
  switch (refusal.reason) {
    case 'not_staged':
      return msg('problem.keyNotStaged', { kid, state: refusal.state });
    case 'signing':
      return msg('problem.keySigning', { kid });
    case 'retired':
      return msg('problem.keyRetired', { kid });
    case 'too_soon':
      return msg(action === 'promote' ? 'problem.keyPromoteTooSoon' : 'problem.keyRetireTooSoon', { kid, time: refusal.notBefore });
  }
}

async function existing(deps: KeyRotationDependencies, kid: string): Promise<SigningKeySummary> {
  const key = await deps.queries.signingKeys.find(kid);
  if (!key) throw new NotFoundError(msg('problem.noSigningKey', { kid }));
  return key;
}

/** A new key, published from now on and signing only once promoted. */
export async function addSigningKey(deps: KeyRotationDependencies, alg: string, actor: Actor): Promise<SigningKeySummary> {
  if (!(SIGNING_ALGORITHMS as readonly string[]).includes(alg)) throw new ValidationError(msg('problem.unknownAlgorithm', { algorithms: SIGNING_ALGORITHMS.join(', ') }), { alg: `one of ${SIGNING_ALGORITHMS.join(', ')}` });
  const jwk = await generateSigningKey(alg as SigningAlgorithm);
  await deps.queries.signingKeys.insert(sealedRow(deps.box, jwk, 'staged', actor.name, deps.now()));
  await deps.queries.audit.record({ type: 'signing_key.add', outcome: 'success', actor: actor.name, details: { kid: jwk.kid, alg } });
  return existing(deps, jwk.kid);
}

export async function promoteSigningKey(deps: KeyRotationDependencies, kid: string, actor: Actor, force = false): Promise<{ key: SigningKeySummary; replaced?: string }> {
  const key = await existing(deps, kid);
  const refusal = promotionRefusal(lifecycleOf(key), deps.now(), deps.settings);
  if (refusal && !(force && refusal.reason === 'too_soon')) throw new ForbiddenError(describeRefusal(kid, refusal, 'promote'));
  const result = await deps.queries.signingKeys.promote(kid, deps.now());
  if (!result.promoted) throw new ConflictError(msg('problem.keyChanged', { kid }));
  await deps.queries.audit.record({ type: 'signing_key.promote', outcome: 'success', actor: actor.name, details: { kid, alg: key.alg, replaced: result.replaced ?? null, forced: Boolean(refusal) } });
  return { key: await existing(deps, kid), ...(result.replaced ? { replaced: result.replaced } : {}) };
}

export async function retireSigningKey(deps: KeyRotationDependencies, kid: string, actor: Actor, force = false): Promise<SigningKeySummary> {
  const key = await existing(deps, kid);
  const refusal = retirementRefusal(lifecycleOf(key), deps.now(), deps.settings);
  if (refusal && !(force && refusal.reason === 'too_soon')) throw new ForbiddenError(describeRefusal(kid, refusal, 'retire'));
  if (!(await deps.queries.signingKeys.retire(kid, deps.now()))) throw new ConflictError(msg('problem.keyChanged', { kid }));
  await deps.queries.audit.record({ type: 'signing_key.retire', outcome: 'success', actor: actor.name, details: { kid, alg: key.alg, forced: Boolean(refusal) } });
  return existing(deps, kid);
}
