import { X509Certificate } from 'node:crypto';
import { certificateDer, normaliseSerial, parseAuthorities, parseRevocationList, verifySmartcardCertificate, type SmartcardTrust } from '../../../src/factors/smartcard.js';
import { createAuthority, createCrl, derOf, issueCertificate, type Authority } from '../../support/pki.js';

const DAY = 86_400_000;

describe('smartcard certificate checks', () => {
  let ca: Authority;
  let otherCa: Authority;
  let trust: SmartcardTrust;

  beforeAll(async () => {
    ca = await createAuthority('Smartcard CA');
    otherCa = await createAuthority('Another CA');
    const authorities = parseAuthorities(ca.pem);
    trust = { authorities, crls: [parseRevocationList(Buffer.from(await createCrl(ca, [])), authorities)], requireCrl: true };
  });

  it('accepts a valid card of the configured CA and keys it by its SHA-256 fingerprint', async () => {
    const card = await issueCertificate(ca, 'TRADER1');
    const verdict = verifySmartcardCertificate(trust, derOf(card), new Date());
    expect(verdict).toMatchObject({ ok: true, certificate: { serial: normaliseSerial(card.serial) } });
    if (verdict.ok) expect(verdict.certificate.fingerprint).toBe(new X509Certificate(card.pem).fingerprint256.replace(/:/g, '').toLowerCase());
  });

  it.each([
    ['expired', { from: new Date(Date.now() - 30 * DAY), to: new Date(Date.now() - DAY) }],
    ['not_yet_valid', { from: new Date(Date.now() + DAY), to: new Date(Date.now() + 30 * DAY) }],
  ] as const)('refuses a card that is %s', async (reason, validity) => {
    const card = await issueCertificate(ca, 'TRADER1', validity);
    expect(verifySmartcardCertificate(trust, derOf(card), new Date())).toEqual({ ok: false, reason });
  });

  it('refuses a card of another CA, a self-signed card and bytes that are no certificate', async () => {
    expect(verifySmartcardCertificate(trust, derOf(await issueCertificate(otherCa, 'TRADER1')), new Date())).toEqual({ ok: false, reason: 'untrusted_issuer' });
    expect(verifySmartcardCertificate(trust, derOf(otherCa), new Date())).toEqual({ ok: false, reason: 'untrusted_issuer' });
    expect(verifySmartcardCertificate(trust, Buffer.from('not a certificate'), new Date())).toEqual({ ok: false, reason: 'malformed' });
  });

  it('refuses a certificate meant for servers, not client authentication', async () => {
    const server = await issueCertificate(ca, 'auth.example', { server: { dns: ['auth.example'] } });
    expect(verifySmartcardCertificate(trust, derOf(server), new Date())).toEqual({ ok: false, reason: 'not_for_client_auth' });
  });

  it('refuses a card whose CA has expired', async () => {
    const old = await createAuthority('Old CA', { from: new Date(Date.now() - 400 * DAY), to: new Date(Date.now() - DAY) });
    const card = await issueCertificate(old, 'TRADER1', { from: new Date(Date.now() - 300 * DAY) });
    const authorities = parseAuthorities(old.pem);
    expect(verifySmartcardCertificate({ authorities, crls: [], requireCrl: false }, derOf(card), new Date())).toEqual({ ok: false, reason: 'issuer_expired' });
  });

  it('refuses a card revoked on the CRL, and accepts its neighbour', async () => {
    const revoked = await issueCertificate(ca, 'LOST1');
    const kept = await issueCertificate(ca, 'KEPT1');
    const authorities = parseAuthorities(ca.pem);
    const withCrl = { authorities, crls: [parseRevocationList(Buffer.from(await createCrl(ca, [revoked])), authorities)], requireCrl: true };
    expect(verifySmartcardCertificate(withCrl, derOf(revoked), new Date())).toEqual({ ok: false, reason: 'revoked' });
    expect(verifySmartcardCertificate(withCrl, derOf(kept), new Date()).ok).toBe(true);
  });

  it('fails closed without a current CRL when one is required, and open only when told to', async () => {
    const card = await issueCertificate(ca, 'TRADER1');
    const authorities = parseAuthorities(ca.pem);
    const stale = parseRevocationList(Buffer.from(await createCrl(ca, [], { thisUpdate: new Date(Date.now() - 10 * DAY), nextUpdate: new Date(Date.now() - DAY) })), authorities);
    expect(verifySmartcardCertificate({ authorities, crls: [stale], requireCrl: true }, derOf(card), new Date())).toEqual({ ok: false, reason: 'revocation_unknown' });
    expect(verifySmartcardCertificate({ authorities, crls: [], requireCrl: true }, derOf(card), new Date())).toEqual({ ok: false, reason: 'revocation_unknown' });
    expect(verifySmartcardCertificate({ authorities, crls: [], requireCrl: false }, derOf(card), new Date()).ok).toBe(true);
  });

  it('refuses a CRL that its CA did not sign, and a CA bundle with a non-CA certificate', async () => {
    // Same issuer name as the real CA, another key: the signature gives it away.
    const impostor = await createAuthority('Smartcard CA');
    const forged = await createCrl(impostor, []);
    expect(() => parseRevocationList(Buffer.from(forged), parseAuthorities(ca.pem))).toThrow('is not signed by any CA in smartcard.caFile');
    const otherCrl = await createCrl(otherCa, []);
    expect(() => parseRevocationList(Buffer.from(otherCrl), parseAuthorities(ca.pem))).toThrow('is not signed by any CA in smartcard.caFile');
    expect(() => parseRevocationList(Buffer.from('garbage'), parseAuthorities(ca.pem))).toThrow('is not a CRL');
    const leaf = await issueCertificate(ca, 'TRADER1');
    expect(() => parseAuthorities(leaf.pem)).toThrow('is not a CA certificate');
    expect(() => parseAuthorities('nothing here')).toThrow('contains no PEM certificate');
  });

  it('reads certificates as PEM or DER, and nothing else', async () => {
    const card = await issueCertificate(ca, 'TRADER1');
    expect(certificateDer(card.pem)?.equals(derOf(card))).toBe(true);
    expect(certificateDer(derOf(card))?.equals(derOf(card))).toBe(true);
    expect(certificateDer('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----')).toBeUndefined();
  });

  it('compares serials whatever their leading zeros or case', () => {
    expect(normaliseSerial('00ab:CD')).toBe('ABCD');
    expect(normaliseSerial('0000')).toBe('0');
  });
});
