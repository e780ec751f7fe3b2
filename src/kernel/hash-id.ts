import { hash } from 'node:crypto';

/**
 * How identifiers that work as bearer secrets are kept (tokens, codes, interaction and
 * session ids): as SHA-256, so a copy of the database holds nothing usable. Their entropy
 * is high (≥ 128 bits), so an unkeyed hash is enough; low-entropy secrets are keyed (secret-box).
 */
export function hashId(id: string): string {
  // The one-shot hash: no Hash object per call (several per request: every adapter lookup and write).
  return hash('sha256', id, 'base64url');
}
