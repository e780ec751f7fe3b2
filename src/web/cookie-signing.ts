/**
 * Signed cookies' `.sig` values, made and checked as keygrip (the `cookies` package's default)
 * makes and checks them: HMAC-SHA1 of `name=value` under the first key, base64url without
 * padding, and any of the keys accepted (a cookie signed with an older key is re-signed with
 * the first). The values are the same bytes, so nodes with and without this class read each
 * other's cookies.
 *
 * What differs is the comparison. keygrip compares through tsscmp, which draws 32 random bytes
 * and computes two more HMACs each time to hide the timing; crypto.timingSafeEqual on the two
 * digests does it in constant time by itself. A login reads signed cookies on most of its
 * requests (oidc-provider's interaction, resume and session cookies): on the login benchmark
 * those extra HMACs were a visible share of the server's CPU.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export class CookieSigner {
  private readonly keys: readonly string[];

  constructor(keys: readonly string[]) {
    if (keys.length === 0) throw new Error('signed cookies need at least one key');
    this.keys = [...keys];
  }

  sign(data: string): string {
    return digest(data, this.keys[0] as string);
  }

  verify(data: string, signature: string): boolean {
    return this.index(data, signature) > -1;
  }

  /** Which key signed `data` with this signature, or -1 (keygrip's contract). */
  index(data: string, signature: string): number {
    if (typeof signature !== 'string') return -1;
    const given = Buffer.from(signature);
    for (let index = 0; index < this.keys.length; index += 1) {
      const expected = Buffer.from(digest(data, this.keys[index] as string));
      // The length of a SHA-1 digest is no secret; equal lengths are what timingSafeEqual needs.
      if (expected.length === given.length && timingSafeEqual(expected, given)) return index;
    }
    return -1;
  }
}

function digest(data: string, key: string): string {
  return createHmac('sha1', key).update(data).digest('base64url');
}
