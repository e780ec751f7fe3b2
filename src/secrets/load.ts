import type { Config } from '../config/schema.js';
import type { Database } from '../store/database.js';
import { getOrCreateGeneratedSecret } from '../store/generated-secrets.js';
import { createSecretBox, generateEncryptionKeyEntry, parseEncryptionKeys, type SecretBox } from './secret-box.js';

/**
 * The key ring from `secrets.encryptionKeys`; outside production, when unset, one key is
 * generated once and kept in the database (which protects nothing at rest: development only).
 */
export async function loadSecretBox(config: Config, db: Database): Promise<SecretBox> {
  const entries = config.secrets.encryptionKeys.length
    ? config.secrets.encryptionKeys
    : await getOrCreateGeneratedSecret(db, 'secrets.encryption-keys', async () => [generateEncryptionKeyEntry('dev')]);
  return createSecretBox(parseEncryptionKeys(entries));
}
