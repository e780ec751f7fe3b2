/**
 * CSRF tokens for the interaction forms: an HMAC of the interaction id under the cookie
 * signing keys. The form must carry the token of *its* interaction, and the interaction is
 * also bound to the browser by oidc-provider's SameSite cookie; either alone stops a
 * cross-site post, together they survive one of them being weakened.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export interface CsrfTokens {
  issue(interactionUid: string): string;
  verify(interactionUid: string, token: unknown): boolean;
}

export function createCsrfTokens(keys: readonly string[]): CsrfTokens {
  if (keys.length === 0) throw new Error('CSRF tokens need at least one key');
  const sign = (key: string, uid: string) => createHmac('sha256', key).update(`interaction-csrf:${uid}`).digest('base64url');
  return {
    issue: (uid) => sign(keys[0] as string, uid),
    verify: (uid, token) => {
      if (typeof token !== 'string' || token.length === 0) return false;
      const given = Buffer.from(token);
      // Any current key: tokens issued just before a key rotation stay valid.
      return keys.some((key) => {
        const expected = Buffer.from(sign(key, uid));
        return expected.length === given.length && timingSafeEqual(expected, given);
      });
    },
  };
}
