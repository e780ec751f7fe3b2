/**
 * The strict certificate decoders: exactly one certificate, in exactly one encoding, with
 * nothing around it. Node's own parser is lenient on both counts (checked here too, so the
 * reason for these decoders stays visible).
 */
import 'reflect-metadata';
import { X509Certificate } from 'node:crypto';
import fc from 'fast-check';
import { decodeCertificateFile, decodeForwardedCertificate, decodePemCertificate, exactlyOneDerCertificate } from '../../../src/factors/certificate-encoding.js';
import { createAuthority, derOf, issueCertificate, nginxEscaped, type IssuedCertificate } from '../../support/pki.js';

describe('certificate encodings', () => {
  let card: IssuedCertificate;
  let other: IssuedCertificate;
  beforeAll(async () => {
    const ca = await createAuthority('Encoding CA');
    // As nginx forwards them: each PEM ends with one line end.
    const asNginxWrites = (issued: IssuedCertificate) => ({ ...issued, pem: `${issued.pem.trimEnd()}\n` });
    card = asNginxWrites(await issueCertificate(ca, 'TRADER1'));
    other = asNginxWrites(await issueCertificate(ca, 'TRADER2'));
  });

  it('is needed: Node\'s parser reads the first of two PEM certificates and ignores bytes after a DER one', () => {
    expect(() => new X509Certificate(card.pem + other.pem)).not.toThrow();
    expect(() => new X509Certificate(Buffer.concat([derOf(card), Buffer.from('junk')]))).not.toThrow();
  });

  it('decodes a certificate in each accepted form to its DER', () => {
    const der = derOf(card);
    expect(exactlyOneDerCertificate(der)?.equals(der)).toBe(true);
    expect(decodePemCertificate(card.pem)?.equals(der)).toBe(true);
    expect(decodePemCertificate(card.pem.replace(/\n/g, '\r\n'))?.equals(der)).toBe(true);
    expect(decodeForwardedCertificate(nginxEscaped(card.pem), 'url-escaped-pem')?.equals(der)).toBe(true);
    expect(decodeForwardedCertificate(der.toString('base64'), 'base64-der')?.equals(der)).toBe(true);
    // AWS ALB leaves +, = and / unescaped.
    expect(decodeForwardedCertificate(nginxEscaped(card.pem).replace(/%2B/g, '+').replace(/%2F/g, '/').replace(/%3D/g, '='), 'url-escaped-pem')?.equals(der)).toBe(true);
  });

  it.each([
    ['two certificates', () => nginxEscaped(card.pem + other.pem)],
    ['two certificates joined as Node joins repeated headers', () => `${nginxEscaped(other.pem)}, ${nginxEscaped(card.pem)}`],
    ['text before the certificate', () => nginxEscaped(`junk${card.pem}`)],
    ['text after the certificate', () => nginxEscaped(`${card.pem}junk`)],
    ['a line before the certificate', () => nginxEscaped(`junk\n${card.pem}`)],
    ['two line ends after the certificate', () => nginxEscaped(`${card.pem}\n`)],
    ['an unescaped PEM', () => card.pem],
    ['the other encoding (base64 DER)', () => derOf(card).toString('base64')],
    ['a broken escape', () => '%E0%A4%A'],
    ['an escaped NUL inside', () => nginxEscaped(card.pem.replace('\n', '\n\u0000'))],
    ['a private key label', () => nginxEscaped(card.pem.replace(/CERTIFICATE/g, 'PRIVATE KEY'))],
    ['base64 lines of another length', () => nginxEscaped(card.pem.replace(/\n/g, '').replace('-----BEGIN CERTIFICATE-----', '-----BEGIN CERTIFICATE-----\n').replace('-----END', '\n-----END') + '\n')],
    ['bytes after the DER inside the PEM', () => nginxEscaped(`-----BEGIN CERTIFICATE-----\n${Buffer.concat([derOf(card), Buffer.from([0])]).toString('base64').replace(/.{64}/g, '$&\n')}\n-----END CERTIFICATE-----\n`)],
  ])('refuses %s in url-escaped-pem', (_what, value) => {
    expect(decodeForwardedCertificate(value(), 'url-escaped-pem')).toBeUndefined();
  });

  it.each([
    ['two certificates', () => Buffer.concat([derOf(card), derOf(other)]).toString('base64')],
    ['bytes after the certificate', () => Buffer.concat([derOf(card), Buffer.from('x')]).toString('base64')],
    ['a PEM', () => nginxEscaped(card.pem)],
    ['base64 with line breaks', () => derOf(card).toString('base64').replace(/.{64}/g, '$&\n')],
    ['base64url', () => derOf(card).toString('base64url')],
    ['whitespace around it', () => ` ${derOf(card).toString('base64')} `],
    ['a padding character too many', () => `${derOf(card).toString('base64')}=`],
  ])('refuses %s in base64-der', (_what, value) => {
    expect(decodeForwardedCertificate(value(), 'base64-der')).toBeUndefined();
  });

  it('refuses every change to a forwarded value but the identity (property)', () => {
    const original = nginxEscaped(card.pem);
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), fc.string({ maxLength: 40 }), (before, after) => {
        const value = `${before}${original}${after}`;
        const decoded = decodeForwardedCertificate(value, 'url-escaped-pem');
        // Only what decodes to the very same PEM may pass (an escaped final line end is the one allowed extra).
        if (decoded) expect(decodeURIComponent(value).replace(/\n$/, '')).toBe(card.pem.replace(/\n$/, ''));
      }),
    );
  });

  it('reads an operator file as one certificate, PEM or DER', () => {
    expect(decodeCertificateFile(`\n\n${card.pem}\n`)?.equals(derOf(card))).toBe(true);
    expect(decodeCertificateFile(Buffer.from(card.pem))?.equals(derOf(card))).toBe(true);
    expect(decodeCertificateFile(derOf(card))?.equals(derOf(card))).toBe(true);
    expect(decodeCertificateFile(card.pem + other.pem)).toBeUndefined();
    expect(decodeCertificateFile(Buffer.concat([derOf(card), derOf(other)]))).toBeUndefined();
  });
});
