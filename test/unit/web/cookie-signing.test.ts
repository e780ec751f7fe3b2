/**
 * Cookie signatures: the same `.sig` values keygrip makes (nodes with either read each other's
 * cookies), every current key accepted, anything else refused.
 */
import { createRequire } from 'node:module';
import { CookieSigner } from '../../../src/web/cookie-signing.js';

// keygrip is what the `cookies` package uses by default: the reference these values must match.
const Keygrip = createRequire(import.meta.url)('keygrip') as new (keys: string[]) => { sign(data: string): string; index(data: string, digest: string): number };

describe('cookie signatures', () => {
  const keys = ['first-key-0123456789abcdef', 'older-key-fedcba9876543210'];
  const data = '__Host-interaction=uNZuvIYQ8v-vlVa3pk2H3Q0a1XqRH0l5Xc0M3-DwNbo';

  it('are the ones keygrip makes and accepts, with the same key index', () => {
    const ours = new CookieSigner(keys);
    const theirs = new Keygrip(keys);
    for (const value of [data, '', 'ä=ü; ☃', 'x'.repeat(4000)]) {
      expect(ours.sign(value)).toBe(theirs.sign(value));
      expect(ours.index(value, theirs.sign(value))).toBe(0);
      expect(theirs.index(value, ours.sign(value))).toBe(0);
    }
    const older = new Keygrip([keys[1] as string]).sign(data);
    expect(ours.index(data, older)).toBe(1);
    expect(ours.verify(data, older)).toBe(true);
  });

  it('refuses a signature of other data, another key, or another length', () => {
    const signer = new CookieSigner(keys);
    const signature = signer.sign(data);
    expect(signer.index(`${data}x`, signature)).toBe(-1);
    expect(signer.index(data, new CookieSigner(['not-one-of-them']).sign(data))).toBe(-1);
    expect(signer.index(data, signature.slice(0, -1))).toBe(-1);
    expect(signer.index(data, `${signature}A`)).toBe(-1);
    expect(signer.index(data, '')).toBe(-1);
    expect(signer.verify(data, signature.replace(/^./, (first) => (first === 'A' ? 'B' : 'A')))).toBe(false);
  });

  it('needs a key', () => {
    expect(() => new CookieSigner([])).toThrow(/at least one key/);
  });
});
