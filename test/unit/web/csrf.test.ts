import { createCsrfTokens } from '../../../src/web/csrf.js';

describe('interaction CSRF tokens', () => {
  const tokens = createCsrfTokens(['k'.repeat(32)]);

  it('accepts the token of the same interaction only', () => {
    const token = tokens.issue('interaction-a');
    expect(tokens.verify('interaction-a', token)).toBe(true);
    expect(tokens.verify('interaction-b', token)).toBe(false);
  });

  it('refuses missing, empty and malformed tokens', () => {
    for (const bad of [undefined, '', 'x', 42, ['a']]) expect(tokens.verify('interaction-a', bad)).toBe(false);
  });

  it('keeps accepting tokens signed with an older key after rotation', () => {
    const before = createCsrfTokens(['old'.padEnd(32, '0')]);
    const after = createCsrfTokens(['new'.padEnd(32, '0'), 'old'.padEnd(32, '0')]);
    expect(after.verify('uid', before.issue('uid'))).toBe(true);
    expect(createCsrfTokens(['new'.padEnd(32, '0')]).verify('uid', before.issue('uid'))).toBe(false);
  });
});
