/**
 * Smartcard certificates: whether a client certificate may log anyone in. Pure over plain
 * data (the trust bundle, its CRLs, the instant), so every refusal is unit tested with
 * certificates made in the test.
 *
 * The path is built and validated by PKI.js (RFC 5280 §6: signatures, validity of every
 * certificate, the CA flag and key usage of the CAs, name constraints, policies, and
 * revocation of every certificate on the path from the current CRL of its issuer); path
 * lengths, the CAs' critical extensions and revocations on lists that are no longer current
 * are checked here, as PKI.js leaves them to its caller. Only self-signed
 * CAs of `smartcard.caFile` are trust anchors; the other CAs in it are intermediates, trusted
 * only through a path to a root — so a root's CRL that revokes an intermediate is obeyed.
 * On top, the card itself must be fit for TLS client authentication (RFC 5280 §4.2.1.3 and
 * §4.2.1.12, RFC 8446 §4.4.3): not a CA, keyUsage (when present) with digitalSignature,
 * extendedKeyUsage (when present) with clientAuth, and no critical extension we do not know.
 * Which user it logs in is a separate question: the bindings, by SHA-256 fingerprint.
 */
import { createHash, X509Certificate } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { decodeCertificateFile, exactlyOneDerCertificate } from './certificate-encoding.js';

/** A CA certificate of the trust bundle, parsed once for both Node and PKI.js. */
export interface CaCertificate {
  certificate: X509Certificate;
  parsed: pkijs.Certificate;
}

export interface RevocationList {
  /** The CA that signed this list (its signature was checked when it was loaded). */
  authority: X509Certificate;
  thisUpdate: Date;
  nextUpdate: Date | null;
  /** Serial numbers as upper-case hex without leading zeros. */
  revokedSerials: ReadonlySet<string>;
  parsed: pkijs.CertificateRevocationList;
}

export interface SmartcardTrust {
  /** Self-signed CAs: where every path must end (the trust anchors). */
  roots: readonly CaCertificate[];
  /** CAs that are not self-signed: path material, trusted only through a root. */
  intermediates: readonly CaCertificate[];
  crls: readonly RevocationList[];
  /** Every certificate on the path needs a current CRL of its issuer (fail closed). */
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
  | 'issuer_revoked'
  | 'not_for_client_auth'
  | 'key_usage_not_for_signing'
  | 'unsupported_critical_extension'
  | 'revoked'
  | 'revocation_unknown';

export type CertificateVerdict = { ok: true; certificate: AcceptedCertificate } | { ok: false; reason: CertificateRefusal };

const OID = {
  keyUsage: '2.5.29.15',
  extendedKeyUsage: '2.5.29.37',
  basicConstraints: '2.5.29.19',
  clientAuth: '1.3.6.1.5.5.7.3.2',
  anyExtendedKeyUsage: '2.5.29.37.0',
} as const;

/** Extensions a card may mark critical: the ones this module or PKI.js acts on. */
const UNDERSTOOD_CRITICAL = new Set([
  OID.keyUsage,
  OID.extendedKeyUsage,
  OID.basicConstraints,
  '2.5.29.17', // subjectAltName
  '2.5.29.32', // certificatePolicies (PKI.js processes policies)
  '2.5.29.14', // subjectKeyIdentifier
  '2.5.29.35', // authorityKeyIdentifier
]);

// RFC 5280 §4.2.1.3: KeyUsage ::= BIT STRING { digitalSignature (0), …, keyCertSign (5), cRLSign (6) }.
const DIGITAL_SIGNATURE = 0x80;
const CRL_SIGN = 0x02;

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

function extension(parsed: pkijs.Certificate, oid: string): pkijs.Extension | undefined {
  return parsed.extensions?.find((candidate) => candidate.extnID === oid);
}

/** The first byte of the keyUsage bits, or undefined when the extension is absent. */
function keyUsageBits(parsed: pkijs.Certificate): number | undefined {
  const found = extension(parsed, OID.keyUsage);
  if (!found) return undefined;
  const bits = found.parsedValue instanceof asn1js.BitString ? found.parsedValue.valueBlock.valueHexView : new Uint8Array();
  return bits[0] ?? 0;
}

/** Why the card itself (not its path) is unfit for TLS client authentication, or undefined. */
function clientAuthProblem(certificate: X509Certificate, parsed: pkijs.Certificate): CertificateRefusal | undefined {
  // A CA certificate is not a smartcard, whatever else it says.
  if (certificate.ca) return 'not_for_client_auth';
  for (const candidate of parsed.extensions ?? []) {
    if (candidate.critical && !UNDERSTOOD_CRITICAL.has(candidate.extnID)) return 'unsupported_critical_extension';
  }
  const usage = keyUsageBits(parsed);
  // The client proves the key in TLS by signing the handshake (CertificateVerify).
  if (usage !== undefined && (usage & DIGITAL_SIGNATURE) === 0) return 'key_usage_not_for_signing';
  const purposes = extension(parsed, OID.extendedKeyUsage)?.parsedValue as pkijs.ExtKeyUsage | undefined;
  if (purposes && !purposes.keyPurposes.includes(OID.clientAuth) && !purposes.keyPurposes.includes(OID.anyExtendedKeyUsage)) return 'not_for_client_auth';
  return undefined;
}

/** Extensions a CA on the path may mark critical (RFC 5280 §4.2: the ones path validation processes). */
const UNDERSTOOD_CRITICAL_ON_CA = new Set([
  OID.keyUsage,
  OID.basicConstraints,
  OID.extendedKeyUsage,
  '2.5.29.14', // subjectKeyIdentifier
  '2.5.29.35', // authorityKeyIdentifier
  '2.5.29.17', // subjectAltName
  '2.5.29.30', // nameConstraints
  '2.5.29.32', // certificatePolicies
  '2.5.29.33', // policyMappings
  '2.5.29.36', // policyConstraints
  '2.5.29.54', // inhibitAnyPolicy
]);

/**
 * Whether CA `ca`, with `below` CAs between it and the card, may not issue on this path: a
 * pathLenConstraint smaller than `below`, or a critical extension this server does not process.
 */
function caProblem(ca: pkijs.Certificate, below: number): boolean {
  if ((ca.extensions ?? []).some((candidate) => candidate.critical && !UNDERSTOOD_CRITICAL_ON_CA.has(candidate.extnID))) return true;
  const constraints = extension(ca, OID.basicConstraints)?.parsedValue as pkijs.BasicConstraints | undefined;
  const limit = constraints?.pathLenConstraint;
  const value = typeof limit === 'number' ? limit : limit instanceof asn1js.Integer ? limit.valueBlock.valueDec : undefined;
  return value !== undefined && below > value;
}

/** The lists current at `instant`: a list whose nextUpdate has passed may miss a revocation since. */
function currentLists(trust: SmartcardTrust, instant: Date): RevocationList[] {
  const at = instant.getTime();
  return trust.crls.filter((list) => list.thisUpdate.getTime() <= at && (!list.nextUpdate || list.nextUpdate.getTime() > at));
}

function revokedBy(lists: readonly RevocationList[], certificate: X509Certificate): boolean {
  const serial = normaliseSerial(certificate.serialNumber);
  return lists.some((list) => list.revokedSerials.has(serial) && safeIssued(certificate, list.authority));
}

function safeIssued(certificate: X509Certificate, authority: X509Certificate): boolean {
  try {
    return certificate.checkIssued(authority) && certificate.verify(authority.publicKey);
  } catch {
    return false;
  }
}

/** PKI.js's refusal as one of ours, telling the card's own problems from its path's. */
function pathRefusal(resultCode: number, certificate: X509Certificate, lists: readonly RevocationList[], instant: Date): CertificateRefusal {
  const validity = within(certificate, instant);
  if (validity !== 'ok') return validity;
  if (revokedBy(lists, certificate)) return 'revoked';
  switch (resultCode) {
    case 8: // a certificate on the path is not yet valid or has expired: not the card, so a CA
      return 'issuer_expired';
    case 12: // a certificate on the path is revoked: not the card, so a CA
      return 'issuer_revoked';
    case 11: // no current CRL of some issuer on the path
      return 'revocation_unknown';
    default:
      return 'untrusted_issuer';
  }
}

/**
 * Whether `der` may log anyone in at `instant`. `offeredChain` (certificates the client sent
 * along, RFC 9440 Client-Cert-Chain) may help build the path; it is never trusted by itself —
 * the path must still end at a configured root, with every link checked as any other.
 */
export async function verifySmartcardCertificate(trust: SmartcardTrust, der: Uint8Array, instant: Date, offeredChain: readonly Uint8Array[] = []): Promise<CertificateVerdict> {
  const exact = exactlyOneDerCertificate(der);
  if (!exact) return { ok: false, reason: 'malformed' };
  const certificate = new X509Certificate(exact);
  let parsed: pkijs.Certificate;
  try {
    parsed = pkijs.Certificate.fromBER(exact);
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  const unfit = clientAuthProblem(certificate, parsed);
  if (unfit) return { ok: false, reason: unfit };
  const offered: pkijs.Certificate[] = [];
  for (const item of offeredChain) {
    const exactItem = exactlyOneDerCertificate(item);
    if (!exactItem) return { ok: false, reason: 'malformed' };
    offered.push(pkijs.Certificate.fromBER(exactItem));
  }

  const lists = currentLists(trust, instant);
  const engine = new pkijs.CertificateChainValidationEngine({
    trustedCerts: trust.roots.map((root) => root.parsed),
    // The card last: PKI.js builds the path from the last certificate given.
    certs: [...trust.intermediates.map((intermediate) => intermediate.parsed), ...offered, parsed],
    crls: lists.map((list) => list.parsed),
    checkDate: instant,
  });
  const result = await engine.verify({ passedWhenNotRevValues: !trust.requireCrl });
  // A revocation on any list that was loaded counts, current or not: an old list is no reason
  // to forget what it revoked (only whether it can vouch for the rest is a question of age).
  if (!result.result) return { ok: false, reason: pathRefusal(result.resultCode, certificate, trust.crls, instant) };
  const pathEntries = result.certificatePath ?? [];
  const path = pathEntries.map((entry) => new X509Certificate(Buffer.from(entry.toSchema().toBER())));
  if (path.length < 2) return { ok: false, reason: 'untrusted_issuer' };
  for (let index = 1; index + 1 < path.length; index += 1) {
    if (revokedBy(trust.crls, path[index] as X509Certificate)) return { ok: false, reason: 'issuer_revoked' };
  }
  if (revokedBy(trust.crls, certificate)) return { ok: false, reason: 'revoked' };
  // What PKI.js leaves to its caller (RFC 5280 §6.1.4): path lengths, and critical extensions of the CAs.
  if (pathEntries.slice(1).some((ca, index) => caProblem(ca, index))) return { ok: false, reason: 'untrusted_issuer' };

  // PKI.js checks revocation only when some list is loaded at all; a required CRL must exist
  // and be current for every issuer on the path (RFC 5280 §6.3.3 lets us fail closed).
  if (trust.requireCrl) {
    for (let index = 0; index + 1 < path.length; index += 1) {
      const issuer = path[index + 1] as X509Certificate;
      if (!lists.some((list) => list.authority.fingerprint256 === issuer.fingerprint256)) return { ok: false, reason: 'revocation_unknown' };
    }
  }

  return {
    ok: true,
    certificate: {
      fingerprint: certificateFingerprint(exact),
      subject: certificate.subject,
      issuer: certificate.issuer,
      serial: normaliseSerial(certificate.serialNumber),
      notAfter: new Date(certificate.validTo),
    },
  };
}

/** A PEM or DER file holding exactly one certificate → its DER bytes; undefined otherwise. */
export function certificateDer(input: Uint8Array | string): Buffer | undefined {
  return decodeCertificateFile(input);
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;

/** The DER blocks of one PEM label ("CERTIFICATE", "X509 CRL") in a PEM bundle file. */
export function pemBlocks(text: string, label: string): Buffer[] {
  return [...text.matchAll(PEM_BLOCK)].filter((match) => match[1] === label).map((match) => Buffer.from((match[2] ?? '').replace(/\s+/g, ''), 'base64'));
}

function caCertificate(der: Buffer, index: number): CaCertificate {
  let certificate: X509Certificate;
  let parsed: pkijs.Certificate;
  try {
    certificate = new X509Certificate(der);
    parsed = pkijs.Certificate.fromBER(der);
  } catch {
    throw new Error(`certificate ${index + 1} cannot be parsed`);
  }
  if (!certificate.ca) throw new Error(`certificate ${index + 1} (${certificate.subject.replace(/\n/g, ', ')}) is not a CA certificate`);
  return { certificate, parsed };
}

const isSelfSigned = ({ certificate }: CaCertificate) => safeIssued(certificate, certificate);

/**
 * The CA certificates of a PEM bundle, split into roots (self-signed: the trust anchors) and
 * intermediates (each issued by another CA of the bundle). Throws naming what is wrong.
 */
export function parseTrustBundle(pem: string): { roots: CaCertificate[]; intermediates: CaCertificate[] } {
  const blocks = pemBlocks(pem, 'CERTIFICATE');
  if (blocks.length === 0) throw new Error('contains no PEM certificate');
  const all = blocks.map(caCertificate);
  const roots = all.filter(isSelfSigned);
  if (roots.length === 0) throw new Error('contains no root CA (a self-signed CA certificate): every path must end at one');
  const intermediates = all.filter((entry) => !isSelfSigned(entry));
  const issuersOf = new Map(intermediates.map((entry) => [entry, all.filter((issuer) => issuer !== entry && safeIssued(entry.certificate, issuer.certificate))]));
  const name = (entry: CaCertificate) => `certificate ${all.indexOf(entry) + 1} (${entry.certificate.subject.replace(/\n/g, ', ')})`;
  for (const [entry, issuers] of issuersOf) {
    if (issuers.length === 0) throw new Error(`${name(entry)} is not self-signed and no CA in the file issued it`);
  }
  // Cross-certified CAs that issue each other make a loop PKI.js would follow for ever: refused here.
  const visit = (entry: CaCertificate, trail: readonly CaCertificate[]): void => {
    if (trail.includes(entry)) throw new Error(`${name(entry)} is part of a loop of CAs issuing each other (cross-certificates): keep one path to each root`);
    for (const issuer of issuersOf.get(entry) ?? []) visit(issuer, [...trail, entry]);
  };
  for (const entry of intermediates) visit(entry, []);
  return { roots, intermediates };
}

/**
 * A CRL (PEM or DER), checked against the CAs it may come from: its issuer must be one of
 * them, allowed to sign CRLs, and its signature must verify with that CA's key. Throws
 * naming what is wrong.
 */
export async function parseRevocationList(input: Uint8Array, authorities: readonly CaCertificate[]): Promise<RevocationList> {
  const text = Buffer.from(input).toString('latin1');
  // RFC 7468 §5 names it "X509 CRL"; some tools write "CRL".
  const blocks = [...pemBlocks(text, 'X509 CRL'), ...pemBlocks(text, 'CRL')];
  if (blocks.length > 1) throw new Error('holds more than one CRL: give each CRL a file of its own');
  const der = blocks[0] ?? Buffer.from(input);
  let list: pkijs.CertificateRevocationList;
  try {
    list = pkijs.CertificateRevocationList.fromBER(der);
  } catch {
    throw new Error('is not a CRL (PEM "X509 CRL" or DER)');
  }
  let authority: CaCertificate | undefined;
  for (const candidate of authorities) {
    if (!candidate.parsed.subject.isEqual(list.issuer)) continue;
    if (await list.verify({ issuerCertificate: candidate.parsed }).catch(() => false)) {
      authority = candidate;
      break;
    }
  }
  if (!authority) throw new Error('is not signed by any CA in smartcard.caFile');
  // A delta CRL or one covering part of a CA's certificates (critical extensions) is no complete list.
  const critical = (list.crlExtensions?.extensions ?? []).filter((candidate) => candidate.critical && !['2.5.29.20', '2.5.29.35'].includes(candidate.extnID));
  if (critical.length) throw new Error(`holds a critical extension this server does not process (${critical.map((candidate) => candidate.extnID).join(', ')}: a delta or partial CRL?); give the CA's complete CRL`);
  const usage = keyUsageBits(authority.parsed);
  if (usage !== undefined && (usage & CRL_SIGN) === 0) throw new Error(`is signed by ${authority.certificate.subject.replace(/\n/g, ', ')}, whose keyUsage does not allow signing CRLs (cRLSign)`);
  return {
    authority: authority.certificate,
    thisUpdate: list.thisUpdate.value,
    nextUpdate: list.nextUpdate ? list.nextUpdate.value : null,
    revokedSerials: new Set((list.revokedCertificates ?? []).map((entry) => normaliseSerial(Buffer.from(entry.userCertificate.valueBlock.valueHexView).toString('hex')))),
    parsed: list,
  };
}
