/**
 * Where a smartcard certificate comes from, in the two deployment modes:
 * 1. this server terminates TLS and the browser presented a certificate in the handshake;
 * 2. a TLS-terminating reverse proxy forwards it in a header (nginx `$ssl_client_escaped_cert`:
 *    the PEM, URL-escaped). The header is believed only when the TCP peer is one of the
 *    configured proxies: from anyone else it is a forgery, whatever it contains.
 */
import type { IncomingMessage } from 'node:http';
import { TLSSocket } from 'node:tls';
import { addressMatcher } from '../http/address-ranges.js';
import { certificateDer } from '../factors/smartcard.js';

export interface CertificateSourceSettings {
  /** Mode 1 is on: certificates from our own TLS listener count. */
  tls: boolean;
  proxy?: { header: string; trustedAddresses: readonly string[] } | undefined;
}

export type PresentedCertificate =
  | { kind: 'certificate'; source: 'tls' | 'proxy'; der: Buffer }
  | { kind: 'none' }
  /** The certificate header arrived from an address that is not a trusted proxy. */
  | { kind: 'untrusted-header' }
  | { kind: 'malformed-header' };

const DEFAULT_HEADER = 'x-ssl-client-cert';

export function certificateSource(settings: CertificateSourceSettings): (req: IncomingMessage) => PresentedCertificate {
  const header = (settings.proxy?.header ?? DEFAULT_HEADER).toLowerCase();
  const trusted = settings.proxy ? addressMatcher(settings.proxy.trustedAddresses) : () => false;

  return (req) => {
    const forwarded = req.headers[header];
    const value = Array.isArray(forwarded) ? forwarded.join('') : forwarded;
    // The TCP peer, never X-Forwarded-For: that header is as easy to forge as this one.
    const fromProxy = trusted(req.socket.remoteAddress);
    if (value !== undefined && !fromProxy) return { kind: 'untrusted-header' };

    const socket = req.socket;
    if (settings.tls && socket instanceof TLSSocket && !fromProxy) {
      const peer = socket.getPeerX509Certificate();
      return peer ? { kind: 'certificate', source: 'tls', der: Buffer.from(peer.raw) } : { kind: 'none' };
    }
    // nginx sends an empty value (or "-" in some setups) when the browser presented none.
    if (!fromProxy || !value || value === '-' || value === '(null)') return { kind: 'none' };
    let pem: string;
    try {
      pem = decodeURIComponent(value);
    } catch {
      return { kind: 'malformed-header' };
    }
    const der = certificateDer(pem);
    return der ? { kind: 'certificate', source: 'proxy', der } : { kind: 'malformed-header' };
  };
}
