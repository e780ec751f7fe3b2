import { createPasswordHasher, passwordProblemList, type PasswordContext, type PasswordRules } from '../../../src/factors/password.js';
import { passwordRefusal, translator } from '../../../src/i18n/translate.js';

/** The problems as the English page words them (one sentence each). */
const passwordProblems = (password: string, rules: PasswordRules, context?: PasswordContext) => passwordRefusal(passwordProblemList(password, rules, context)).map((problem) => translator('en')(problem));
import { isCommonPassword } from '../../../src/factors/password-blocklist.js';

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
    expect(passwordProblems('short', rules)).toEqual(['The password must be at least 12 characters.']);
    // (Not "密碼" six times over: that is now refused as a repeated pattern.)
    expect(passwordProblems('我的密碼是一句很長的話', rules)).toEqual(['The password must be at least 12 characters.']);
    expect(passwordProblems('我的密碼是一句很長的話吧', rules)).toEqual([]);
  });

  it('refuses passwords over the maximum', () => {
    const long = Array.from({ length: 129 }, (_, i) => String.fromCharCode(97 + ((i * 7) % 26))).join('');
    expect(passwordProblems(long, rules)).toEqual(['The password must be at most 128 characters.']);
  });

  it('reports a length problem and a guessability problem together', () => {
    expect(passwordProblems('x'.repeat(129), rules)).toEqual([
      'The password must be at most 128 characters.',
      'The password is too easy to guess (repeated or sequential characters).',
    ]);
  });

  it("refuses the user's own ID, whatever the case", () => {
    expect(passwordProblems('operator0001', rules, { userId: 'OPERATOR0001' })).toEqual(['The password must not be your user ID.']);
  });
});

describe('password rules: common, trivial and context-specific passwords (NIST 800-63B 5.1.1.2)', () => {
  const common = 'The password is too common: it appears in lists of passwords attackers try first.';
  const trivial = 'The password is too easy to guess (repeated or sequential characters).';
  const contextWords = 'The password must not be mostly your user ID, participant ID or the name of the service.';
  const participant = { userId: 'OPERATOR0001', participantId: 'B01234' };

  it('ships a blocklist of real common passwords, loaded from the data file', () => {
    expect(isCommonPassword('password')).toBe(true);
    expect(isCommonPassword('1qaz2wsx3edc')).toBe(true); // from the zxcvbn lists
    expect(isCommonPassword('passw0rd1234')).toBe(true); // from the hand-made section
    expect(isCommonPassword('velvet harbor kite lantern')).toBe(false);
  });

  it.each(['password1234', 'PASSWORD1234', 'Administrator', 'qwertyuiop123', '  iloveyou1234  ', 'P@ssw0rd1234'])(
    'refuses the listed password %p, whatever its case and outer spaces',
    (password) => {
      expect(passwordProblems(password, rules)).toEqual([common]);
    },
  );

  it('compares after NFKC normalisation (full-width letters are the same password)', () => {
    expect(passwordProblems('ｐａｓｓｗｏｒｄ１２３４', rules)).toEqual([common]);
  });

  it('accepts a strong random passphrase', () => {
    expect(passwordProblems('tinsel Orbit maple 47 quarry', rules)).toEqual([]);
    expect(passwordProblems('Xq7#vL2!pR9zK4m', rules)).toEqual([]);
  });

  it('has no composition rules: an all-lowercase passphrase of real words is fine', () => {
    expect(passwordProblems('velvetharborkite', rules)).toEqual([]);
  });

  it('accepts Unicode passphrases', () => {
    expect(passwordProblems('我的密碼是一句很長的話吧', rules)).toEqual([]);
    expect(passwordProblems('café au lait, s’il vous plaît', rules)).toEqual([]);
  });

  it.each([
    'aaaaaaaaaaaa',
    'ZZZZZZZZZZZZZZZZ',
    'abcabcabcabc',
    '121212121212',
    'abcdabcdabcdab',
    '密碼密碼密碼密碼密碼密碼',
    '345678901234',
    '210987654321',
    'abcdefghijkl',
    'ZYXWVUTSRQPO',
    'qwertyuiopas',
    'lkjhgfdsapoi',
  ])('refuses the repeated or sequential %p', (password) => {
    expect(passwordProblems(password, rules)).toEqual([trivial]);
  });

  it('reports a listed sequence as common (the first reason that applies)', () => {
    expect(passwordProblems('123456789012', rules)).toEqual([common]);
  });

  it('does not mistake passwords that merely contain a run for a sequence', () => {
    expect(passwordProblems('123456 tangerine sky', rules)).toEqual([]);
    expect(passwordProblems('aaa bbb ccc ddd eee fff', rules)).toEqual([]);
  });

  it("refuses the user's own ID before anything else", () => {
    expect(passwordProblems('Operator0001', rules, participant)).toEqual(['The password must not be your user ID.']);
  });

  it.each([
    'B01234-password', // the rest is itself a common password
    'b01234b01234b01234', // nothing left
    'operator0001!!!', // user ID and a few symbols
    'OPERATOR0001-B01234', // both IDs
    'CCASS2024abc', // service name and a short suffix
    'hkex-hkscc-2025', // service names and a year
    'ccass-aaaaaaaaaa', // the rest is trivial
  ])('refuses %p as mostly context-specific words', (password) => {
    expect(passwordProblems(password, rules, participant)).toEqual([contextWords]);
  });

  it('refuses the service names without any user context too', () => {
    expect(passwordProblems('ccass1234567', rules)).toEqual([contextWords]);
  });

  it('accepts a passphrase that merely contains a context word among much else', () => {
    expect(passwordProblems('my ccass terminal is fast', rules, participant)).toEqual([]);
    expect(passwordProblems('B01234 river sparrow lantern', rules, participant)).toEqual([]);
  });

  it('ignores participant and user IDs shorter than 4 characters when looking for them', () => {
    expect(passwordProblems('AB tinsel orbit maple', rules, { userId: 'AB', participantId: 'AB' })).toEqual([]);
  });

  it('keeps the old call shape working (no context, or only a user ID)', () => {
    expect(passwordProblems('tinsel orbit maple', rules)).toEqual([]);
    expect(passwordProblems('tinsel orbit maple', rules, { userId: 'someone' })).toEqual([]);
  });
});

describe('createLimiter', () => {
  it('runs at most `limit` tasks at once, the rest in arrival order', async () => {
    const { createLimiter } = await import('../../../src/factors/password.js');
    const limit = createLimiter(2);
    let running = 0;
    let most = 0;
    const order: number[] = [];
    const task = (id: number) => async () => {
      running += 1;
      most = Math.max(most, running);
      await new Promise((resolve) => setTimeout(resolve, 5));
      order.push(id);
      running -= 1;
      return id;
    };
    const results = await Promise.all([1, 2, 3, 4, 5].map((id) => limit(task(id))));
    expect(results).toEqual([1, 2, 3, 4, 5]);
    expect(most).toBe(2);
    expect(order.slice(2)).toEqual([3, 4, 5]);
  });

  it('frees its place when a task fails', async () => {
    const { createLimiter } = await import('../../../src/factors/password.js');
    const limit = createLimiter(1);
    await expect(limit(async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(limit(async () => 'next')).resolves.toBe('next');
  });

  it('defaults to one per core', async () => {
    const { defaultHashingConcurrency } = await import('../../../src/factors/password.js');
    expect(defaultHashingConcurrency(1)).toBe(1);
    expect(defaultHashingConcurrency(2)).toBe(2);
    expect(defaultHashingConcurrency(8)).toBe(8);
  });
});
