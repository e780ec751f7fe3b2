/**
 * Smartcard mode 1: an HTTPS listener that asks browsers for a client certificate. The
 * handshake does not reject a missing or unknown certificate (`rejectUnauthorized: false`):
 * the smartcard step checks it against the CA bundle and CRLs, and a user without a card
 * still gets a page that says what to do instead of a browser's TLS error.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';

export interface SmartcardListenerSettings {
  certFile: string;
  keyFile: string;
}

export function createSmartcardListener(settings: SmartcardListenerSettings, handler: (req: IncomingMessage, res: ServerResponse) => void): Server {
  const server = createServer(
    {
      cert: readFileSync(settings.certFile),
      key: readFileSync(settings.keyFile),
      requestCert: true,
      rejectUnauthorized: false,
      minVersion: 'TLSv1.2',
    },
    handler,
  );
  server.keepAliveTimeout = 65_000;
  return server;
}

/** Where the "Log in with smartcard" form posts: the configured URL, else the TLS listener's port on the issuer's host, else the issuer. */
export function smartcardLoginOrigin(config: { issuer: string; smartcard: { loginUrl?: string | undefined; tls?: { port: number } | undefined } }): string {
  const issuer = new URL(config.issuer);
  const tlsOrigin = config.smartcard.tls && `https://${issuer.hostname}:${config.smartcard.tls.port}`;
  return new URL(config.smartcard.loginUrl ?? tlsOrigin ?? issuer.origin).origin;
}
