/**
 * Where a smartcard certificate comes from, in the two deployment modes:
 * 1. this server terminates TLS and the browser presented a certificate in the handshake;
 * 2. a TLS-terminating reverse proxy forwards it in a header (nginx `$ssl_client_escaped_cert`:
 *    the PEM, URL-escaped). The header is believed only when the TCP peer is one of the
 *    configured proxies: from anyone else it is a forgery, whatever it contains.
 *
 * Fail closed: from a proxy, the header must appear exactly once and carry exactly one
 * certificate in the one configured encoding. A repeated header is what a proxy that appends
 * instead of replacing leaves behind — the client's own copy beside the real one — so it is
 * refused whole rather than read in part; so is anything around or after the certificate.
 */
import type { IncomingMessage } from 'node:http';
import { TLSSocket } from 'node:tls';
import { addressMatcher } from '../kernel/address-ranges.js';
import { decodeCertificateChain, decodeForwardedCertificate, type ForwardedCertificateEncoding } from '../factors/certificate-encoding.js';

export interface CertificateSourceSettings {
  /** Mode 1 is on: certificates from our own TLS listener count. */
  tls: boolean;
  proxy?: { header?: string | undefined; trustedAddresses: readonly string[]; encoding?: ForwardedCertificateEncoding | undefined } | undefined;
}

export type PresentedCertificate =
  /** `chain`: what the client sent to build its path with (RFC 9440 Client-Cert-Chain); never trusted as such. */
  | { kind: 'certificate'; source: 'tls' | 'proxy'; der: Buffer; chain?: Buffer[] }
  | { kind: 'none' }
  /** The certificate header arrived from an address that is not a trusted proxy. */
  | { kind: 'untrusted-header' }
  /** The header appeared more than once. */
  | { kind: 'repeated-header' }
  | { kind: 'malformed-header' };

/** The header of each encoding unless configured: nginx's custom one, or RFC 9440's standard one. */
const DEFAULT_HEADERS: Record<ForwardedCertificateEncoding, string> = { 'url-escaped-pem': 'x-ssl-client-cert', 'base64-der': 'x-ssl-client-cert', rfc9440: 'client-cert' };
const CHAIN_HEADER = 'client-cert-chain';

/** Every value of header `name` as sent, one per occurrence (Node joins repeated ones with ", "). */
function occurrences(req: IncomingMessage, name: string): string[] {
  const values: string[] = [];
  for (let index = 0; index + 1 < req.rawHeaders.length; index += 2) {
    if ((req.rawHeaders[index] as string).toLowerCase() === name) values.push(req.rawHeaders[index + 1] as string);
  }
  return values;
}

export function certificateSource(settings: CertificateSourceSettings): (req: IncomingMessage) => PresentedCertificate {
  const encoding = settings.proxy?.encoding ?? 'url-escaped-pem';
  const header = (settings.proxy?.header ?? DEFAULT_HEADERS[encoding]).toLowerCase();
  const trusted = settings.proxy ? addressMatcher(settings.proxy.trustedAddresses) : () => false;

  return (req) => {
    const values = occurrences(req, header);
    // The TCP peer, never X-Forwarded-For: that header is as easy to forge as this one.
    const fromProxy = trusted(req.socket.remoteAddress);
    if (values.length > 0 && !fromProxy) return { kind: 'untrusted-header' };

    const socket = req.socket;
    if (settings.tls && socket instanceof TLSSocket && !fromProxy) {
      const peer = socket.getPeerX509Certificate();
      return peer ? { kind: 'certificate', source: 'tls', der: Buffer.from(peer.raw) } : { kind: 'none' };
    }
    if (!fromProxy || values.length === 0) return { kind: 'none' };
    if (values.length > 1) return { kind: 'repeated-header' };
    const [value] = values as [string];
    // No certificate at the proxy: nginx leaves the header out (an empty value is not sent);
    // other proxies may send it empty.
    if (value === '') return { kind: 'none' };
    const der = decodeForwardedCertificate(value, encoding);
    if (!der) return { kind: 'malformed-header' };
    if (encoding !== 'rfc9440') return { kind: 'certificate', source: 'proxy', der };
    // RFC 9440 §2.3: the chain is optional; present, it is held to the same rules as the certificate.
    const chains = occurrences(req, CHAIN_HEADER);
    if (chains.length > 1) return { kind: 'repeated-header' };
    if (chains.length === 0 || chains[0] === '') return { kind: 'certificate', source: 'proxy', der };
    const chain = decodeCertificateChain(chains[0] as string);
    return chain ? { kind: 'certificate', source: 'proxy', der, chain } : { kind: 'malformed-header' };
  };
}
