/**
 * Smartcard login over real TLS, in both deployment modes, in each phase: certificates
 * made in the test (valid, expired, another CA, revoked on the CRL, unbound, bound to a
 * disabled user), a browser that presents them in the handshake, and a "proxy" that
 * forwards them in nginx's header from the one trusted address.
 */
import { createHash } from 'node:crypto';
import { decodeJwt } from 'jose';
import { operatorActor } from '../../src/kernel/actor.js';
import { setUserEnabled } from '../../src/directory/users.js';
import { ACR } from '../../src/oidc/assurance.js';
import { clearPhasePin, pinPhase } from '../../src/policy/phase-control.js';
import type { Phase } from '../../src/policy/phases.js';
import { Browser, formAction, inputValue, type Page } from '../support/browser.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { exchangeCode, followToCallback, startAuthorization, type AuthorizationStart } from '../support/flows.js';
import { writeFile } from 'node:fs/promises';
import { createAuthority, createCrl, issueCertificate, nginxEscaped, writeFiles, type Authority, type IssuedCertificate } from '../support/pki.js';
import request from 'supertest';
import { seedUser, startTestServer, TERMINAL, type RunningTestServer, type SeededUser, useTestServer } from '../support/server.js';
import { bindDirectly, createSmartcardFixture, declineKeyOffer, smartcardBrowser, startSmartcardTestServer, type SmartcardFixture } from '../support/smartcard.js';

const PROXY_ADDRESS = '127.0.0.2';

async function pin(running: RunningTestServer, phase: Phase): Promise<void> {
  await pinPhase({ queries: running.server.queries, clock: running.clock, plan: running.config.phases }, { phase }, operatorActor('test'));
}

async function unpin(running: RunningTestServer): Promise<void> {
  await clearPhasePin({ queries: running.server.queries, clock: running.clock, plan: running.config.phases }, operatorActor('test')).catch(() => undefined);
}

/** Posts the login page's "Log in with smartcard" form (the offer of a security key that may follow is left open). */
async function pressSmartcardButtonOnly(start: AuthorizationStart, headers: Record<string, string | string[]> = {}): Promise<Page> {
  const action = formAction(start.loginPage.body, 'smartcard-login');
  return start.browser.request(new URL(action, start.interactionUrl).toString(), { form: { csrf: inputValue(start.loginPage.body, 'csrf') }, headers });
}

/** "Log in with smartcard", and "Not now" to the offer of a security key (the smartcard bridge). */
async function pressSmartcardButton(start: AuthorizationStart, headers: Record<string, string | string[]> = {}): Promise<Page> {
  return declineKeyOffer(start.browser, await pressSmartcardButtonOnly(start, headers));
}

/** The same post, for a page that has no button (the phase or the client does not offer it). */
async function postSmartcard(start: AuthorizationStart, headers: Record<string, string> = {}): Promise<Page> {
  return start.browser.request(`${start.interactionUrl}/smartcard`, { form: { csrf: inputValue(start.loginPage.body, 'csrf') }, headers });
}

async function lastSmartcardAudit(database: TestDatabase) {
  return database.db('audit_events').whereIn('type', ['login', 'login.smartcard']).orderBy('id', 'desc').first();
}

function fingerprintOf(card: IssuedCertificate): string {
  return createHash('sha256').update(Buffer.from(card.certificate.rawData)).digest('hex');
}

describe('smartcard login', () => {
  let fixture: SmartcardFixture;
  beforeAll(async () => {
    fixture = await createSmartcardFixture();
  });

  describe('when this server terminates TLS (mode 1)', () => {
    let database: TestDatabase;
    let running: RunningTestServer;
    let trader: SeededUser;

    beforeAll(async () => {
      database = await createTestDatabase();
      running = await startSmartcardTestServer(fixture, database);
      trader = await seedUser(running.server, running.config, { participantId: 'B01234', userId: 'TRADER1', email: 'trader1@example.com' }, running.clock);
      await bindDirectly(running.server, trader, fixture.cards.valid);
      const second = await seedUser(running.server, running.config, { participantId: 'B01234', userId: 'SECOND1' }, running.clock);
      await bindDirectly(running.server, second, fixture.cards.second);
      await setUserEnabled(running.server.queries, second, false, { name: 'test' });
      const lost = await seedUser(running.server, running.config, { participantId: 'B01234', userId: 'LOST1' }, running.clock);
      await bindDirectly(running.server, lost, fixture.cards.revoked);
      const old = await seedUser(running.server, running.config, { participantId: 'B01234', userId: 'OLD1' }, running.clock);
      await bindDirectly(running.server, old, fixture.cards.expired);
      const noSign = await seedUser(running.server, running.config, { participantId: 'B01234', userId: 'NOSIGN1' }, running.clock);
      await bindDirectly(running.server, noSign, fixture.cards.notForSigning);
    });
    afterEach(() => unpin(running));
    afterAll(async () => {
      await running.close();
      await database.drop();
    });

    it('logs a bound user in with their card in the parallel run: amr sc + hwk, the smartcard acr, audited', async () => {
      const start = await startAuthorization(running.issuer, {}, smartcardBrowser(fixture, fixture.cards.valid));
      expect(start.loginPage.body).toContain('Log in with smartcard');
      expect(start.loginPage.body).toContain('name="password"');
      const afterLogin = await pressSmartcardButton(start);
      expect(afterLogin.status).toBe(303);
      const tokens = await exchangeCodeOverTls(running, start, await followToCallback(start, afterLogin));
      expect(decodeJwt(tokens.id_token)).toMatchObject({ sub: trader.subject, acr: ACR.smartcard, amr: ['sc', 'hwk'], user_id: 'TRADER1' });

      const audit = await lastSmartcardAudit(database);
      expect(audit).toMatchObject({ type: 'login', outcome: 'success', user_id: 'TRADER1', participant_id: 'B01234' });
      expect(audit.details).toMatchObject({ method: 'smartcard', phase: 'parallel-run', acr: ACR.smartcard, securityKey: 'not_now' });
      // The card itself is in the record of its check, which offered a security key (the user had none).
      const check = await database.db('audit_events').where({ type: 'login.smartcard', outcome: 'success', user_id: 'TRADER1' }).orderBy('id', 'desc').first();
      expect(check.details).toMatchObject({ offered: 'security_key', certificate: { fingerprint: fingerprintOf(fixture.cards.valid), source: 'tls' } });
    });

    it.each([
      ['expired', 'expired', /has expired/],
      ['foreign', 'untrusted_issuer', /could not be accepted/],
      ['revoked', 'revoked', /has been revoked/],
      ['unbound', 'unbound', /not registered to a CCASS user/],
      ['second', 'disabled', /disabled/],
      ['notForSigning', 'key_usage_not_for_signing', /could not be accepted/],
    ] as const)('refuses the %s card (%s) with a page that says what to do, and logs no one in', async (card, reason, message) => {
      const start = await startAuthorization(running.issuer, {}, smartcardBrowser(fixture, fixture.cards[card]));
      const page = await pressSmartcardButton(start);
      expect(page.status).toBe(403);
      expect(page.body).toMatch(message);
      expect(page.headers.get('location')).toBeNull();
      const audit = await lastSmartcardAudit(database);
      expect(audit).toMatchObject({ type: 'login.smartcard', outcome: 'failure' });
      expect(audit.details).toMatchObject({ method: 'smartcard', reason, phase: 'parallel-run' });
    });

    it('asks a browser without a card to insert it', async () => {
      const start = await startAuthorization(running.issuer, {}, smartcardBrowser(fixture));
      const page = await pressSmartcardButton(start);
      expect(page.status).toBe(400);
      expect(page.body).toContain('did not present a smartcard certificate');
      expect((await lastSmartcardAudit(database)).details).toMatchObject({ reason: 'no_certificate' });
    });

    it('refuses a certificate header sent straight to it: no proxy is trusted here', async () => {
      const start = await startAuthorization(running.issuer, {}, smartcardBrowser(fixture));
      const page = await pressSmartcardButton(start, { 'X-SSL-Client-Cert': nginxEscaped(fixture.cards.valid.pem) });
      expect(page.status).toBe(400);
      expect((await lastSmartcardAudit(database)).details).toMatchObject({ reason: 'untrusted_certificate_header' });
    });

    it('never offers or accepts a smartcard for a client that asks for the 2FA level', async () => {
      const start = await startAuthorization(running.issuer, { acr_values: ACR.twoFactor }, smartcardBrowser(fixture, fixture.cards.valid));
      expect(start.loginPage.body).not.toContain('Log in with smartcard');
      const page = await postSmartcard(start);
      expect(page.status).toBe(403);
      expect(page.body).toContain('needs two-factor authentication');
      expect((await lastSmartcardAudit(database)).details).toMatchObject({ reason: 'smartcard_not_for_client', phase: 'parallel-run' });
    });

    it.each<[Phase, boolean, boolean]>([
      ['smartcard-only', true, false],
      ['email-registration', true, false],
      ['parallel-run', true, true],
      ['2fa-only', false, true],
    ])('in %s: smartcard offered %s, password form shown %s', async (phase, smartcard, password) => {
      await pin(running, phase);
      const start = await startAuthorization(running.issuer, {}, smartcardBrowser(fixture, fixture.cards.valid));
      expect(start.loginPage.body.includes('Log in with smartcard')).toBe(smartcard);
      expect(start.loginPage.body.includes('name="password"')).toBe(password);
      const page = await postSmartcard(start);
      expect(page.status).toBe(smartcard ? 303 : 403);
    });

    it('after the cut-off refuses the card with a message that says what to do instead, and audits who tried', async () => {
      await pin(running, '2fa-only');
      const start = await startAuthorization(running.issuer, {}, smartcardBrowser(fixture, fixture.cards.valid));
      expect(start.loginPage.body).toContain('Smartcard login has ended');
      const page = await postSmartcard(start);
      expect(page.status).toBe(403);
      expect(page.body).toContain('Log in with your participant ID, user ID, password and one-time code');
      const audit = await lastSmartcardAudit(database);
      expect(audit).toMatchObject({ type: 'login.smartcard', outcome: 'failure', user_id: 'TRADER1' });
      expect(audit.details).toMatchObject({ reason: 'smartcard_ended', phase: '2fa-only' });
    });

    it('sends a session opened by smartcard back to login after the cut-off, and refuses its refresh token', async () => {
      const browser = smartcardBrowser(fixture, fixture.cards.valid);
      const first = await startAuthorization(running.issuer, {}, browser);
      const tokens = await exchangeCodeOverTls(running, first, await followToCallback(first, await pressSmartcardButton(first)));
      expect(tokens.refresh_token).toBeDefined();

      // Still the parallel run: the session is reused without a login page.
      const again = await startAuthorization(running.issuer, {}, browser);
      expect(again.loginPage.url.startsWith('http://127.0.0.1:9999/callback')).toBe(true);

      await pin(running, '2fa-only');
      const afterCutOff = await startAuthorization(running.issuer, {}, browser);
      expect(afterCutOff.loginPage.body).toContain('name="password"');
      expect(afterCutOff.loginPage.body).not.toContain('Log in with smartcard');
      const silent = await startAuthorization(running.issuer, { prompt: 'none' }, browser);
      expect(new URL(silent.loginPage.url).searchParams.get('error')).toBe('login_required');

      const refreshed = await tlsPost(running, '/token', { grant_type: 'refresh_token', refresh_token: tokens.refresh_token as string });
      expect(refreshed.status).toBe(400);
      expect(JSON.parse(refreshed.body)).toMatchObject({ error: 'invalid_grant' });
    });
  });

  describe('behind a TLS-terminating reverse proxy (mode 2)', () => {
    let database: TestDatabase;
    let running: RunningTestServer;
    let trader: SeededUser;

    // A function: the fixture's files exist only once the outer beforeAll has run.
    useTestServer((started) => ({ database, running } = started), () => ({
      smartcard: { caFile: fixture.files.caFile, crlFiles: [fixture.files.crlFile], proxy: { trustedAddresses: [`${PROXY_ADDRESS}/32`] } },
      phases: { refreshSeconds: 0 },
    }));
    beforeAll(async () => {
      trader = await seedUser(running.server, running.config, { participantId: 'B01234', userId: 'TRADER1' }, running.clock);
      await bindDirectly(running.server, trader, fixture.cards.valid);
    });
    afterEach(() => unpin(running));

    /** The browser's requests as the proxy forwards them: from the proxy's address, with the card in nginx's header. */
    function behindProxy(): Browser {
      return new Browser({ localAddress: PROXY_ADDRESS });
    }

    it('logs the user in with the certificate the proxy forwards', async () => {
      const start = await startAuthorization(running.issuer, {}, behindProxy());
      const afterLogin = await pressSmartcardButton(start, { 'X-SSL-Client-Cert': nginxEscaped(fixture.cards.valid.pem) });
      expect(afterLogin.status).toBe(303);
      const tokens = await exchangeCode(running.http, start, await followToCallback(start, afterLogin));
      expect(decodeJwt(tokens.id_token)).toMatchObject({ sub: trader.subject, acr: ACR.smartcard, amr: ['sc', 'hwk'] });
      const check = await database.db('audit_events').where({ type: 'login.smartcard', outcome: 'success' }).orderBy('id', 'desc').first();
      expect(check.details).toMatchObject({ certificate: { source: 'proxy' } });
    });

    it('names a smartcard login the smartcard acr even when phr was asked: never reused for a 2FA request or DMS, and ended at the cut-off', async () => {
      const da = await seedUser(running.server, running.config, { participantId: 'B01234', userId: 'CARDDA1' }, running.clock);
      await bindDirectly(running.server, da, fixture.cards.second);
      await running.server.queries.users.setRole(da.subject, 'da');
      const browser = behindProxy();
      const card = { 'X-SSL-Client-Cert': nginxEscaped(fixture.cards.second.pem) };
      const start = await startAuthorization(running.issuer, { acr_values: 'phr' }, browser);
      const tokens = await exchangeCode(running.http, start, await followToCallback(start, await pressSmartcardButton(start, card)));
      expect(decodeJwt(tokens.id_token)).toMatchObject({ sub: da.subject, acr: ACR.smartcard, amr: ['sc', 'hwk'] });

      // A request for the 2FA level (what DMS and the security page ask for) gets a login page, not the card's session.
      const twoFactor = await startAuthorization(running.issuer, { acr_values: ACR.twoFactor }, browser);
      expect(twoFactor.loginPage.url).toContain('/interaction/');
      expect(twoFactor.loginPage.body).toContain('name="password"');
      const dms = await browser.follow(`${running.issuer}/dms`);
      expect(dms.url).toContain('/interaction/');
      expect(Number((await database.db('dms_sessions').where({ user_id: da.subject }).count<{ n: string }[]>('* as n'))[0]?.n)).toBe(0);

      // After the cut-off the card's session opens nothing silently, and its refresh token is refused.
      await pin(running, '2fa-only');
      const silent = await startAuthorization(running.issuer, { prompt: 'none' }, browser);
      expect(new URL(silent.loginPage.url).searchParams.get('error')).toBe('login_required');
      expect(tokens.refresh_token).toBeDefined();
      const refreshed = await request(running.http).post('/token').auth(TERMINAL.clientId, TERMINAL.clientSecret).type('form').send({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token });
      expect(refreshed.status).toBe(400);
    });

    it('refuses the same header forged by a client that is not the proxy, and audits it', async () => {
      const start = await startAuthorization(running.issuer);
      const page = await pressSmartcardButton(start, { 'X-SSL-Client-Cert': nginxEscaped(fixture.cards.valid.pem) });
      expect(page.status).toBe(400);
      expect(page.headers.get('location')).toBeNull();
      const audit = await lastSmartcardAudit(database);
      expect(audit).toMatchObject({ type: 'login.smartcard', outcome: 'failure', ip: '127.0.0.1' });
      expect(audit.details).toMatchObject({ reason: 'untrusted_certificate_header' });
    });

    it.each([
      ['expired', 403, 'expired'],
      ['foreign', 403, 'untrusted_issuer'],
      ['revoked', 403, 'revoked'],
      ['unbound', 403, 'unbound'],
    ] as const)('refuses a forwarded %s card', async (card, status, reason) => {
      const start = await startAuthorization(running.issuer, {}, behindProxy());
      const page = await pressSmartcardButton(start, { 'X-SSL-Client-Cert': nginxEscaped(fixture.cards[card].pem) });
      expect(page.status).toBe(status);
      expect((await lastSmartcardAudit(database)).details).toMatchObject({ reason });
    });

    it('treats an empty header (no card at the proxy) and a garbled one as no usable certificate', async () => {
      const empty = await startAuthorization(running.issuer, {}, behindProxy());
      expect((await pressSmartcardButton(empty, { 'X-SSL-Client-Cert': '' })).status).toBe(400);
      expect((await lastSmartcardAudit(database)).details).toMatchObject({ reason: 'no_certificate' });
      const garbled = await startAuthorization(running.issuer, {}, behindProxy());
      expect((await pressSmartcardButton(garbled, { 'X-SSL-Client-Cert': '%E0%A4%A' })).status).toBe(400);
      expect((await lastSmartcardAudit(database)).details).toMatchObject({ reason: 'malformed_certificate_header' });
    });

    it.each([
      ['appears twice, the client\'s copy first (a proxy that appends)', () => ({ 'X-SSL-Client-Cert': [nginxEscaped(fixture.cards.valid.pem), nginxEscaped(fixture.cards.unbound.pem)] }), 'repeated_certificate_header'],
      ['appears twice, the client\'s copy last', () => ({ 'X-SSL-Client-Cert': [nginxEscaped(fixture.cards.unbound.pem), nginxEscaped(fixture.cards.valid.pem)] }), 'repeated_certificate_header'],
      ['holds two certificates', () => ({ 'X-SSL-Client-Cert': nginxEscaped(`${fixture.cards.valid.pem.trimEnd()}\n${fixture.cards.unbound.pem}`) }), 'malformed_certificate_header'],
      ['has junk around the certificate', () => ({ 'X-SSL-Client-Cert': nginxEscaped(`junk${fixture.cards.valid.pem}junk`) }), 'malformed_certificate_header'],
      ['is an unescaped PEM', () => ({ 'X-SSL-Client-Cert': fixture.cards.valid.pem.replace(/\n/g, ' ') }), 'malformed_certificate_header'],
    ] as const)('refuses, audits and logs no one in when the header %s', async (_what, headers, reason) => {
      const start = await startAuthorization(running.issuer, {}, behindProxy());
      const page = await pressSmartcardButton(start, headers());
      expect(page.status).toBe(400);
      expect(page.headers.get('location')).toBeNull();
      const audit = await lastSmartcardAudit(database);
      expect(audit).toMatchObject({ type: 'login.smartcard', outcome: 'failure', user_id: null });
      expect(audit.details).toMatchObject({ method: 'smartcard', reason });
    });

    it.each<[Phase, number]>([
      ['smartcard-only', 303],
      ['email-registration', 303],
      ['parallel-run', 303],
      ['2fa-only', 403],
    ])('in %s a forwarded valid card gets %s', async (phase, status) => {
      await pin(running, phase);
      const start = await startAuthorization(running.issuer, {}, behindProxy());
      const page = await postSmartcard(start, { 'X-SSL-Client-Cert': nginxEscaped(fixture.cards.valid.pem) });
      expect(page.status).toBe(status);
      const audit = await lastSmartcardAudit(database);
      expect(audit.details).toMatchObject({ phase });
    });
  });

  describe('with cards issued by an intermediate CA under the root (the path is checked link by link)', () => {
    let database: TestDatabase;
    let running: RunningTestServer;
    let root: Authority;
    let issuing: Authority;
    let card: IssuedCertificate;
    let files: ReturnType<typeof writeFiles<{ 'bundle.pem': string; 'root.crl': string; 'issuing.crl': string }>>;

    beforeAll(async () => {
      root = await createAuthority('HKSCC Test Root CA');
      issuing = await createAuthority('HKSCC Test Issuing CA', { issuer: root });
      card = await issueCertificate(issuing, 'TRADER9');
      files = writeFiles({ 'bundle.pem': root.pem + issuing.pem, 'root.crl': await createCrl(root, []), 'issuing.crl': await createCrl(issuing, []) });
      database = await createTestDatabase();
      running = await startTestServer(database.db, database.url, {
        smartcard: { caFile: files['bundle.pem'], crlFiles: [files['root.crl'], files['issuing.crl']], proxy: { trustedAddresses: [PROXY_ADDRESS] } },
        phases: { refreshSeconds: 0 },
      });
      const trader = await seedUser(running.server, running.config, { participantId: 'B01234', userId: 'TRADER9' }, running.clock);
      await bindDirectly(running.server, trader, card);
    });
    afterAll(async () => {
      await running.close();
      await database.drop();
    });

    async function tryCard(): Promise<Page> {
      const start = await startAuthorization(running.issuer, {}, new Browser({ localAddress: PROXY_ADDRESS }));
      return pressSmartcardButton(start, { 'X-SSL-Client-Cert': nginxEscaped(card.pem) });
    }

    /** Replaces a CRL file as an operator would; the server reads it again on the next login. */
    async function publish(file: string, content: string): Promise<void> {
      await writeFile(file, content);
      // A new mtime even within the same millisecond-resolution tick.
      await new Promise((resolve) => setTimeout(resolve, 20));
    }

    it('logs the card in while the root and the intermediate both have current CRLs', async () => {
      expect((await tryCard()).status).toBe(303);
    });

    it('refuses the card once the root\'s CRL revokes the intermediate, and audits why', async () => {
      await publish(files['root.crl'], await createCrl(root, [issuing]));
      const page = await tryCard();
      expect(page.status).toBe(403);
      expect((await lastSmartcardAudit(database)).details).toMatchObject({ reason: 'issuer_revoked' });
      await publish(files['root.crl'], await createCrl(root, []));
      expect((await tryCard()).status).toBe(303);
    });

    it('refuses the card while the intermediate\'s CRL is stale', async () => {
      const staleWindow = { thisUpdate: new Date(Date.now() - 10 * 86_400_000), nextUpdate: new Date(Date.now() - 86_400_000) };
      await publish(files['issuing.crl'], await createCrl(issuing, [], staleWindow));
      const page = await tryCard();
      expect(page.status).toBe(403);
      expect((await lastSmartcardAudit(database)).details).toMatchObject({ reason: 'revocation_unknown' });
      await publish(files['issuing.crl'], await createCrl(issuing, []));
      expect((await tryCard()).status).toBe(303);
    });
  });

  /** The token endpoint over the TLS listener, as CCASS Terminal would call it. */
  async function tlsPost(running: RunningTestServer, path: string, form: Record<string, string>): Promise<Page> {
    const browser = smartcardBrowser(fixture);
    const basic = Buffer.from('ccass-terminal:test-secret-for-the-ccass-terminal-client').toString('base64');
    return browser.request(new URL(path, running.issuer).toString(), { form, headers: { authorization: `Basic ${basic}`, accept: 'application/json' } });
  }

  async function exchangeCodeOverTls(running: RunningTestServer, start: AuthorizationStart, callback: URL) {
    const page = await tlsPost(running, '/token', {
      grant_type: 'authorization_code',
      code: callback.searchParams.get('code') as string,
      redirect_uri: 'http://127.0.0.1:9999/callback',
      code_verifier: start.codeVerifier,
    });
    expect(page.status).toBe(200);
    return JSON.parse(page.body) as { id_token: string; access_token: string; refresh_token?: string };
  }
});
