/**
 * Where the provider's keys come from.
 *
 * Signing keys: from `oidc.jwksFile` when set (supplied from outside, e.g. by a secrets
 * manager; rotated by replacing the file and restarting nodes one by one), otherwise from
 * the `signing_keys` table, sealed with `secrets.encryptionKeys` and rotated with the
 * `keys` CLI while every node keeps serving (see signing-key-store.ts).
 *
 * Cookie keys: from configuration; outside production, generated once and kept in the
 * database so that restarts and other nodes keep using them.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { JWK } from 'oidc-provider';
import type { Jwks } from './key-generation.js';
import type { Config } from '../config/schema.js';
import { ConfigError } from '../config/load.js';
import type { SecretBox } from '../secrets/secret-box.js';
import type { Database } from '../store/database.js';
import { getOrCreateGeneratedSecret } from '../store/generated-secrets.js';
import { signingKeyQueries } from '../store/signing-keys.js';
import { databaseKeySource, ensureSigningKeys, type SigningKeySource } from './signing-key-store.js';

export type { SigningKeySource };
export { generateSigningKey, generateSigningKeys, type Jwks } from './key-generation.js';


export interface ProviderKeys {
  signing: SigningKeySource;
  cookieKeys: string[];
}

export async function loadProviderKeys(config: Config, db: Database, box: SecretBox): Promise<ProviderKeys> {
  let signing: SigningKeySource;
  if (config.oidc.jwksFile) {
    const jwks = await readJwksFile(config.oidc.jwksFile, signingAlgorithmsInUse(config));
    const version = `file:${jwks.keys.map((key) => key.kid ?? '').join(',')}`;
    signing = { kind: 'file', version: async () => version, load: async () => ({ version, jwks }) };
  } else {
    const queries = signingKeyQueries(db);
    await ensureSigningKeys(db, queries, box);
    signing = databaseKeySource(queries, box);
  }
  const cookieKeys = config.oidc.cookieKeys.length
    ? config.oidc.cookieKeys
    : await getOrCreateGeneratedSecret(db, 'oidc.cookie-keys', async () => [randomBytes(32).toString('base64url')]);
  return { signing, cookieKeys };
}

/** The algorithms ID tokens are signed with: the default and any a client asks for. */
export function signingAlgorithmsInUse(config: Config): Set<string> {
  return new Set([config.oidc.idTokenSigningAlg, ...config.oidc.clients.flatMap((client) => client.id_token_signed_response_alg ?? [])]);
}

async function readJwksFile(file: string, algorithms: Set<string>): Promise<Jwks> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new ConfigError(`oidc.jwksFile: cannot read a JSON Web Key Set from ${file}: ${(error as Error).message}`);
  }
  const keys = (parsed as { keys?: unknown }).keys;
  if (!Array.isArray(keys) || keys.length === 0) {
    throw new ConfigError(`oidc.jwksFile: ${file} must hold {"keys": [...]} with at least one key`);
  }
  keys.forEach((key: JWK, index) => {
    if (typeof key !== 'object' || key === null || !('d' in key)) {
      throw new ConfigError(`oidc.jwksFile: key ${index} in ${file} is not a private key (no "d")`);
    }
  });
  const kty: Record<string, string> = { RS256: 'RSA', ES256: 'EC' };
  for (const alg of algorithms) {
    if (!keys.some((key: JWK) => key.alg === alg || (key.alg === undefined && key.kty === kty[alg]))) {
      throw new ConfigError(`oidc.jwksFile: ${file} has no ${alg} key, and ID tokens are signed with ${alg} (oidc.idTokenSigningAlg or a client's id_token_signed_response_alg)`);
    }
  }
  return { keys };
}
