/** New private signing keys as JWKs. */
import { randomBytes } from 'node:crypto';
import { exportJWK, generateKeyPair } from 'jose';
import type { JWK } from 'oidc-provider';
import type { SigningAlgorithm } from '../policy/key-rotation.js';

export interface Jwks {
  keys: JWK[];
}

/** One private signing key with a fresh kid. RS256 is what every relying party supports; ES256 is offered for those that ask. */
export async function generateSigningKey(alg: SigningAlgorithm): Promise<JWK & { kid: string; alg: SigningAlgorithm }> {
  const { privateKey } = await generateKeyPair(alg, { extractable: true, ...(alg === 'RS256' ? { modulusLength: 2048 } : {}) });
  const jwk = await exportJWK(privateKey);
  return { ...jwk, alg, use: 'sig', kid: `${alg.toLowerCase()}-${randomBytes(6).toString('hex')}` } as JWK & { kid: string; alg: SigningAlgorithm };
}

/** A JWKS with one RS256 and one ES256 private key (for `oidc.jwksFile`). */
export async function generateSigningKeys(): Promise<Jwks> {
  return { keys: [await generateSigningKey('RS256'), await generateSigningKey('ES256')] };
}

