/**
 * Everything a smartcard test needs: a smartcard CA with its CRL, another CA, a TLS server
 * certificate for 127.0.0.1, and cards in each state the server must tell apart.
 */
import { X509Certificate } from 'node:crypto';
import type { Server } from '../../src/app/server.js';
import { certificateFingerprint } from '../../src/factors/smartcard.js';
import { Browser, formAction, inputValue, type Page } from './browser.js';
import { createAuthority, createCrl, derOf, issueCertificate, KeyUsageFlags, writeFiles, type Authority, type IssuedCertificate } from './pki.js';
import type { Database } from '../../src/store/database.js';
import { startTestServer, type RunningTestServer, type SeededUser } from './server.js';

const DAY = 86_400_000;

export interface SmartcardFixture {
  ca: Authority;
  tlsCa: Authority;
  cards: {
    valid: IssuedCertificate;
    second: IssuedCertificate;
    revoked: IssuedCertificate;
    expired: IssuedCertificate;
    foreign: IssuedCertificate;
    unbound: IssuedCertificate;
    /** keyUsage keyCertSign only: it cannot sign a TLS handshake, so it is no smartcard. */
    notForSigning: IssuedCertificate;
  };
  files: { dir: string; caFile: string; crlFile: string; serverCert: string; serverKey: string };
}

export async function createSmartcardFixture(): Promise<SmartcardFixture> {
  const ca = await createAuthority('HKSCC Test Smartcard CA');
  const otherCa = await createAuthority('Someone Else CA');
  const tlsCa = await createAuthority('Test TLS CA');
  const server = await issueCertificate(tlsCa, '127.0.0.1', { server: { ip: ['127.0.0.1'], dns: ['localhost'] } });
  const cards = {
    valid: await issueCertificate(ca, 'TRADER1'),
    second: await issueCertificate(ca, 'SECOND1'),
    revoked: await issueCertificate(ca, 'LOST1'),
    expired: await issueCertificate(ca, 'OLD1', { from: new Date(Date.now() - 400 * DAY), to: new Date(Date.now() - DAY) }),
    foreign: await issueCertificate(otherCa, 'TRADER1'),
    unbound: await issueCertificate(ca, 'NOBODY1'),
    notForSigning: await issueCertificate(ca, 'NOSIGN1', { keyUsage: KeyUsageFlags.keyCertSign }),
  };
  const files = writeFiles({
    'smartcard-ca.pem': ca.pem,
    'smartcard.crl': await createCrl(ca, [cards.revoked]),
    'server.pem': server.pem,
    'server-key.pem': server.keyPem,
  });
  return {
    ca,
    tlsCa,
    cards,
    files: { dir: files.dir, caFile: files['smartcard-ca.pem'], crlFile: files['smartcard.crl'], serverCert: files['server.pem'], serverKey: files['server-key.pem'] },
  };
}

/**
 * Binds a card as it was when it was still good (a revoked or expired card was bound once),
 * straight in the table: the CLI refuses such cards today, rightly.
 */
export async function bindDirectly(server: Server, user: SeededUser, card: IssuedCertificate): Promise<void> {
  const parsed = new X509Certificate(card.pem);
  await server.queries.smartcardBindings.bind({
    user_id: user.subject,
    fingerprint_sha256: certificateFingerprint(derOf(card)),
    issuer: parsed.issuer,
    serial: parsed.serialNumber,
    subject: parsed.subject,
    not_after: new Date(parsed.validTo),
    created_by: 'test',
    created_at: new Date(),
  });
}

/** A browser holding a smartcard: it presents the card's certificate in every TLS handshake. */
export function smartcardBrowser(fixture: SmartcardFixture, card?: IssuedCertificate): Browser {
  return new Browser({ ca: fixture.tlsCa.pem, ...(card ? { clientCertificate: { cert: card.pem, key: card.keyPem } } : {}) });
}

/**
 * After "Log in with smartcard", a user without a security key is offered to register one
 * (the smartcard bridge): "Not now" completes the smartcard login. A response that is not
 * that offer is returned as it is.
 */
export async function declineKeyOffer(browser: Browser, afterLogin: Page): Promise<Page> {
  const location = afterLogin.headers.get('location');
  if (afterLogin.status !== 303 || !location || !/\/interaction\/[^/]+$/.test(new URL(location, afterLogin.url).pathname)) return afterLogin;
  const offer = await browser.request(new URL(location, afterLogin.url).toString());
  if (!offer.body.includes('/skip-key')) return afterLogin;
  return browser.request(new URL(formAction(offer.body, 'skip-key'), offer.url).toString(), { form: { csrf: inputValue(offer.body, 'csrf') } });
}

/**
 * A test server whose own TLS listener takes the fixture's cards (smartcard mode 1), reading the
 * phase on every request (`phases.refreshSeconds: 0`) so a test's phase change applies at once.
 */
export function startSmartcardTestServer(fixture: SmartcardFixture, database: { db: Database; url: string }, overrides: Record<string, unknown> = {}): Promise<RunningTestServer> {
  const tls = { certFile: fixture.files.serverCert, keyFile: fixture.files.serverKey };
  return startTestServer(database.db, database.url, { smartcard: { caFile: fixture.files.caFile, crlFiles: [fixture.files.crlFile], tls }, phases: { refreshSeconds: 0 }, ...overrides }, { tls });
}
