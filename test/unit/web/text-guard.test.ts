import fc from 'fast-check';
import { percentEncodedProblem } from '../../../src/web/text-guard.js';
import { problemIn, textProblem } from '../../../src/kernel/storable-text.js';

describe('text that can be stored', () => {
  it('refuses NUL and lone surrogates, keys included, and lets any other text through', () => {
    expect(textProblem('a\u0000b')).toBe('nul');
    expect(textProblem('\ud800')).toBe('lone_surrogate');
    expect(textProblem('\udc00x')).toBe('lone_surrogate');
    expect(textProblem('陳大文 😀 \ufffd\u0001')).toBeUndefined();
    expect(problemIn({ a: ['ok', { b: 'x\u0000' }] })).toBe('nul');
    expect(problemIn({ ['k\ud800']: 'v' })).toBe('lone_surrogate');
    fc.assert(fc.property(fc.string({ unit: 'grapheme' }).filter((text) => !text.includes('\u0000')), (text) => textProblem(text) === undefined));
  });

  it('reads percent-escapes as bytes that must be UTF-8 without NUL', () => {
    expect(percentEncodedProblem('/auth?state=%00')).toBe('nul');
    expect(percentEncodedProblem('/auth?state=%C0%80')).toBe('invalid_utf8'); // an overlong NUL
    expect(percentEncodedProblem('/auth?state=%ED%A0%80')).toBe('invalid_utf8'); // a surrogate, encoded
    expect(percentEncodedProblem('/auth?state=%E0%A4z')).toBe('invalid_utf8'); // truncated
    expect(percentEncodedProblem('/auth?state=%FF')).toBe('invalid_utf8');
    expect(percentEncodedProblem('/auth?state=caf\u00e9')).toBe('raw_byte');
    expect(percentEncodedProblem('/auth?state=%E9%99%B3%F0%9F%98%80&x=100%25&y=%zz&z=a+b')).toBeUndefined();
    fc.assert(fc.property(fc.string({ unit: 'grapheme' }).filter((text) => !text.includes('\u0000') && text.isWellFormed()), (text) => percentEncodedProblem(`/x?v=${encodeURIComponent(text)}`) === undefined));
  });
});
