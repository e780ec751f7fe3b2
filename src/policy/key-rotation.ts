/**
 * Signing key rotation as a pure policy: which keys the JWKS publishes and in which order
 * (oidc-provider signs with the first key of the wanted algorithm), and when a key may be
 * promoted or retired.
 *
 * The life of a key: `staged` (published, not signing) → `active` (signing) → `retiring`
 * (published so that what it signed still verifies) → `retired` (gone). A key is published
 * for `publishBeforeSigningSeconds` before it may sign, so every node and every relying
 * party's JWKS cache knows it first; it stays published until nothing it signed can still
 * be presented (ID tokens, and ID tokens sent back as logout hints during a session).
 */
export const SIGNING_KEY_STATES = ['staged', 'active', 'retiring', 'retired'] as const;
export type SigningKeyState = (typeof SIGNING_KEY_STATES)[number];

export const SIGNING_ALGORITHMS = ['RS256', 'ES256'] as const;
export type SigningAlgorithm = (typeof SIGNING_ALGORITHMS)[number];

export interface SigningKeyLifecycle {
  kid: string;
  alg: string;
  state: SigningKeyState;
  createdAt: Date;
  activatedAt: Date | null;
  retiringAt: Date | null;
}

export interface RotationSettings {
  /** How long a new key is published before it may sign. */
  publishBeforeSigningSeconds: number;
  /** How long a key that stopped signing stays published. */
  keepAfterSigningSeconds: number;
}

/** Keys to publish, signing keys first (newest first), then staged, then retiring. */
export function publicationOrder<T extends SigningKeyLifecycle>(keys: readonly T[]): T[] {
  const rank: Record<SigningKeyState, number> = { active: 0, staged: 1, retiring: 2, retired: 3 };
  const time = (key: T) => (key.activatedAt ?? key.createdAt).getTime();
  return keys
    .filter((key) => key.state !== 'retired')
    .sort((a, b) => rank[a.state] - rank[b.state] || time(b) - time(a) || a.kid.localeCompare(b.kid));
}

export type RotationRefusal =
  | { reason: 'not_staged'; state: SigningKeyState }
  | { reason: 'too_soon'; notBefore: Date }
  | { reason: 'signing' }
  | { reason: 'retired' };

/** Why `key` may not start signing at `now` (undefined: it may). */
export function promotionRefusal(key: SigningKeyLifecycle, now: Date, settings: RotationSettings): RotationRefusal | undefined {
  if (key.state !== 'staged') return { reason: 'not_staged', state: key.state };
  const notBefore = new Date(key.createdAt.getTime() + settings.publishBeforeSigningSeconds * 1000);
  return now < notBefore ? { reason: 'too_soon', notBefore } : undefined;
}

/**
 * Why `key` may not be retired at `now`. A staged key never signed: it may go at once.
 * The signing key may not: promote its successor first.
 */
export function retirementRefusal(key: SigningKeyLifecycle, now: Date, settings: RotationSettings): RotationRefusal | undefined {
  if (key.state === 'retired') return { reason: 'retired' };
  if (key.state === 'active') return { reason: 'signing' };
  if (key.state === 'staged') return undefined;
  const notBefore = new Date((key.retiringAt ?? now).getTime() + settings.keepAfterSigningSeconds * 1000);
  return now < notBefore ? { reason: 'too_soon', notBefore } : undefined;
}
