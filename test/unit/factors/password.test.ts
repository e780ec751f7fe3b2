import { createPasswordHasher, passwordProblems } from '../../../src/factors/password.js';

// Cheap parameters: these tests are about behaviour, not cost.
const hasher = createPasswordHasher({ memoryCost: 8192, timeCost: 1, parallelism: 1 });
const rules = { minLength: 12, maxLength: 128 };

describe('password hashing', () => {
  it('hashes with argon2id and verifies the same password only', async () => {
    const hash = await hasher.hash('correct horse battery staple');
    expect(hash).toMatch(/^\$argon2id\$v=19\$m=8192,p=1,t=1\$/);
    expect(await hasher.verify(hash, 'correct horse battery staple')).toBe(true);
    expect(await hasher.verify(hash, 'correct horse battery stapler')).toBe(false);
  });

  it('salts every hash', async () => {
    expect(await hasher.hash('same password here')).not.toBe(await hasher.hash('same password here'));
  });

  it('treats Unicode-equivalent passwords as the same (NFKC, NIST 800-63B 5.1.1.2)', async () => {
    const composed = 'caf\u00e9 au lait ok';
    const decomposed = 'cafe\u0301 au lait ok';
    expect(await hasher.verify(await hasher.hash(composed), decomposed)).toBe(true);
  });

  it('answers false, not an error, for a malformed stored hash', async () => {
    expect(await hasher.verify('not-a-hash', 'anything at all')).toBe(false);
  });

  it('spends a verification on the dummy hash and always refuses', async () => {
    expect(await hasher.verifyAgainstDummy('whatever')).toBe(false);
  });

  it('asks for a rehash when the configured cost changed', async () => {
    const hash = await hasher.hash('correct horse battery staple');
    expect(hasher.needsRehash(hash)).toBe(false);
    const stronger = createPasswordHasher({ memoryCost: 16384, timeCost: 2, parallelism: 1 });
    expect(stronger.needsRehash(hash)).toBe(true);
  });
});

describe('password rules', () => {
  it('accepts a long passphrase without composition rules', () => {
    expect(passwordProblems('all lower case words', rules)).toEqual([]);
  });

  it('refuses passwords shorter than the minimum, counting characters not bytes', () => {
    expect(passwordProblems('short', rules)).toEqual(['must be at least 12 characters']);
    expect(passwordProblems('密碼密碼密碼密碼密碼密碼', rules)).toEqual([]);
    expect(passwordProblems('密碼密碼密碼密碼密碼', rules)).toEqual(['must be at least 12 characters']);
  });

  it('refuses passwords over the maximum', () => {
    expect(passwordProblems('x'.repeat(129), rules)).toEqual(['must be at most 128 characters']);
  });

  it("refuses the user's own ID, whatever the case", () => {
    expect(passwordProblems('operator0001', rules, { userId: 'OPERATOR0001' })).toEqual(['must not be your user ID']);
  });
});
