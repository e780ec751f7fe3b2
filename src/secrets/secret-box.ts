/**
 * Encryption of secrets at rest (AES-256-GCM) and keyed hashes of short codes (HMAC-SHA256),
 * under a key ring from configuration. Every sealed value carries its key id, so keys can be
 * rotated: the first key seals, any listed key opens.
 *
 * The caller passes a `context` (e.g. the user's id) bound in as additional authenticated
 * data: a ciphertext copied onto another row does not decrypt there.
 */
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';

export interface EncryptionKey {
  id: string;
  key: Buffer;
}

export interface SecretBox {
  seal(plaintext: Buffer, context: string): string;
  /** Throws if the value was tampered with, sealed for another context, or under an unknown key. */
  open(sealed: string, context: string): Buffer;
  /** `keyId:hash` of a short value (e.g. an emailed code), keyed so a database dump alone cannot brute-force it. */
  keyedHash(purpose: string, value: string): string;
  /** Checks a value against a keyedHash result, with whichever key made it. */
  matchesKeyedHash(purpose: string, value: string, stored: string): boolean;
}

const FORMAT = 'v1';

export function parseEncryptionKeys(entries: readonly string[]): EncryptionKey[] {
  return entries.map((entry, index) => {
    const separator = entry.indexOf(':');
    const id = entry.slice(0, separator);
    const key = Buffer.from(entry.slice(separator + 1), 'base64');
    if (separator < 1 || key.length !== 32) {
      throw new Error(`secrets.encryptionKeys[${index}] must be "id:base64" of exactly 32 bytes`);
    }
    return { id, key };
  });
}

export function generateEncryptionKeyEntry(id = `k${Date.now().toString(36)}`): string {
  return `${id}:${randomBytes(32).toString('base64')}`;
}

export function createSecretBox(keys: readonly EncryptionKey[]): SecretBox {
  const current = keys[0];
  if (!current) throw new Error('at least one encryption key is needed');
  const byId = new Map(keys.map((entry) => [entry.id, entry.key]));
  const hashKey = (key: Buffer, purpose: string) => Buffer.from(hkdfSync('sha256', key, Buffer.alloc(0), `ccass-auth:${purpose}`, 32));
  const hash = (key: Buffer, purpose: string, value: string) => createHmac('sha256', hashKey(key, purpose)).update(value).digest('base64url');

  return {
    seal(plaintext, context) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', current.key, iv);
      cipher.setAAD(Buffer.from(context));
      const body = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
      return [FORMAT, current.id, iv.toString('base64url'), body.toString('base64url')].join(':');
    },
    open(sealed, context) {
      const [format, keyId, iv, body] = sealed.split(':');
      const key = keyId ? byId.get(keyId) : undefined;
      if (format !== FORMAT || !key || !iv || !body) throw new Error('sealed value has an unknown format or key');
      const bytes = Buffer.from(body, 'base64url');
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
      decipher.setAAD(Buffer.from(context));
      decipher.setAuthTag(bytes.subarray(bytes.length - 16));
      return Buffer.concat([decipher.update(bytes.subarray(0, bytes.length - 16)), decipher.final()]);
    },
    keyedHash(purpose, value) {
      return `${current.id}:${hash(current.key, purpose, value)}`;
    },
    matchesKeyedHash(purpose, value, stored) {
      const separator = stored.indexOf(':');
      const key = byId.get(stored.slice(0, separator));
      if (!key) return false;
      const expected = Buffer.from(hash(key, purpose, value));
      const given = Buffer.from(stored.slice(separator + 1));
      return expected.length === given.length && timingSafeEqual(expected, given);
    },
  };
}

