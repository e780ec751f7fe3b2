/**
 * Smartcard certificates: whether a client certificate may log anyone in. Pure over plain
 * data (the trusted CAs, their CRLs, the instant), so every refusal is unit tested with
 * certificates made in the test.
 *
 * A certificate is accepted when it is (RFC 5280 §6, with every certificate in the
 * configured bundle as a trust anchor):
 * - issued and signed by a configured CA that is itself a CA and within its validity period;
 * - within its own validity period, not a CA, and (if it says) meant for client authentication;
 * - not revoked on its CA's CRL, and that CRL is current (`requireCrl` refuses when there is none).
 * Which user it logs in is a separate question: the bindings, by SHA-256 fingerprint.
 */
import { createHash, verify as verifySignature, X509Certificate } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { Certificate, CertificateList } from '@peculiar/asn1-x509';

export interface RevocationList {
  /** The CA that signed this list (its signature was checked when it was loaded). */
  authority: X509Certificate;
  thisUpdate: Date;
  nextUpdate: Date | null;
  /** Serial numbers as upper-case hex without leading zeros. */
  revokedSerials: ReadonlySet<string>;
}

export interface SmartcardTrust {
  authorities: readonly X509Certificate[];
  crls: readonly RevocationList[];
  requireCrl: boolean;
}

export interface AcceptedCertificate {
  /** SHA-256 of the DER certificate, lower-case hex: what bindings are keyed by. */
  fingerprint: string;
  subject: string;
  issuer: string;
  serial: string;
  notAfter: Date;
}

export type CertificateRefusal =
  | 'malformed'
  | 'untrusted_issuer'
  | 'expired'
  | 'not_yet_valid'
  | 'issuer_expired'
  | 'not_for_client_auth'
  | 'revoked'
  | 'revocation_unknown';

export type CertificateVerdict = { ok: true; certificate: AcceptedCertificate } | { ok: false; reason: CertificateRefusal };

const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
const ANY_EXTENDED_KEY_USAGE = '2.5.29.37.0';

export function certificateFingerprint(der: Uint8Array): string {
  return createHash('sha256').update(der).digest('hex');
}

/** Upper-case hex without leading zeros, so serials from certificates and CRLs compare equal. */
export function normaliseSerial(hex: string): string {
  return hex.replace(/[^0-9a-f]/gi, '').toUpperCase().replace(/^0+(?=.)/, '');
}

function within(certificate: X509Certificate, instant: Date): 'ok' | 'expired' | 'not_yet_valid' {
  if (instant.getTime() < new Date(certificate.validFrom).getTime()) return 'not_yet_valid';
  if (instant.getTime() > new Date(certificate.validTo).getTime()) return 'expired';
  return 'ok';
}

function issuedBy(certificate: X509Certificate, authority: X509Certificate): boolean {
  try {
    return certificate.checkIssued(authority) && certificate.verify(authority.publicKey);
  } catch {
    return false;
  }
}

export function verifySmartcardCertificate(trust: SmartcardTrust, der: Uint8Array, instant: Date): CertificateVerdict {
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(der);
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  const authority = trust.authorities.find((candidate) => candidate.ca && issuedBy(certificate, candidate));
  if (!authority) return { ok: false, reason: 'untrusted_issuer' };
  if (within(authority, instant) !== 'ok') return { ok: false, reason: 'issuer_expired' };
  const validity = within(certificate, instant);
  if (validity !== 'ok') return { ok: false, reason: validity };
  // A CA certificate is not a smartcard; an explicit key purpose must include client auth.
  const purposes = certificate.keyUsage;
  if (certificate.ca || (purposes && !purposes.includes(CLIENT_AUTH) && !purposes.includes(ANY_EXTENDED_KEY_USAGE))) {
    return { ok: false, reason: 'not_for_client_auth' };
  }

  const serial = normaliseSerial(certificate.serialNumber);
  const crl = trust.crls.find((list) => list.authority.fingerprint256 === authority.fingerprint256);
  const current = crl && crl.thisUpdate.getTime() <= instant.getTime() && (!crl.nextUpdate || crl.nextUpdate.getTime() > instant.getTime());
  if (crl?.revokedSerials.has(serial)) return { ok: false, reason: 'revoked' };
  // A stale list may miss a card revoked since: fail closed, as RFC 5280 §6.3.3 allows.
  if (trust.requireCrl && !current) return { ok: false, reason: 'revocation_unknown' };

  return {
    ok: true,
    certificate: {
      fingerprint: certificateFingerprint(der),
      subject: certificate.subject,
      issuer: certificate.issuer,
      serial,
      notAfter: new Date(certificate.validTo),
    },
  };
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;

/** The DER blocks of one PEM label ("CERTIFICATE", "X509 CRL") in a PEM text. */
export function pemBlocks(text: string, label: string): Buffer[] {
  return [...text.matchAll(PEM_BLOCK)].filter((match) => match[1] === label).map((match) => Buffer.from((match[2] ?? '').replace(/\s+/g, ''), 'base64'));
}

/** A PEM or DER certificate → its DER bytes; undefined when it is neither. */
export function certificateDer(input: Uint8Array | string): Buffer | undefined {
  const text = typeof input === 'string' ? input : Buffer.from(input).toString('latin1');
  const [pem] = pemBlocks(text, 'CERTIFICATE');
  const der = pem ?? (typeof input === 'string' ? undefined : Buffer.from(input));
  if (!der) return undefined;
  try {
    new X509Certificate(der);
    return der;
  } catch {
    return undefined;
  }
}

/** The CA certificates of a PEM bundle; throws naming what is wrong. */
export function parseAuthorities(pem: string): X509Certificate[] {
  const blocks = pemBlocks(pem, 'CERTIFICATE');
  if (blocks.length === 0) throw new Error('contains no PEM certificate');
  return blocks.map((der, index) => {
    let certificate: X509Certificate;
    try {
      certificate = new X509Certificate(der);
    } catch {
      throw new Error(`certificate ${index + 1} cannot be parsed`);
    }
    if (!certificate.ca) throw new Error(`certificate ${index + 1} (${certificate.subject.replace(/\n/g, ', ')}) is not a CA certificate`);
    return certificate;
  });
}

const SIGNATURE_HASHES: Record<string, string> = {
  '1.2.840.113549.1.1.5': 'sha1',
  '1.2.840.113549.1.1.11': 'sha256',
  '1.2.840.113549.1.1.12': 'sha384',
  '1.2.840.113549.1.1.13': 'sha512',
  '1.2.840.10045.4.3.2': 'sha256',
  '1.2.840.10045.4.3.3': 'sha384',
  '1.2.840.10045.4.3.4': 'sha512',
};

/** The bytes of the first element of a DER SEQUENCE: what a signature covers (tbsCertList). */
function firstElement(der: Uint8Array): Uint8Array {
  const headerLength = (bytes: Uint8Array, at: number): [number, number] => {
    const first = bytes[at + 1] ?? 0;
    if (first < 0x80) return [2, first];
    const count = first & 0x7f;
    let length = 0;
    for (let index = 0; index < count; index += 1) length = length * 256 + (bytes[at + 2 + index] ?? 0);
    return [2 + count, length];
  };
  const [outerHeader] = headerLength(der, 0);
  const [innerHeader, innerLength] = headerLength(der, outerHeader);
  return der.subarray(outerHeader, outerHeader + innerHeader + innerLength);
}

/**
 * A CRL (PEM or DER), checked against the CAs it may come from: its issuer must be one of
 * them and its signature must verify with that CA's key. Throws naming what is wrong.
 */
export function parseRevocationList(input: Uint8Array, authorities: readonly X509Certificate[]): RevocationList {
  const text = Buffer.from(input).toString('latin1');
  // RFC 7468 §5 names it "X509 CRL"; some tools write "CRL".
  const [pem] = [...pemBlocks(text, 'X509 CRL'), ...pemBlocks(text, 'CRL')];
  const der = pem ?? Buffer.from(input);
  let list: CertificateList;
  try {
    list = AsnConvert.parse(der, CertificateList);
  } catch {
    throw new Error('is not a CRL (PEM "X509 CRL" or DER)');
  }
  const issuer = Buffer.from(AsnConvert.serialize(list.tbsCertList.issuer));
  const hash = SIGNATURE_HASHES[list.signatureAlgorithm.algorithm];
  if (!hash) throw new Error(`is signed with an unsupported algorithm (${list.signatureAlgorithm.algorithm})`);
  const signed = firstElement(der);
  const signature = Buffer.from(list.signature);
  const authority = authorities.find((candidate) => {
    const subject = Buffer.from(AsnConvert.serialize(AsnConvert.parse(candidate.raw, Certificate).tbsCertificate.subject));
    return subject.equals(issuer) && verifySignature(hash, signed, candidate.publicKey, signature);
  });
  if (!authority) throw new Error('is not signed by any CA in smartcard.caFile');
  const { thisUpdate, nextUpdate, revokedCertificates = [] } = list.tbsCertList;
  return {
    authority,
    thisUpdate: thisUpdate.getTime(),
    nextUpdate: nextUpdate ? nextUpdate.getTime() : null,
    revokedSerials: new Set(revokedCertificates.map((entry) => normaliseSerial(Buffer.from(entry.userCertificate).toString('hex')))),
  };
}
