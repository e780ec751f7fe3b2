import { matchTotpCode, toBase32, totpCode, totpUri, type TotpParameters } from '../../../src/factors/totp.js';
import { base32Decode, rfc6238 } from '../../support/totp.js';

// RFC 6238 Appendix B: seeds are the ASCII digits "1234567890" repeated to the hash's block
// of 20 (SHA-1), 32 (SHA-256) and 64 (SHA-512) bytes; codes have 8 digits, 30 s steps.
const seeds = {
  sha1: Buffer.from('12345678901234567890'),
  sha256: Buffer.from('12345678901234567890123456789012'),
  sha512: Buffer.from('1234567890123456789012345678901234567890123456789012345678901234'),
};
const vectors: Array<[number, string, string, string]> = [
  [59, '94287082', '46119246', '90693936'],
  [1111111109, '07081804', '68084774', '25091201'],
  [1111111111, '14050471', '67062674', '99943326'],
  [1234567890, '89005924', '91819424', '93441116'],
  [2000000000, '69279037', '90698825', '38618901'],
  [20000000000, '65353130', '77737706', '47863826'],
];

describe('TOTP (RFC 6238)', () => {
  describe.each(['sha1', 'sha256', 'sha512'] as const)('Appendix B vectors, %s', (algorithm) => {
    const column = { sha1: 1, sha256: 2, sha512: 3 }[algorithm];
    it.each(vectors)('at T=%i', async (time, ...codes) => {
      const expected = codes[column - 1] as string;
      const parameters = { algorithm, digits: 8, period: 30, window: 0 } as const;
      expect(await totpCode(seeds[algorithm], time, parameters)).toBe(expected);
      expect(await matchTotpCode(seeds[algorithm], expected, time, parameters)).toBe(Math.floor(time / 30));
    });
  });

  describe('window of one step either side', () => {
    const secret = Buffer.from('0123456789abcdefghij');
    const parameters: TotpParameters = { algorithm: 'sha1', digits: 6, period: 30, window: 1 };
    const now = 1_700_000_015; // the middle of a step
    const step = Math.floor(now / 30);

    it.each([
      [-2, false],
      [-1, true],
      [0, true],
      [1, true],
      [2, false],
    ])('a code %i step(s) away is accepted: %s', async (offset, accepted) => {
      const code = rfc6238(secret, (step + offset) * 30);
      expect(await matchTotpCode(secret, code, now, parameters)).toBe(accepted ? step + offset : undefined);
    });

    it('holds at the very first and last second of a step', async () => {
      for (const edge of [step * 30, step * 30 + 29]) {
        expect(await matchTotpCode(secret, rfc6238(secret, (step - 1) * 30), edge, parameters)).toBe(step - 1);
        expect(await matchTotpCode(secret, rfc6238(secret, (step + 1) * 30), edge, parameters)).toBe(step + 1);
        expect(await matchTotpCode(secret, rfc6238(secret, (step + 2) * 30), edge, parameters)).toBeUndefined();
        expect(await matchTotpCode(secret, rfc6238(secret, (step - 2) * 30), edge, parameters)).toBeUndefined();
      }
    });

    it('refuses steps at or before the last accepted one', async () => {
      const code = rfc6238(secret, now);
      expect(await matchTotpCode(secret, code, now, parameters, step)).toBeUndefined();
      expect(await matchTotpCode(secret, code, now, parameters, step - 1)).toBe(step);
    });

    it('refuses malformed codes without throwing', async () => {
      for (const bad of ['', '12345', '1234567', 'abcdef', '12 34 56', '１２３４５６']) {
        expect(await matchTotpCode(secret, bad, now, parameters)).toBeUndefined();
      }
    });
  });

  it('builds an otpauth URI that names issuer, participant and user', () => {
    const secret = Buffer.from('0123456789abcdefghij');
    const uri = new URL(totpUri({ issuer: 'HKSCC CCASS', participantId: 'B01234', userId: 'ALICE', secret, parameters: { algorithm: 'sha1', digits: 6, period: 30, window: 1 } }));
    expect(uri.protocol).toBe('otpauth:');
    expect(uri.host).toBe('totp');
    expect(decodeURIComponent(uri.pathname)).toBe('/HKSCC CCASS:B01234 ALICE');
    expect(Object.fromEntries(uri.searchParams)).toEqual({ secret: toBase32(secret), issuer: 'HKSCC CCASS', algorithm: 'SHA1', digits: '6', period: '30' });
    expect(base32Decode(uri.searchParams.get('secret') as string)).toEqual(secret);
  });
});
