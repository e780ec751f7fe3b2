/**
 * Certificates as bytes arrive: strict decoders that accept exactly one X.509 certificate in
 * exactly one encoding, and nothing around it. Node's X509Certificate is lenient (it reads the
 * first PEM block of a text with several, and ignores bytes after a DER certificate); a
 * lenient parser in front of an authentication decision lets an attacker who can add to a
 * value (a proxy that appends a header instead of replacing it) choose what is read. So every
 * byte must be accounted for: anything else is `undefined`, and the caller refuses it.
 */
import { X509Certificate } from 'node:crypto';

/** How a TLS-terminating proxy writes the certificate into its header. */
export const FORWARDED_CERTIFICATE_ENCODINGS = ['url-escaped-pem', 'base64-der', 'rfc9440'] as const;
export type ForwardedCertificateEncoding = (typeof FORWARDED_CERTIFICATE_ENCODINGS)[number];

const BEGIN = '-----BEGIN CERTIFICATE-----';
const END = '-----END CERTIFICATE-----';
const BASE64_LINE = /^[A-Za-z0-9+/]+={0,2}$/;

/** The length of a DER TLV starting at `at`, or undefined when its header is not DER (definite, minimal). */
function derLength(bytes: Uint8Array, at: number): number | undefined {
  const first = bytes[at + 1];
  if (first === undefined) return undefined;
  if (first < 0x80) return 2 + first;
  const count = first & 0x7f;
  // 0x80 is BER's indefinite length; more than 4 length bytes is no certificate we take.
  if (count === 0 || count > 4 || bytes[at + 2] === 0) return undefined;
  let length = 0;
  for (let index = 0; index < count; index += 1) {
    const byte = bytes[at + 2 + index];
    if (byte === undefined) return undefined;
    length = length * 256 + byte;
  }
  if (length < 0x80) return undefined; // DER: short lengths use the short form
  return 2 + count + length;
}

/** `bytes` when they are exactly one DER certificate (one SEQUENCE, nothing after it). */
export function exactlyOneDerCertificate(bytes: Uint8Array): Buffer | undefined {
  if (bytes[0] !== 0x30 || derLength(bytes, 0) !== bytes.length) return undefined;
  const der = Buffer.from(bytes);
  try {
    new X509Certificate(der);
  } catch {
    return undefined;
  }
  return der;
}

/** Canonical base64 only: the decoded bytes encode back to the same text (no stray or padding tricks). */
function strictBase64(text: string): Buffer | undefined {
  if (text.length === 0 || text.length % 4 !== 0 || !BASE64_LINE.test(text)) return undefined;
  const bytes = Buffer.from(text, 'base64');
  return bytes.toString('base64') === text ? bytes : undefined;
}

/**
 * One PEM certificate (RFC 7468 §2 strict form: the label lines, base64 lines of at most 64
 * characters, LF or CRLF line ends, at most one line end after the footer) → its DER.
 */
export function decodePemCertificate(text: string): Buffer | undefined {
  const lines = text.split(/\r?\n/);
  if (lines.at(-1) === '') lines.pop();
  if (lines.length < 3 || lines[0] !== BEGIN || lines.at(-1) !== END) return undefined;
  const body = lines.slice(1, -1);
  if (body.some((line) => line.length === 0 || line.length > 64 || !BASE64_LINE.test(line))) return undefined;
  // Only the last line may be short or carry padding.
  if (body.slice(0, -1).some((line) => line.length !== 64)) return undefined;
  const der = strictBase64(body.join(''));
  return der && exactlyOneDerCertificate(der);
}

/**
 * The certificate a proxy forwarded, in the one encoding configured for it:
 * - `url-escaped-pem`: nginx `$ssl_client_escaped_cert` (and AWS ALB): the PEM, percent-encoded;
 * - `base64-der`: the DER in base64, no PEM lines (HAProxy `%[ssl_c_der,base64]`);
 * - `rfc9440`: RFC 9440's `Client-Cert`, a structured-field byte sequence (`:base64 DER:`).
 */
export function decodeForwardedCertificate(value: string, encoding: ForwardedCertificateEncoding): Buffer | undefined {
  if (encoding === 'rfc9440') return decodeByteSequence(value);
  if (encoding === 'base64-der') {
    const der = strictBase64(value);
    return der && exactlyOneDerCertificate(der);
  }
  // Escaped means escaped: a raw PEM (spaces, line ends) or a stray '%' is not this encoding.
  if (!/^[A-Za-z0-9%._~+/=-]+$/.test(value)) return undefined;
  let pem: string;
  try {
    pem = decodeURIComponent(value);
  } catch {
    return undefined;
  }
  return decodePemCertificate(pem);
}

/** One RFC 8941 byte sequence (`:base64:`, no parameters) holding exactly one DER certificate. */
function decodeByteSequence(item: string): Buffer | undefined {
  const match = /^:([A-Za-z0-9+/]+={0,2}):$/.exec(item);
  const der = match && strictBase64(match[1] as string);
  return der ? exactlyOneDerCertificate(der) : undefined;
}

/**
 * RFC 9440 `Client-Cert-Chain`: a structured-field list of byte sequences, each exactly one
 * certificate (the chain the client sent, nearest issuer first). Undefined when any item is not.
 */
export function decodeCertificateChain(value: string): Buffer[] | undefined {
  const items = value.split(',').map((item) => item.trim());
  const decoded = items.map(decodeByteSequence);
  return items.length > 0 && decoded.every((item): item is Buffer => item !== undefined) ? decoded : undefined;
}

/** A certificate file an operator gives the CLI: exactly one certificate, PEM (surrounding blank lines allowed) or DER. */
export function decodeCertificateFile(input: Uint8Array | string): Buffer | undefined {
  if (typeof input !== 'string') {
    const der = exactlyOneDerCertificate(input);
    if (der) return der;
  }
  const text = typeof input === 'string' ? input : Buffer.from(input).toString('latin1');
  return decodePemCertificate(text.trim() + '\n');
}
