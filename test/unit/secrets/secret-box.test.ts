import { randomBytes } from 'node:crypto';
import { createSecretBox, generateEncryptionKeyEntry, parseEncryptionKeys } from '../../../src/secrets/secret-box.js';

const oldKey = generateEncryptionKeyEntry('old');
const newKey = generateEncryptionKeyEntry('new');

describe('secret box (AES-256-GCM with key ids)', () => {
  const box = createSecretBox(parseEncryptionKeys([newKey, oldKey]));
  const secret = randomBytes(20);

  it('round-trips, never returning the plaintext in the sealed form', () => {
    const sealed = box.seal(secret, 'totp:user-1');
    expect(sealed.startsWith('v1:new:')).toBe(true);
    expect(sealed).not.toContain(secret.toString('base64url'));
    expect(box.open(sealed, 'totp:user-1')).toEqual(secret);
  });

  it('uses a fresh IV each time', () => {
    expect(box.seal(secret, 'c')).not.toBe(box.seal(secret, 'c'));
  });

  it('refuses a value sealed for another context (a row copied to another user)', () => {
    expect(() => box.open(box.seal(secret, 'totp:user-1'), 'totp:user-2')).toThrow();
  });

  it('refuses a tampered value', () => {
    const sealed = box.seal(secret, 'c');
    const parts = sealed.split(':');
    const body = Buffer.from(parts[3] as string, 'base64url');
    body[0] = (body[0] as number) ^ 1;
    parts[3] = body.toString('base64url');
    expect(() => box.open(parts.join(':'), 'c')).toThrow();
  });

  it('opens values sealed with an older key after rotation, and refuses unknown keys', () => {
    const before = createSecretBox(parseEncryptionKeys([oldKey]));
    const sealed = before.seal(secret, 'c');
    expect(box.open(sealed, 'c')).toEqual(secret);
    expect(() => createSecretBox(parseEncryptionKeys([newKey])).open(sealed, 'c')).toThrow(/unknown format or key/);
  });

  it('makes keyed hashes that match only the same value, across rotation', () => {
    const before = createSecretBox(parseEncryptionKeys([oldKey]));
    const stored = before.keyedHash('email-otp', 'abc:123456');
    expect(box.matchesKeyedHash('email-otp', 'abc:123456', stored)).toBe(true);
    expect(box.matchesKeyedHash('email-otp', 'abc:123457', stored)).toBe(false);
    expect(box.matchesKeyedHash('other-purpose', 'abc:123456', stored)).toBe(false);
    expect(box.matchesKeyedHash('email-otp', 'abc:123456', 'gone:xyz')).toBe(false);
  });

  it('rejects keys that are not 32 bytes', () => {
    expect(() => parseEncryptionKeys([`short:${randomBytes(16).toString('base64')}`])).toThrow(/32 bytes/);
    expect(() => parseEncryptionKeys(['nokey'])).toThrow();
  });
});
