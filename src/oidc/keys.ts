/**
 * Where the provider's keys come from. Production: a JWKS file of private keys
 * (oidc.jwksFile) and cookie keys from configuration. Development and test: generated
 * once and kept in the database, so restarts and other nodes keep using them.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { exportJWK, generateKeyPair } from 'jose';
import type { JWK } from 'oidc-provider';
import type { Config } from '../config/schema.js';
import { ConfigError } from '../config/load.js';
import type { Database } from '../store/database.js';
import { getOrCreateGeneratedSecret } from '../store/generated-secrets.js';

export interface ProviderKeys {
  jwks: { keys: JWK[] };
  cookieKeys: string[];
}

/** RS256 is what every relying party supports; ES256 is offered for those that ask for it. */
export async function generateSigningKeys(): Promise<{ keys: JWK[] }> {
  const keys: JWK[] = [];
  for (const alg of ['RS256', 'ES256'] as const) {
    const { privateKey } = await generateKeyPair(alg, { extractable: true, ...(alg === 'RS256' ? { modulusLength: 2048 } : {}) });
    const jwk = await exportJWK(privateKey);
    keys.push({ ...jwk, alg, use: 'sig', kid: `${alg.toLowerCase()}-${randomBytes(6).toString('hex')}` } as JWK);
  }
  return { keys };
}

export async function loadProviderKeys(config: Config, db: Database): Promise<ProviderKeys> {
  const jwks = config.oidc.jwksFile
    ? await readJwksFile(config.oidc.jwksFile)
    : await getOrCreateGeneratedSecret(db, 'oidc.signing-jwks', generateSigningKeys);
  const cookieKeys = config.oidc.cookieKeys.length
    ? config.oidc.cookieKeys
    : await getOrCreateGeneratedSecret(db, 'oidc.cookie-keys', async () => [randomBytes(32).toString('base64url')]);
  return { jwks, cookieKeys };
}

async function readJwksFile(file: string): Promise<{ keys: JWK[] }> {
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
  if (!keys.some((key: JWK) => key.kty === 'RSA')) {
    throw new ConfigError(`oidc.jwksFile: ${file} needs at least one RSA key (RS256 is the default ID token algorithm)`);
  }
  return { keys };
}
