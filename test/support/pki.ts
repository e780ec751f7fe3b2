/**
 * A small PKI made in the test: CAs, smartcard certificates and CRLs, with @peculiar/x509
 * over WebCrypto. Nothing is read from disk that the test did not write.
 */
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';

export const { KeyUsageFlags } = x509;

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

type CryptoKeyPair = webcrypto.CryptoKeyPair;

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY = 86_400_000;
let serialCounter = 0x1000;

export interface Authority {
  name: string;
  certificate: x509.X509Certificate;
  keys: CryptoKeyPair;
  pem: string;
  serial: string;
}

export interface IssuedCertificate {
  certificate: x509.X509Certificate;
  keys: CryptoKeyPair;
  pem: string;
  keyPem: string;
  serial: string;
}

async function keyPair(): Promise<CryptoKeyPair> {
  return webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']) as Promise<CryptoKeyPair>;
}

async function privateKeyPem(keys: CryptoKeyPair): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  return `-----BEGIN PRIVATE KEY-----\n${der.toString('base64').replace(/.{64}/g, '$&\n')}\n-----END PRIVATE KEY-----\n`;
}

function nextSerial(): string {
  serialCounter += 1;
  return serialCounter.toString(16).toUpperCase();
}

export interface AuthorityOptions {
  from?: Date;
  to?: Date;
  /** An intermediate: issued (and signed) by this CA instead of self-signed. */
  issuer?: Authority;
  /** keyUsage of the CA; default keyCertSign | cRLSign. */
  keyUsage?: number;
  /** The CA's key pair (a cross-certificate: another CA's name and key, signed by `issuer`). */
  keys?: CryptoKeyPair;
  /** basicConstraints pathLenConstraint; default 1 for a root, 0 for an intermediate. */
  pathLength?: number;
}

export async function createAuthority(name: string, options: AuthorityOptions = {}): Promise<Authority> {
  const keys = options.keys ?? (await keyPair());
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(true, options.pathLength ?? (options.issuer ? 0 : 1), true),
    new x509.KeyUsagesExtension(options.keyUsage ?? x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
    await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
  ];
  const subject = `CN=${name}, O=Test Smartcard Issuer, C=HK`;
  const notBefore = options.from ?? new Date(Date.now() - DAY);
  const notAfter = options.to ?? new Date(Date.now() + 3650 * DAY);
  const certificate = options.issuer
    ? await x509.X509CertificateGenerator.create({
        serialNumber: nextSerial(),
        subject,
        issuer: options.issuer.certificate.subject,
        notBefore,
        notAfter,
        publicKey: keys.publicKey,
        signingKey: options.issuer.keys.privateKey,
        signingAlgorithm: ALGORITHM,
        extensions: [...extensions, await x509.AuthorityKeyIdentifierExtension.create(options.issuer.certificate, false)],
      })
    : await x509.X509CertificateGenerator.createSelfSigned({ serialNumber: nextSerial(), name: subject, notBefore, notAfter, keys, signingAlgorithm: ALGORITHM, extensions });
  return { name, certificate, keys, pem: certificate.toString('pem'), serial: certificate.serialNumber };
}

export interface IssueOptions {
  from?: Date;
  to?: Date;
  /** Extended key usages; default client authentication; `null` leaves the extension out. */
  usages?: string[] | null;
  /** keyUsage bits (x509.KeyUsageFlags); default: no keyUsage extension. */
  keyUsage?: number;
  /** basicConstraints cA=true: a CA certificate presented as a card. */
  ca?: boolean;
  /** Extra extensions, e.g. a critical one nobody understands. */
  extensions?: x509.Extension[];
  /** A server certificate for the TLS listener (with these DNS names / IPs). */
  server?: { dns?: string[]; ip?: string[] };
}

export async function issueCertificate(authority: Authority, commonName: string, options: IssueOptions = {}): Promise<IssuedCertificate> {
  const keys = await keyPair();
  const serial = nextSerial();
  const usages = options.usages === undefined ? (options.server ? [x509.ExtendedKeyUsage.serverAuth] : [x509.ExtendedKeyUsage.clientAuth]) : options.usages;
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(options.ca ?? false, undefined, true),
    ...(usages ? [new x509.ExtendedKeyUsageExtension(usages, false)] : []),
    ...(options.keyUsage !== undefined ? [new x509.KeyUsagesExtension(options.keyUsage, true)] : []),
    await x509.AuthorityKeyIdentifierExtension.create(authority.certificate, false),
    ...(options.extensions ?? []),
  ];
  if (options.server) {
    extensions.push(
      new x509.SubjectAlternativeNameExtension([
        ...(options.server.dns ?? []).map((value) => ({ type: 'dns' as const, value })),
        ...(options.server.ip ?? []).map((value) => ({ type: 'ip' as const, value })),
      ]),
    );
  }
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: serial,
    subject: `CN=${commonName}, O=Test Participant, C=HK`,
    issuer: authority.certificate.subject,
    notBefore: options.from ?? new Date(Date.now() - DAY),
    notAfter: options.to ?? new Date(Date.now() + 365 * DAY),
    publicKey: keys.publicKey,
    signingKey: authority.keys.privateKey,
    signingAlgorithm: ALGORITHM,
    extensions,
  });
  return { certificate, keys, pem: certificate.toString('pem'), keyPem: await privateKeyPem(keys), serial };
}

/** A CRL of `authority` listing `revoked` (cards or CAs it issued); current from a day ago until `nextUpdate` (default in 7 days). */
export async function createCrl(authority: Authority, revoked: Array<{ serial: string }>, validity: { thisUpdate?: Date; nextUpdate?: Date; extensions?: x509.Extension[] } = {}): Promise<string> {
  const crl = await x509.X509CrlGenerator.create({
    issuer: authority.certificate.subject,
    thisUpdate: validity.thisUpdate ?? new Date(Date.now() - DAY),
    nextUpdate: validity.nextUpdate ?? new Date(Date.now() + 7 * DAY),
    // With a reason, as CAs write them: an entry without one gets an empty extensions SEQUENCE
    // from this generator, which is not DER (SIZE 1..MAX) and which PKI.js rightly refuses.
    entries: revoked.map((card) => ({ serialNumber: card.serial, revocationDate: new Date(Date.now() - 3600_000), reason: x509.X509CrlReason.keyCompromise })),
    signingKey: authority.keys.privateKey,
    signingAlgorithm: ALGORITHM,
    ...(validity.extensions ? { extensions: validity.extensions } : {}),
  });
  // The RFC 7468 label, as openssl writes it (the library writes "CRL").
  return crl.toString('pem').replace(/-----(BEGIN|END) CRL-----/g, '-----$1 X509 CRL-----');
}

export function derOf(issued: { certificate: x509.X509Certificate }): Buffer {
  return Buffer.from(issued.certificate.rawData);
}

/** Writes files into a fresh temporary directory; returns their paths by name. */
export function writeFiles<T extends Record<string, string>>(files: T): { [K in keyof T]: string } & { dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'ccass-pki-'));
  const paths = { dir } as { [K in keyof T]: string } & { dir: string };
  for (const [name, content] of Object.entries(files)) {
    const path = join(dir, name);
    writeFileSync(path, content);
    (paths as Record<string, string>)[name] = path;
  }
  return paths;
}

/** nginx's `$ssl_client_escaped_cert`: the PEM, URL-escaped. */
export function nginxEscaped(pem: string): string {
  return encodeURIComponent(pem);
}
