import 'reflect-metadata';
import { X509Certificate } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import {
  certificateDer,
  normaliseSerial,
  parseRevocationList,
  parseTrustBundle,
  verifySmartcardCertificate,
  type CaCertificate,
  type RevocationList,
  type SmartcardTrust,
} from '../../../src/factors/smartcard.js';
import { createAuthority, createCrl, derOf, issueCertificate, type Authority } from '../../support/pki.js';

const DAY = 86_400_000;

async function crlOf(authority: Authority, revoked: Array<{ serial: string }>, cas: readonly CaCertificate[], validity?: { thisUpdate?: Date; nextUpdate?: Date }): Promise<RevocationList> {
  return parseRevocationList(Buffer.from(await createCrl(authority, revoked, validity)), cas);
}

function trustOf(pem: string, crls: RevocationList[], requireCrl = true): SmartcardTrust {
  return { ...parseTrustBundle(pem), crls, requireCrl };
}

describe('smartcard certificate checks', () => {
  let ca: Authority;
  let otherCa: Authority;
  let trust: SmartcardTrust;

  beforeAll(async () => {
    ca = await createAuthority('Smartcard CA');
    otherCa = await createAuthority('Another CA');
    const { roots } = parseTrustBundle(ca.pem);
    trust = trustOf(ca.pem, [await crlOf(ca, [], roots)]);
  });

  it('accepts a valid card of the configured CA and keys it by its SHA-256 fingerprint', async () => {
    const card = await issueCertificate(ca, 'TRADER1');
    const verdict = await verifySmartcardCertificate(trust, derOf(card), new Date());
    expect(verdict).toMatchObject({ ok: true, certificate: { serial: normaliseSerial(card.serial) } });
    if (verdict.ok) expect(verdict.certificate.fingerprint).toBe(new X509Certificate(card.pem).fingerprint256.replace(/:/g, '').toLowerCase());
  });

  it.each([
    ['expired', { from: new Date(Date.now() - 30 * DAY), to: new Date(Date.now() - DAY) }],
    ['not_yet_valid', { from: new Date(Date.now() + DAY), to: new Date(Date.now() + 30 * DAY) }],
  ] as const)('refuses a card that is %s', async (reason, validity) => {
    const card = await issueCertificate(ca, 'TRADER1', validity);
    expect(await verifySmartcardCertificate(trust, derOf(card), new Date())).toEqual({ ok: false, reason });
  });

  it('refuses a card of another CA, a self-signed card and bytes that are no certificate', async () => {
    expect(await verifySmartcardCertificate(trust, derOf(await issueCertificate(otherCa, 'TRADER1')), new Date())).toEqual({ ok: false, reason: 'untrusted_issuer' });
    expect(await verifySmartcardCertificate(trust, derOf(otherCa), new Date())).toEqual({ ok: false, reason: 'not_for_client_auth' });
    expect(await verifySmartcardCertificate(trust, Buffer.from('not a certificate'), new Date())).toEqual({ ok: false, reason: 'malformed' });
  });

  it('refuses a card with bytes after its certificate (Node would read the certificate and ignore them)', async () => {
    const card = await issueCertificate(ca, 'TRADER1');
    const padded = Buffer.concat([derOf(card), Buffer.from([0x00])]);
    expect(await verifySmartcardCertificate(trust, padded, new Date())).toEqual({ ok: false, reason: 'malformed' });
  });

  it('refuses a card whose CA has expired', async () => {
    const old = await createAuthority('Old CA', { from: new Date(Date.now() - 400 * DAY), to: new Date(Date.now() - DAY) });
    const card = await issueCertificate(old, 'TRADER1', { from: new Date(Date.now() - 300 * DAY) });
    expect(await verifySmartcardCertificate(trustOf(old.pem, [], false), derOf(card), new Date())).toEqual({ ok: false, reason: 'issuer_expired' });
  });

  it('refuses a card revoked on the CRL, and accepts its neighbour', async () => {
    const revoked = await issueCertificate(ca, 'LOST1');
    const kept = await issueCertificate(ca, 'KEPT1');
    const { roots } = parseTrustBundle(ca.pem);
    const withCrl = trustOf(ca.pem, [await crlOf(ca, [revoked], roots)]);
    expect(await verifySmartcardCertificate(withCrl, derOf(revoked), new Date())).toEqual({ ok: false, reason: 'revoked' });
    expect((await verifySmartcardCertificate(withCrl, derOf(kept), new Date())).ok).toBe(true);
  });

  it('fails closed without a current CRL when one is required, and open only when told to', async () => {
    const card = await issueCertificate(ca, 'TRADER1');
    const { roots } = parseTrustBundle(ca.pem);
    const stale = await crlOf(ca, [], roots, { thisUpdate: new Date(Date.now() - 10 * DAY), nextUpdate: new Date(Date.now() - DAY) });
    const future = await crlOf(ca, [], roots, { thisUpdate: new Date(Date.now() + DAY), nextUpdate: new Date(Date.now() + 7 * DAY) });
    expect(await verifySmartcardCertificate(trustOf(ca.pem, [stale]), derOf(card), new Date())).toEqual({ ok: false, reason: 'revocation_unknown' });
    expect(await verifySmartcardCertificate(trustOf(ca.pem, [future]), derOf(card), new Date())).toEqual({ ok: false, reason: 'revocation_unknown' });
    expect(await verifySmartcardCertificate(trustOf(ca.pem, []), derOf(card), new Date())).toEqual({ ok: false, reason: 'revocation_unknown' });
    expect((await verifySmartcardCertificate(trustOf(ca.pem, [], false), derOf(card), new Date())).ok).toBe(true);
  });

  describe('a root and an intermediate (the path is built to the root, and every link is checked)', () => {
    let root: Authority;
    let intermediate: Authority;
    let bundle: string;
    let cas: CaCertificate[];

    beforeAll(async () => {
      root = await createAuthority('HKSCC Test Root CA');
      intermediate = await createAuthority('HKSCC Test Issuing CA', { issuer: root });
      bundle = root.pem + intermediate.pem;
      const parsed = parseTrustBundle(bundle);
      cas = [...parsed.roots, ...parsed.intermediates];
    });

    it('treats only the self-signed CA as a trust anchor', () => {
      const parsed = parseTrustBundle(bundle);
      expect(parsed.roots.map((entry) => entry.certificate.fingerprint256)).toEqual([new X509Certificate(root.pem).fingerprint256]);
      expect(parsed.intermediates.map((entry) => entry.certificate.fingerprint256)).toEqual([new X509Certificate(intermediate.pem).fingerprint256]);
    });

    it('accepts a card of the intermediate when both CRLs are current', async () => {
      const card = await issueCertificate(intermediate, 'TRADER1');
      const crls = [await crlOf(root, [], cas), await crlOf(intermediate, [], cas)];
      expect((await verifySmartcardCertificate(trustOf(bundle, crls), derOf(card), new Date())).ok).toBe(true);
    });

    it('refuses a card of an intermediate that the root\'s CRL revokes', async () => {
      const card = await issueCertificate(intermediate, 'TRADER1');
      const crls = [await crlOf(root, [intermediate], cas), await crlOf(intermediate, [], cas)];
      expect(await verifySmartcardCertificate(trustOf(bundle, crls), derOf(card), new Date())).toEqual({ ok: false, reason: 'issuer_revoked' });
      // The same answer where revocation data is optional: a list that is there is obeyed.
      expect(await verifySmartcardCertificate(trustOf(bundle, crls, false), derOf(card), new Date())).toEqual({ ok: false, reason: 'issuer_revoked' });
    });

    it('refuses a card revoked on the intermediate\'s CRL', async () => {
      const card = await issueCertificate(intermediate, 'LOST1');
      const crls = [await crlOf(root, [], cas), await crlOf(intermediate, [card], cas)];
      expect(await verifySmartcardCertificate(trustOf(bundle, crls), derOf(card), new Date())).toEqual({ ok: false, reason: 'revoked' });
    });

    it.each([
      ["the root's CRL is missing", 'root-missing'],
      ["the root's CRL is stale", 'root-stale'],
      ["the intermediate's CRL is missing", 'intermediate-missing'],
      ["the intermediate's CRL is stale", 'intermediate-stale'],
    ] as const)('refuses when %s: revocation unknown, as for the card itself', async (_what, variant) => {
      const card = await issueCertificate(intermediate, 'TRADER1');
      const staleWindow = { thisUpdate: new Date(Date.now() - 10 * DAY), nextUpdate: new Date(Date.now() - DAY) };
      const rootList = variant === 'root-missing' ? [] : [await crlOf(root, [], cas, variant === 'root-stale' ? staleWindow : undefined)];
      const intermediateList = variant === 'intermediate-missing' ? [] : [await crlOf(intermediate, [], cas, variant === 'intermediate-stale' ? staleWindow : undefined)];
      expect(await verifySmartcardCertificate(trustOf(bundle, [...rootList, ...intermediateList]), derOf(card), new Date())).toEqual({ ok: false, reason: 'revocation_unknown' });
    });

    it('refuses a card whose intermediate has expired, though the root and the card are valid', async () => {
      const lapsed = await createAuthority('Lapsed Issuing CA', { issuer: root, from: new Date(Date.now() - 400 * DAY), to: new Date(Date.now() - DAY) });
      const card = await issueCertificate(lapsed, 'TRADER1', { from: new Date(Date.now() - 300 * DAY), to: new Date(Date.now() + 30 * DAY) });
      expect(await verifySmartcardCertificate(trustOf(root.pem + lapsed.pem, [], false), derOf(card), new Date())).toEqual({ ok: false, reason: 'issuer_expired' });
    });

    it('builds the path with an intermediate the client sent (RFC 9440 Client-Cert-Chain), trusting it no more than any link', async () => {
      const rootOnly = root.pem;
      const card = await issueCertificate(intermediate, 'CHAINED1');
      expect(await verifySmartcardCertificate(trustOf(rootOnly, [], false), derOf(card), new Date())).toEqual({ ok: false, reason: 'untrusted_issuer' });
      expect((await verifySmartcardCertificate(trustOf(rootOnly, [], false), derOf(card), new Date(), [derOf(intermediate)])).ok).toBe(true);
      // Its CRL is still required where CRLs are.
      const rootList = [await crlOf(root, [], parseTrustBundle(rootOnly).roots)];
      expect(await verifySmartcardCertificate(trustOf(rootOnly, rootList), derOf(card), new Date(), [derOf(intermediate)])).toEqual({ ok: false, reason: 'revocation_unknown' });
      // An intermediate of another root helps nothing.
      const otherRoot = await createAuthority('Elsewhere Root');
      const stranger = await createAuthority('Elsewhere Issuing CA', { issuer: otherRoot });
      expect(await verifySmartcardCertificate(trustOf(rootOnly, [], false), derOf(await issueCertificate(stranger, 'X')), new Date(), [derOf(stranger)])).toEqual({ ok: false, reason: 'untrusted_issuer' });
      expect(await verifySmartcardCertificate(trustOf(rootOnly, [], false), derOf(card), new Date(), [Buffer.from('junk')])).toEqual({ ok: false, reason: 'malformed' });
    });

    it('refuses a card of an intermediate signed by another root, even with the same names', async () => {
      const otherRoot = await createAuthority('HKSCC Test Root CA');
      const lookalike = await createAuthority('HKSCC Test Issuing CA', { issuer: otherRoot });
      const card = await issueCertificate(lookalike, 'TRADER1');
      const crls = [await crlOf(root, [], cas), await crlOf(intermediate, [], cas)];
      expect(await verifySmartcardCertificate(trustOf(bundle, crls), derOf(card), new Date())).toEqual({ ok: false, reason: 'untrusted_issuer' });
    });

    it('refuses a card on a list that is no longer current, even where lists are optional: an old list still revokes', async () => {
      const card = await issueCertificate(intermediate, 'LOST2');
      const staleWindow = { thisUpdate: new Date(Date.now() - 10 * DAY), nextUpdate: new Date(Date.now() - DAY) };
      const crls = [await crlOf(root, [], cas, staleWindow), await crlOf(intermediate, [card], cas, staleWindow)];
      expect(await verifySmartcardCertificate(trustOf(bundle, crls, false), derOf(card), new Date())).toEqual({ ok: false, reason: 'revoked' });
      const revokedIssuer = [await crlOf(root, [intermediate], cas, staleWindow)];
      expect(await verifySmartcardCertificate(trustOf(bundle, revokedIssuer, false), derOf(await issueCertificate(intermediate, 'OTHER')), new Date())).toEqual({ ok: false, reason: 'issuer_revoked' });
    });

    it('refuses a path longer than a CA allows (pathLenConstraint)', async () => {
      // The intermediate allows no CA below it; a second one below it issues the card.
      const below = await createAuthority('Too Deep CA', { issuer: intermediate });
      const card = await issueCertificate(below, 'DEEP1');
      expect(await verifySmartcardCertificate(trustOf(bundle + below.pem, [], false), derOf(card), new Date())).toEqual({ ok: false, reason: 'untrusted_issuer' });
      // Where every CA allows it, the same depth is fine.
      const wideRoot = await createAuthority('Wide Root', { pathLength: 3 });
      const wide = await createAuthority('Wide Issuing CA', { issuer: wideRoot, pathLength: 1 });
      const deeper = await createAuthority('Deeper CA', { issuer: wide });
      expect((await verifySmartcardCertificate(trustOf(wideRoot.pem + wide.pem + deeper.pem, [], false), derOf(await issueCertificate(deeper, 'DEEP2')), new Date())).ok).toBe(true);
    });

    it('refuses a bundle of CAs that issue each other (cross-certificates in a loop), which path building would follow for ever', async () => {
      const first = await createAuthority('Cross Root One');
      const second = await createAuthority('Cross Root Two');
      const firstBySecond = await createAuthority('Cross Root One', { issuer: second, keys: first.keys });
      const secondByFirst = await createAuthority('Cross Root Two', { issuer: first, keys: second.keys });
      expect(() => parseTrustBundle(first.pem + second.pem + firstBySecond.pem + secondByFirst.pem)).toThrow('is part of a loop of CAs issuing each other');
    });

    it('refuses a bundle with an intermediate but not the root that issued it, or with no root at all', async () => {
      const otherRoot = await createAuthority('Unrelated Root');
      expect(() => parseTrustBundle(intermediate.pem)).toThrow('contains no root CA');
      expect(() => parseTrustBundle(otherRoot.pem + intermediate.pem)).toThrow('certificate 2 (CN=HKSCC Test Issuing CA, O=Test Smartcard Issuer, C=HK) is not self-signed and no CA in the file issued it');
    });
  });

  describe('key usage for TLS client authentication (RFC 5280 §4.2.1.3, §4.2.1.12)', () => {
    const { digitalSignature, keyEncipherment, keyCertSign, keyAgreement, nonRepudiation } = x509.KeyUsageFlags;

    it.each([
      ['digitalSignature', digitalSignature],
      ['digitalSignature and keyEncipherment', digitalSignature | keyEncipherment],
      ['digitalSignature and nonRepudiation', digitalSignature | nonRepudiation],
    ])('accepts keyUsage %s', async (_name, keyUsage) => {
      const card = await issueCertificate(ca, 'TRADER1', { keyUsage });
      expect((await verifySmartcardCertificate(trust, derOf(card), new Date())).ok).toBe(true);
    });

    it.each([
      ['keyCertSign only', keyCertSign],
      ['keyEncipherment only', keyEncipherment],
      ['keyAgreement only', keyAgreement],
      ['nonRepudiation only', nonRepudiation],
    ])('refuses keyUsage %s: the card could not sign a TLS handshake', async (_name, keyUsage) => {
      const card = await issueCertificate(ca, 'TRADER1', { keyUsage });
      expect(await verifySmartcardCertificate(trust, derOf(card), new Date())).toEqual({ ok: false, reason: 'key_usage_not_for_signing' });
    });

    it.each([
      ['clientAuth', [x509.ExtendedKeyUsage.clientAuth], true],
      ['clientAuth among others', [x509.ExtendedKeyUsage.emailProtection, x509.ExtendedKeyUsage.clientAuth], true],
      ['anyExtendedKeyUsage', ['2.5.29.37.0'], true],
      ['no extendedKeyUsage at all', null, true],
      ['serverAuth only', [x509.ExtendedKeyUsage.serverAuth], false],
      ['emailProtection only', [x509.ExtendedKeyUsage.emailProtection], false],
      ['codeSigning only', [x509.ExtendedKeyUsage.codeSigning], false],
    ] as const)('extendedKeyUsage: %s', async (_name, usages, accepted) => {
      const card = await issueCertificate(ca, 'TRADER1', { usages: usages === null ? null : [...usages] });
      const verdict = await verifySmartcardCertificate(trust, derOf(card), new Date());
      expect(verdict.ok ? 'accepted' : verdict.reason).toBe(accepted ? 'accepted' : 'not_for_client_auth');
    });

    it('refuses a certificate that is a CA, and one with a critical extension it does not understand', async () => {
      expect(await verifySmartcardCertificate(trust, derOf(await issueCertificate(ca, 'TRADER1', { ca: true })), new Date())).toEqual({ ok: false, reason: 'not_for_client_auth' });
      const strange = new x509.Extension('1.3.6.1.4.1.99999.1', true, new Uint8Array([0x05, 0x00]));
      expect(await verifySmartcardCertificate(trust, derOf(await issueCertificate(ca, 'TRADER1', { extensions: [strange] })), new Date())).toEqual({
        ok: false,
        reason: 'unsupported_critical_extension',
      });
    });
  });

  it('refuses a CRL that its CA did not sign, a CRL of a CA not allowed to sign CRLs, and a CA bundle with a non-CA certificate', async () => {
    const cas = parseTrustBundle(ca.pem).roots;
    // Same issuer name as the real CA, another key: the signature gives it away.
    const impostor = await createAuthority('Smartcard CA');
    await expect(parseRevocationList(Buffer.from(await createCrl(impostor, [])), cas)).rejects.toThrow('is not signed by any CA in smartcard.caFile');
    await expect(parseRevocationList(Buffer.from(await createCrl(otherCa, [])), cas)).rejects.toThrow('is not signed by any CA in smartcard.caFile');
    await expect(parseRevocationList(Buffer.from('garbage'), cas)).rejects.toThrow('is not a CRL');
    const twoLists = (await createCrl(ca, [])) + (await createCrl(ca, []));
    await expect(parseRevocationList(Buffer.from(twoLists), cas)).rejects.toThrow('holds more than one CRL');
    const noCrlSign = await createAuthority('Cert-only CA', { keyUsage: x509.KeyUsageFlags.keyCertSign });
    await expect(parseRevocationList(Buffer.from(await createCrl(noCrlSign, [])), parseTrustBundle(noCrlSign.pem).roots)).rejects.toThrow('does not allow signing CRLs');
    const delta = await createCrl(ca, [], { extensions: [new x509.Extension('2.5.29.27', true, new Uint8Array([0x02, 0x01, 0x01]))] });
    await expect(parseRevocationList(Buffer.from(delta), cas)).rejects.toThrow('a delta or partial CRL?');
    const leaf = await issueCertificate(ca, 'TRADER1');
    expect(() => parseTrustBundle(leaf.pem)).toThrow('is not a CA certificate');
    expect(() => parseTrustBundle('nothing here')).toThrow('contains no PEM certificate');
  });

  it('reads a certificate file as exactly one PEM or DER certificate, and nothing else', async () => {
    const card = await issueCertificate(ca, 'TRADER1');
    const other = await issueCertificate(ca, 'TRADER2');
    expect(certificateDer(card.pem)?.equals(derOf(card))).toBe(true);
    expect(certificateDer(`\n${card.pem}\n\n`)?.equals(derOf(card))).toBe(true);
    expect(certificateDer(derOf(card))?.equals(derOf(card))).toBe(true);
    expect(certificateDer('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----')).toBeUndefined();
    expect(certificateDer(card.pem + other.pem)).toBeUndefined();
    expect(certificateDer(`note: ${card.pem}`)).toBeUndefined();
    expect(certificateDer(Buffer.concat([derOf(card), derOf(other)]))).toBeUndefined();
  });

  it('compares serials whatever their leading zeros or case', () => {
    expect(normaliseSerial('00ab:CD')).toBe('ABCD');
    expect(normaliseSerial('0000')).toBe('0');
  });
});
