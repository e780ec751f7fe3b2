/**
 * The "Done means" journeys of the security-key issue, in a real browser (Debian's Chromium
 * through playwright-core) in front of the deployment's own nginx (deploy/nginx.conf, via
 * test/support/nginx.ts), which terminates TLS, asks for a client certificate and forwards it
 * in X-SSL-Client-Cert to the node (smartcard mode 2). Chromium presents the smartcard's
 * certificate in the TLS handshake with nginx without a dialog: Playwright's
 * `clientCertificates` makes that handshake for the browser (Chromium's own certificate picker
 * cannot be driven headless). The browser does not know the test CA, so the contexts ignore
 * certificate errors; WebAuthn still runs (the RP ID is localhost, a secure context), with
 * DevTools virtual authenticators and the page's own script.
 *
 *  1. From smartcard to a security key, never without a phishing-resistant login: in the
 *     parallel run a user with a bound card and no key logs in by card, registers a key on the
 *     bridge page (the card vouches for it, audited so), and is logged in with the smartcard
 *     acr; after the cut-off (2fa-only pinned) the card is refused, and password + the key
 *     give phrh at a client that requires phishing resistance.
 *  2. Lost phone: recovery codes made on the security page; at login "Use a recovery code",
 *     a new authenticator app set up from the key shown on the page, the relying party; the
 *     user is told by email; the lost phone's codes no longer work.
 *  3. A session ended from the security page: the other browser must log in again and its
 *     refresh token is refused.
 * The bridge, security-key, recovery-code, code, set-up and security pages are checked with axe.
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { buildServer, type Server } from '../../src/app/server.js';
import { EXAMPLE_STRICT, EXAMPLE_TERMINAL, exampleClients, startExampleRelyingParty } from '../support/example-rp.js';
import { addVirtualAuthenticator, type VirtualAuthenticator } from '../support/virtual-authenticator.js';
import type { Config } from '../../src/config/schema.js';
import { RECOVERY_CODE_COUNT } from '../../src/factors/recovery-codes.js';
import { translator, type MessageKey } from '../../src/i18n/translate.js';
import { operatorActor } from '../../src/kernel/actor.js';
import { createLogger } from '../../src/observability/logger.js';
import { ACR, AMR } from '../../src/oidc/assurance.js';
import { clearPhasePin, pinPhase } from '../../src/policy/phase-control.js';
import type { Phase } from '../../src/policy/phases.js';
import { accessibilityViolations } from '../support/axe.js';
import { Browser as HttpBrowser } from '../support/browser.js';
import { launchChromium } from '../support/chromium.js';
import { TestClock } from '../support/clock.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { pkcePair } from '../support/flows.js';
import { NGINX_ADDRESS, startNginx, type RunningNginx } from '../support/nginx.js';
import { freePort } from '../support/ports.js';
import { jobsSettled, seedUser, testConfig, type SeededUser } from '../support/server.js';
import { bindDirectly, createSmartcardFixture, type SmartcardFixture } from '../support/smartcard.js';
import { SmtpSink } from '../support/smtp-sink.js';
import { base32Decode, rfc6238 } from '../support/totp.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const SHOTS = path.join(ROOT, 'test-output', 'browser', 'migration');
const RP = EXAMPLE_TERMINAL;
const STRICT_RP = EXAMPLE_STRICT;
/** A relying party played by the test itself, to hold a refresh token of a browser's session. */
const PROBE = { clientId: 'session-probe', clientSecret: 'session-probe-secret-for-browser-tests' };
const LOGGED_IN = 'Logged in to CCASS Terminal';
const t = translator('en');



/** A CTAP2 USB security key with resident keys and user verification, present and verified whenever asked. */
const plugInSecurityKey = (page: Page): Promise<VirtualAuthenticator> => addVirtualAuthenticator(page, 'usb');

describe('the migration journeys in a real browser, behind nginx', () => {
  let fixture: SmartcardFixture;
  let database: TestDatabase;
  let node: HttpServer;
  let server: Server;
  let config: Config;
  let nginx: RunningNginx;
  let nginxDir: string | undefined;
  let issuer: string;
  let mail: SmtpSink;
  const clock = new TestClock();
  let browser: Browser;
  let relyingParty: ChildProcess;
  let strictRelyingParty: ChildProcess;
  let rpOrigin: string;
  let strictOrigin: string;
  let tlsCaFile: string;
  let probe: HttpServer;
  let probeRedirectUri: string;
  const probeCallbacks: URL[] = [];
  const cspViolations: string[] = [];

  const field = (page: Page, key: MessageKey) => page.getByLabel(t(key), { exact: true });
  const button = (page: Page, key: MessageKey, params?: Record<string, string>) => page.getByRole('button', { name: t(key, params), exact: true });
  const heading = (page: Page, key: MessageKey, params?: Record<string, string>) => page.getByRole('heading', { name: t(key, params), exact: true });

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    fixture = await createSmartcardFixture();
    tlsCaFile = path.join(fixture.files.dir, 'tls-ca.pem');
    await writeFile(tlsCaFile, fixture.tlsCa.pem);
    database = await createTestDatabase();
    mail = await new SmtpSink().start();
    const [httpsPort, httpPort, rpPort, strictPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
    // localhost, not 127.0.0.1: Chromium takes no IP address as a WebAuthn RP ID.
    issuer = `https://localhost:${httpsPort}`;
    rpOrigin = `http://localhost:${rpPort}`;
    strictOrigin = `http://localhost:${strictPort}`;
    probe = createServer((req, res) => {
      probeCallbacks.push(new URL(req.url ?? '/', probeRedirectUri));
      res.writeHead(200, { 'content-type': 'text/plain' }).end('callback');
    });
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    probeRedirectUri = `http://localhost:${(probe.address() as AddressInfo).port}/callback`;
    const clients = [
      ...testConfig('http://unused', database.url).oidc.clients,
      ...exampleClients(rpOrigin, strictOrigin),
      { client_id: PROBE.clientId, client_name: 'CCASS Terminal', client_secret: PROBE.clientSecret, redirect_uris: [probeRedirectUri], first_party: true },
    ];
    config = testConfig(issuer, database.url, {
      oidc: { clients },
      smtp: { url: mail.url, from: 'CCASS Authentication <no-reply@ccass.test>' },
      // nginx reaches the node from NGINX_ADDRESS (proxy_bind): only it is believed, for X-Forwarded-* and for the card.
      server: { trustProxy: true, trustedProxyAddresses: [`${NGINX_ADDRESS}/32`], shutdownDelaySeconds: 0 },
      smartcard: { caFile: fixture.files.caFile, crlFiles: [fixture.files.crlFile], proxy: { trustedAddresses: [`${NGINX_ADDRESS}/32`] } },
      phases: { refreshSeconds: 0 },
    });
    server = await buildServer(config, database.db, createLogger('silent'), { clock });
    const handler = server.app.callback();
    node = createServer((req, res) => handler(req, res));
    await new Promise<void>((resolve) => node.listen(0, '127.0.0.1', resolve));
    nginxDir = await mkdtemp(path.join(tmpdir(), 'ccass-nginx-'));
    const dir = nginxDir;
    await chmod(dir, 0o755);
    nginx = await startNginx({
      dir,
      upstreams: [`127.0.0.1:${(node.address() as AddressInfo).port}`],
      httpPort,
      httpsPort,
      certFile: fixture.files.serverCert,
      keyFile: fixture.files.serverKey,
    });
    relyingParty = await startExampleRelyingParty(issuer, rpPort, RP, { NODE_EXTRA_CA_CERTS: tlsCaFile });
    strictRelyingParty = await startExampleRelyingParty(issuer, strictPort, STRICT_RP, { NODE_EXTRA_CA_CERTS: tlsCaFile });
    browser = await launchChromium();
  }, 90_000);

  afterEach(async () => {
    if (server) await clearPhasePin({ queries: server.queries, clock, plan: config.phases }, operatorActor('test')).catch(() => undefined);
    // No page of any journey broke the CSP (the page's script runs the WebAuthn ceremonies).
    expect(cspViolations.splice(0)).toEqual([]);
  });

  afterAll(async () => {
    await browser?.close();
    relyingParty?.kill();
    strictRelyingParty?.kill();
    await nginx?.stop();
    if (nginxDir) await rm(nginxDir, { recursive: true, force: true });
    await server?.stop();
    node?.closeAllConnections();
    await new Promise<void>((resolve) => (node ? node.close(() => resolve()) : resolve()));
    await mail?.stop();
    await new Promise<void>((resolve) => (probe ? probe.close(() => resolve()) : resolve()));
    await database?.drop();
  });

  /** What the operator does at the cut-off (`ccass-auth phase pin …`); every node reads it on the next login. */
  async function pin(phase: Phase): Promise<void> {
    await pinPhase({ queries: server.queries, clock, plan: config.phases }, { phase }, operatorActor('test'));
  }

  async function newContext(options: Parameters<Browser['newContext']>[0] = {}): Promise<BrowserContext> {
    const context = await browser.newContext({ locale: 'en-GB', ignoreHTTPSErrors: true, ...options });
    context.on('console', (message) => {
      if (message.type() === 'error' && /Content.Security.Policy/i.test(message.text())) cspViolations.push(message.text());
    });
    return context;
  }

  /** A screenshot for whoever reads the CI output; a provider page must have no serious axe violation. */
  async function checkpoint(page: Page, name: string): Promise<void> {
    await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
    expect(page.url().startsWith(issuer)).toBe(true);
    expect({ page: name, violations: await accessibilityViolations(page) }).toEqual({ page: name, violations: [] });
  }

  /** What the page showed when a walk went wrong. */
  async function explained<T>(page: Page, name: string, walk: () => Promise<T>): Promise<T> {
    try {
      return await walk();
    } catch (error) {
      await page.screenshot({ path: path.join(SHOTS, `${name}-failure.png`), fullPage: true }).catch(() => undefined);
      throw new Error(`${name} stopped at ${page.url()}: ${(await page.locator('main').textContent().catch(() => ''))?.trim()}`, { cause: error });
    }
  }

  async function password(page: Page, user: SeededUser): Promise<void> {
    await field(page, 'login.participantId').fill(user.participantId);
    await field(page, 'login.userId').fill(user.userId);
    await field(page, 'login.password').fill(user.password);
    await button(page, 'login.submit').click();
  }

  /** The code an authenticator app holding `secret` shows now, in a time step not used before. */
  function freshTotp(secret: Buffer): string {
    clock.advance(config.totp.period);
    return rfc6238(secret, clock.now().getTime() / 1000);
  }

  async function claim(page: Page, name: string): Promise<unknown> {
    return JSON.parse((await page.locator(`#claim-${name}`).textContent()) ?? 'null');
  }

  const audits = (user: SeededUser, type: string) => database.db('audit_events').where({ type, user_id: user.userId }).orderBy('id', 'asc');
  const keysOf = (user: SeededUser) => database.db('webauthn_credentials').where({ user_id: user.subject }).select('id', 'credential_id', 'registered_with', 'name', 'device_type', 'last_used_at');

  /** The messages that reached the user's mailbox, once every queued one was sent. */
  async function mailOf(user: SeededUser) {
    await jobsSettled(server, 'mail');
    return mail.messages.filter((message) => message.to.includes(user.email as string));
  }

  it('moves a user from the smartcard to a security key without ever being without a phishing-resistant login', async () => {
    await pin('parallel-run');
    const user = await seedUser(server, config, { participantId: 'B01234', userId: 'TRADER1', email: 'trader1@b01234.example.com' }, clock);
    await bindDirectly(server, user, fixture.cards.valid);
    expect(await keysOf(user)).toEqual([]);
    // The smartcard in the reader: presented to nginx in every TLS handshake with the provider.
    const context = await newContext({ clientCertificates: [{ origin: issuer, cert: Buffer.from(fixture.cards.valid.pem), key: Buffer.from(fixture.cards.valid.keyPem) }] });
    const page = await context.newPage();
    const key = await plugInSecurityKey(page);

    // 1. The parallel run: "Log in with smartcard"; the bridge offers a key; the key is registered.
    await explained(page, 'smartcard-then-bridge', async () => {
      await page.goto(`${rpOrigin}/login`);
      await heading(page, 'login.heading', { client: 'CCASS Terminal' }).waitFor();
      await button(page, 'login.smartcard').click();
      await heading(page, 'bridge.heading').waitFor();
      await checkpoint(page, 'bridge');
      await field(page, 'bridge.name').fill('Blue USB key');
      await button(page, 'bridge.register').click();
      await page.getByRole('heading', { name: LOGGED_IN }).waitFor();
    });
    expect(await claim(page, 'user_id')).toBe(user.userId);
    expect(await claim(page, 'acr')).toBe(ACR.smartcard);
    expect(await claim(page, 'amr')).toEqual(['sc', 'hwk']);
    // The card came through nginx, in its header, from the trusted proxy.
    const check = await database.db('audit_events').where({ type: 'login.smartcard', outcome: 'success', user_id: user.userId }).orderBy('id', 'desc').first();
    expect(check.details).toMatchObject({ offered: 'security_key', certificate: { source: 'proxy' } });
    expect(nginx.log()).toMatch(/"POST \/interaction\/[^ ]+\/smartcard HTTP\/1\.1" 303 [^\n]*client_cert=(?!NONE)/);

    // The key the authenticator holds is the one stored, registered with the card's word for it.
    const stored = await keysOf(user);
    expect(stored).toEqual([expect.objectContaining({ registered_with: 'smartcard', name: 'Blue USB key', device_type: 'singleDevice' })]);
    const { credentials } = await key.cdp.send('WebAuthn.getCredentials', { authenticatorId: key.authenticatorId });
    expect(credentials.map((credential) => Buffer.from(credential.credentialId, 'base64').toString('base64url'))).toEqual([stored[0]?.credential_id]);
    expect(credentials[0]?.isResidentCredential).toBe(true);
    const registered = await audits(user, 'webauthn.register');
    expect(registered).toEqual([expect.objectContaining({ outcome: 'success' })]);
    expect(registered[0].details).toMatchObject({ vouchedBy: 'smartcard', name: 'Blue USB key', credential: stored[0]?.id });
    const login = await database.db('audit_events').where({ type: 'login', outcome: 'success', user_id: user.userId }).orderBy('id', 'desc').first();
    expect(login.details).toMatchObject({ method: 'smartcard', phase: 'parallel-run', securityKey: stored[0]?.id });
    expect((await mailOf(user)).filter((message) => message.subject.includes(t('mail.notice.security_key_added.subject')))).toHaveLength(1);

    // 2. The cut-off: the operator pins 2fa-only. The card, still in the reader, is refused.
    await pin('2fa-only');
    await explained(page, 'card-refused-after-cut-off', async () => {
      await page.goto(`${strictOrigin}/login`);
      // The session the card opened does not carry over: a new login.
      await heading(page, 'login.heading', { client: 'Settlement Console' }).waitFor();
      expect(await button(page, 'login.smartcard').count()).toBe(0);
      expect(await page.locator('#phase-banner').textContent()).toContain(t('banner.smartcardEnded'));
      // The form the page showed before the cut-off, posted with the card presented: refused.
      const refused = await page.request.post(`${page.url()}/smartcard`, { form: { csrf: await page.locator('input[name="csrf"]').first().inputValue() } });
      expect(refused.status()).toBe(403);
      expect(await refused.text()).toContain('Smartcard login has ended');
    });
    const refusal = await database.db('audit_events').where({ type: 'login.smartcard', user_id: user.userId }).orderBy('id', 'desc').first();
    expect(refusal).toMatchObject({ outcome: 'failure' });
    expect(refusal.details).toMatchObject({ reason: 'smartcard_ended', phase: '2fa-only' });

    // …and password + the key it vouched for give the phishing-resistant login the client requires.
    await explained(page, 'password-and-key-after-cut-off', async () => {
      await page.goto(`${strictOrigin}/login`);
      await password(page, user);
      await heading(page, 'key.heading').waitFor();
      // A client that requires phishing resistance offers no code, and no recovery code.
      expect(await button(page, 'key.useCode').count()).toBe(0);
      expect(await button(page, 'key.useRecovery').count()).toBe(0);
      await checkpoint(page, 'security-key-step');
      await button(page, 'key.button').click();
      await page.getByRole('heading', { name: LOGGED_IN }).waitFor();
    });
    expect(await claim(page, 'user_id')).toBe(user.userId);
    expect(await claim(page, 'acr')).toBe(ACR.phishingResistantHardware);
    expect(await claim(page, 'amr')).toEqual(expect.arrayContaining([AMR.password, AMR.hardwareKey, AMR.multipleFactors]));
    expect(await claim(page, 'amr')).not.toContain('sc');
    expect(await claim(page, 'amr')).not.toContain(AMR.oneTimePassword);
    expect((await keysOf(user))[0]?.last_used_at).toBeInstanceOf(Date);
    await context.close();
  }, 120_000);

  it('lets a user who lost the phone back in with a recovery code, to a new authenticator app', async () => {
    const user = await seedUser(server, config, { participantId: 'B01234', userId: 'LOSTPHONE', email: 'lostphone@b01234.example.com' }, clock);
    const oldPhone = user.totpSecret as Buffer;

    // Before the loss: recovery codes made on the security page (a fresh login opens it).
    const before = await newContext();
    const account = await before.newPage();
    const codes = await explained(account, 'recovery-codes-on-security-page', async () => {
      await account.goto(`${issuer}/account`);
      await password(account, user);
      await field(account, 'otp.code').fill(freshTotp(oldPhone));
      await button(account, 'otp.submit').click();
      await heading(account, 'account.heading').waitFor();
      await button(account, 'account.recovery.generate').click();
      await heading(account, 'account.codes.heading').waitFor();
      await checkpoint(account, 'recovery-codes');
      expect(await account.getByRole('link', { name: t('account.codes.download') }).getAttribute('download')).toBe('ccass-recovery-codes.txt');
      return ((await account.locator('pre.recovery-codes').textContent()) ?? '').split('\n').map((line) => line.trim()).filter(Boolean);
    });
    expect(codes).toHaveLength(RECOVERY_CODE_COUNT);
    await before.close();

    // The phone is gone: password, then "Use a recovery code" on the code page.
    const context = await newContext();
    const page = await context.newPage();
    const newPhone = await explained(page, 'recovery-code-login', async () => {
      await page.goto(`${rpOrigin}/login`);
      await password(page, user);
      await field(page, 'otp.code').waitFor();
      await checkpoint(page, 'code-step');
      await button(page, 'key.useRecovery').click();
      await heading(page, 'recovery.heading').waitFor();
      await checkpoint(page, 'recovery-code-step');
      // Typed as read off paper: lower case.
      await field(page, 'recovery.code').fill((codes[4] as string).toLowerCase());
      await button(page, 'recovery.submit').click();
      // Straight to a replacement factor: an authenticator app on the new phone.
      await heading(page, 'method.heading').waitFor();
      await checkpoint(page, 'choose-method-after-recovery');
      await button(page, 'method.totpNewPhone').click();
      await heading(page, 'enrol.heading').waitFor();
      await page.getByText(t('enrol.manual')).click();
      const secret = base32Decode((await page.locator('#manual-key').textContent()) ?? '');
      await checkpoint(page, 'enrol-new-phone');
      await field(page, 'enrol.code').fill(rfc6238(secret, clock.now().getTime() / 1000));
      await button(page, 'enrol.submit').click();
      await page.getByRole('heading', { name: LOGGED_IN }).waitFor();
      return secret;
    });
    expect(await claim(page, 'user_id')).toBe(user.userId);
    expect(await claim(page, 'acr')).toBe(ACR.twoFactor);
    expect(newPhone.equals(oldPhone)).toBe(false);
    await context.close();

    // The code is spent, the use audited, and the user told by email.
    expect(Number((await database.db('recovery_codes').where({ user_id: user.subject }).whereNull('used_at').count<{ n: string }[]>('* as n'))[0]?.n)).toBe(RECOVERY_CODE_COUNT - 1);
    expect(await audits(user, 'login.recovery_code')).toEqual([expect.objectContaining({ outcome: 'success', details: expect.objectContaining({ left: RECOVERY_CODE_COUNT - 1 }) })]);
    const notice = (await mailOf(user)).find((message) => message.subject.includes(t('mail.notice.recovery_code_used.subject')));
    expect(notice?.text).toContain(`${RECOVERY_CODE_COUNT - 1} codes are left`);
    expect(notice?.text).not.toContain(codes[4] as string);

    // Whoever has the lost phone cannot log in with it; the new phone can.
    const later = await newContext();
    const again = await later.newPage();
    await explained(again, 'after-recovery', async () => {
      await again.goto(`${rpOrigin}/login`);
      await password(again, user);
      await field(again, 'otp.code').fill(freshTotp(oldPhone));
      await button(again, 'otp.submit').click();
      await again.getByRole('alert').waitFor();
      expect(again.url()).toContain(`${issuer}/interaction/`);
      await field(again, 'otp.code').fill(freshTotp(newPhone));
      await button(again, 'otp.submit').click();
      await again.getByRole('heading', { name: LOGGED_IN }).waitFor();
    });
    await later.close();
  }, 120_000);

  it('ends another browser’s session from the security page: it must log in again, its refresh token is refused', async () => {
    const user = await seedUser(server, config, { participantId: 'B01234', userId: 'TWOBROWSERS', email: 'twobrowsers@b01234.example.com' }, clock);
    const secret = user.totpSecret as Buffer;

    // Browser B: logged in at the example relying party, and at a second relying party in the
    // same session (no login page: single sign-on) whose refresh token this test holds.
    const other = await newContext();
    const otherPage = await other.newPage();
    await explained(otherPage, 'other-browser-login', async () => {
      await otherPage.goto(`${rpOrigin}/login`);
      await password(otherPage, user);
      await field(otherPage, 'otp.code').fill(freshTotp(secret));
      await button(otherPage, 'otp.submit').click();
      await otherPage.getByRole('heading', { name: LOGGED_IN }).waitFor();
    });
    const firstRefresh = await refresh(await probeRefreshToken(otherPage));
    expect(firstRefresh.status).toBe(200);
    // The refresh token rotated: the new one is what must be refused once the session ends (not the used one).
    const refreshToken = (JSON.parse(firstRefresh.body) as { refresh_token: string }).refresh_token;

    // Browser A: the security page after a fresh login; B's session is listed, and ended.
    const mine = await newContext();
    const page = await mine.newPage();
    await explained(page, 'end-other-session', async () => {
      await page.goto(`${issuer}/account`);
      await password(page, user);
      await field(page, 'otp.code').fill(freshTotp(secret));
      await button(page, 'otp.submit').click();
      await heading(page, 'account.heading').waitFor();
      await checkpoint(page, 'security-page');
      const rows = page.locator('table tbody tr');
      expect(await rows.count()).toBe(2);
      const otherRow = rows.filter({ hasNot: page.getByText(t('account.sessions.current'), { exact: true }) });
      expect(await otherRow.count()).toBe(1);
      expect(await otherRow.textContent()).toContain('CCASS Terminal');
      // Its one button, named for screen readers by its row ("End session 2").
      const end = otherRow.getByRole('button', { name: new RegExp(`^${t('account.sessions.endLabel', { number: '0' }).replace('0', '\\d+')}$`) });
      expect(await end.textContent()).toContain(t('account.sessions.end'));
      await end.click();
      await page.getByRole('status').filter({ hasText: t('account.notice.session-ended') }).waitFor();
      expect(await page.locator('table tbody tr').count()).toBe(1);
    });
    expect(await audits(user, 'account.session.end')).toEqual([expect.objectContaining({ outcome: 'success' })]);

    // B's next authorization at the relying party asks for a login; its refresh token is refused.
    await explained(otherPage, 'other-browser-after-end', async () => {
      await otherPage.goto(`${rpOrigin}/login`);
      await heading(otherPage, 'login.heading', { client: 'CCASS Terminal' }).waitFor();
      expect(otherPage.url()).toContain(`${issuer}/interaction/`);
    });
    const refused = await refresh(refreshToken);
    expect(refused.status).toBe(400);
    expect(JSON.parse(refused.body)).toMatchObject({ error: 'invalid_grant' });

    // A's own session goes on.
    await page.goto(`${issuer}/account`);
    await heading(page, 'account.heading').waitFor();
    await mine.close();
    await other.close();
  }, 120_000);

  /** The token endpoint through nginx, as a relying party calls it (trusting the test CA). */
  function tokenRequest(form: Record<string, string>) {
    const basic = Buffer.from(`${PROBE.clientId}:${PROBE.clientSecret}`).toString('base64');
    return new HttpBrowser({ ca: fixture.tlsCa.pem }).request(`${issuer}/token`, { form, headers: { authorization: `Basic ${basic}`, accept: 'application/json' } });
  }

  const refresh = (refreshToken: string) => tokenRequest({ grant_type: 'refresh_token', refresh_token: refreshToken });

  /** The probe relying party's authorization in `page`'s session (single sign-on: no login page), its code exchanged for tokens. */
  async function probeRefreshToken(page: Page): Promise<string> {
    const { verifier, challenge } = pkcePair();
    const state = randomBytes(8).toString('hex');
    const url = new URL('/auth', issuer);
    url.search = new URLSearchParams({
      client_id: PROBE.clientId,
      response_type: 'code',
      scope: 'openid profile email',
      redirect_uri: probeRedirectUri,
      code_challenge: challenge,
      code_challenge_method: 'S256',
      state,
    }).toString();
    await page.goto(url.toString());
    await page.waitForURL(`${probeRedirectUri}?**`);
    const callback = probeCallbacks.find((received) => received.searchParams.get('state') === state);
    const tokens = await tokenRequest({ grant_type: 'authorization_code', code: callback?.searchParams.get('code') as string, redirect_uri: probeRedirectUri, code_verifier: verifier });
    expect(tokens.status).toBe(200);
    const body = JSON.parse(tokens.body) as { refresh_token?: string };
    expect(body.refresh_token).toEqual(expect.any(String));
    return body.refresh_token as string;
  }
});
