/**
 * Security keys and passkeys in a real browser (Debian's Chromium through playwright-core),
 * with Chromium's own WebAuthn stack talking to DevTools virtual authenticators: a USB
 * security key (CTAP2, PIN-verified) and a platform passkey (transport "internal"). The page's
 * script (src/web/assets/webauthn.js with @simplewebauthn/browser) runs the ceremony; nothing
 * of it is stubbed. WebAuthn needs a secure context and an RP ID equal to the page's host, so
 * the provider's issuer here is http://localhost:<port> (the shared test server is on 127.0.0.1).
 *
 *  (a) a key registered on the security page (/account), then a login at the example relying
 *      party with password + key; and a platform passkey placed on the virtual authenticator
 *      (WebAuthn.addCredential) with the same public key in the store;
 *  (b) a client that requires phishing resistance: TOTP is not offered, the key is accepted;
 *  (c) a browser without WebAuthn: the page says so (#webauthn-unsupported) and offers the other ways.
 */
import type { ChildProcess } from 'node:child_process';
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { buildServer, type Server } from '../../src/app/server.js';
import { EXAMPLE_STRICT, EXAMPLE_TERMINAL, exampleClients, startExampleRelyingParty } from '../support/example-rp.js';
import { addVirtualAuthenticator } from '../support/virtual-authenticator.js';
import type { Config } from '../../src/config/schema.js';
import { translator, type MessageKey } from '../../src/i18n/translate.js';
import { createLogger } from '../../src/observability/logger.js';
import { ACR, AMR } from '../../src/oidc/assurance.js';
import { launchChromium } from '../support/chromium.js';
import { TestClock } from '../support/clock.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { freePort } from '../support/ports.js';
import { seedUser, testConfig, type SeededUser } from '../support/server.js';
import { SmtpSink } from '../support/smtp-sink.js';
import { giveKey, publicKeyOfCose, SoftAuthenticator } from '../support/soft-authenticator.js';
import { rfc6238 } from '../support/totp.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const SHOTS = path.join(ROOT, 'test-output', 'browser', 'security-keys');
const RP = EXAMPLE_TERMINAL;
const STRICT_RP = EXAMPLE_STRICT;
const t = translator('en');




describe('security keys and passkeys in a real browser', () => {
  let database: TestDatabase;
  let http: HttpServer;
  let server: Server;
  let config: Config;
  let issuer: string;
  let mail: SmtpSink;
  const clock = new TestClock();
  let browser: Browser;
  let relyingParty: ChildProcess;
  let strictRelyingParty: ChildProcess;
  let rpOrigin: string;
  let strictOrigin: string;
  let seq = 0;

  const field = (page: Page, key: MessageKey) => page.getByLabel(t(key), { exact: true });
  const button = (page: Page, key: MessageKey, params?: Record<string, string>) => page.getByRole('button', { name: t(key, params), exact: true });

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    database = await createTestDatabase();
    const [rpPort, strictPort] = [await freePort(), await freePort()];
    rpOrigin = `http://localhost:${rpPort}`;
    strictOrigin = `http://localhost:${strictPort}`;
    http = createServer();
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    issuer = `http://localhost:${(http.address() as AddressInfo).port}`;
    mail = await new SmtpSink().start();
    const clients = [
      ...testConfig('http://unused', database.url).oidc.clients,
      ...exampleClients(rpOrigin, strictOrigin),
    ];
    config = testConfig(issuer, database.url, { oidc: { clients }, smtp: { url: mail.url, from: 'CCASS Authentication <no-reply@ccass.test>' } });
    server = await buildServer(config, database.db, createLogger('silent'), { clock });
    const handler = server.app.callback();
    http.on('request', (req, res) => handler(req, res));
    relyingParty = await startExampleRelyingParty(issuer, rpPort, RP);
    strictRelyingParty = await startExampleRelyingParty(issuer, strictPort, STRICT_RP);
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    relyingParty?.kill();
    strictRelyingParty?.kill();
    await server?.stop();
    http?.closeAllConnections();
    await new Promise<void>((resolve) => (http ? http.close(() => resolve()) : resolve()));
    await mail?.stop();
    await database?.drop();
  });

  async function newUser(): Promise<SeededUser> {
    seq += 1;
    return seedUser(server, config, { participantId: 'B01234', userId: `KEYUSER${seq}`, email: `keyuser${seq}@b01234.example.com` }, clock);
  }

  const totp = (user: SeededUser) => rfc6238(user.totpSecret as Buffer, clock.now().getTime() / 1000);

  async function password(page: Page, user: SeededUser): Promise<void> {
    await field(page, 'login.participantId').fill(user.participantId);
    await field(page, 'login.userId').fill(user.userId);
    await field(page, 'login.password').fill(user.password);
    await button(page, 'login.submit').click();
  }

  async function claim(page: Page, name: string): Promise<unknown> {
    return JSON.parse((await page.locator(`#claim-${name}`).textContent()) ?? 'null');
  }

  /** What the page showed when a walk went wrong, for whoever reads the CI output. */
  async function explained<T>(page: Page, name: string, walk: () => Promise<T>): Promise<T> {
    try {
      return await walk();
    } catch (error) {
      await page.screenshot({ path: path.join(SHOTS, `${name}-failure.png`), fullPage: true }).catch(() => undefined);
      throw new Error(`${name} stopped at ${page.url()}: ${(await page.locator('main').textContent().catch(() => ''))?.trim()}`, { cause: error });
    }
  }

  const keysOf = (user: SeededUser) => database.db('webauthn_credentials').where({ user_id: user.subject }).select('credential_id', 'sign_count', 'registered_with', 'name', 'last_used_at');

  it('(a) registers a key on the security page, then logs in at the relying party with password + key', async () => {
    const user = await newUser();
    const context = await browser.newContext({ locale: 'en-GB' });
    const page = await context.newPage();
    const key = await addVirtualAuthenticator(page, 'usb');
    await explained(page, 'register-on-security-page', async () => {
      // The security page asks for a fresh login (password + TOTP), then offers to add a key.
      await page.goto(`${issuer}/account`);
      await password(page, user);
      clock.advance(config.totp.period);
      await field(page, 'otp.code').fill(totp(user));
      await button(page, 'otp.submit').click();
      await page.waitForURL(`${issuer}/account`);
      await page.goto(`${issuer}/account/keys/new`);
      await field(page, 'account.newKey.name').fill('Blue USB key');
      await button(page, 'account.newKey.submit').click();
      await page.waitForURL(/\/account\?done=key-added/);
      await page.screenshot({ path: path.join(SHOTS, 'key-added.png'), fullPage: true });
    });
    const stored = await keysOf(user);
    expect(stored).toEqual([expect.objectContaining({ registered_with: 'security_page', name: 'Blue USB key', last_used_at: null })]);
    const { credentials } = await key.cdp.send('WebAuthn.getCredentials', { authenticatorId: key.authenticatorId });
    expect(credentials.map((credential) => Buffer.from(credential.credentialId, 'base64').toString('base64url'))).toEqual([stored[0]?.credential_id]);
    // The public key stored is the one whose private half the authenticator holds.
    const [row] = await database.db('webauthn_credentials').where({ user_id: user.subject }).select('public_key');
    const held = createPublicKey(createPrivateKey({ key: Buffer.from(credentials[0]?.privateKey as string, 'base64'), format: 'der', type: 'pkcs8' }));
    expect(publicKeyOfCose(row.public_key).export({ format: 'jwk' })).toEqual(held.export({ format: 'jwk' }));

    // A new browser session (the key stays plugged in): the relying party, password, then the key.
    await context.clearCookies();
    await explained(page, 'login-with-registered-key', async () => {
      await page.goto(`${rpOrigin}/login`);
      await password(page, user);
      await page.getByRole('heading', { name: t('key.heading') }).waitFor();
      await page.screenshot({ path: path.join(SHOTS, 'key-step.png'), fullPage: true });
      await button(page, 'key.button').click();
      await page.getByRole('heading', { name: 'Logged in to CCASS Terminal' }).waitFor();
    });
    expect(await claim(page, 'user_id')).toBe(user.userId);
    expect(await claim(page, 'amr')).toEqual(expect.arrayContaining([AMR.password, AMR.hardwareKey, AMR.multipleFactors, AMR.userPresence, AMR.pin]));
    expect(await claim(page, 'amr')).not.toContain(AMR.oneTimePassword);
    const [used] = await keysOf(user);
    expect(Number(used?.sign_count)).toBeGreaterThan(0);
    expect(used?.last_used_at).toBeInstanceOf(Date);

    // The key is lost: on the security page (a fresh login, with the key), the user removes it.
    await context.clearCookies();
    await explained(page, 'remove-key-on-security-page', async () => {
      await page.goto(`${issuer}/account`);
      await password(page, user);
      await button(page, 'key.button').click();
      await page.waitForURL(`${issuer}/account`);
      await button(page, 'account.keys.remove', { name: 'Blue USB key' }).click();
      await page.waitForURL(/\/account\?done=/);
      await page.getByText(t('account.keys.none')).waitFor();
    });
    expect(await keysOf(user)).toEqual([]);
    // The next login asks for the authenticator code again: no key step.
    await context.clearCookies();
    await page.goto(`${rpOrigin}/login`);
    await password(page, user);
    await field(page, 'otp.code').waitFor();
    await context.close();
  }, 90_000);

  it('(a) a platform passkey placed on the device logs in at the relying party', async () => {
    const user = await newUser();
    const context = await browser.newContext({ locale: 'en-GB' });
    const page = await context.newPage();
    // The passkey's key pair: the private half on the virtual platform authenticator, the public half in the store.
    const passkey = new SoftAuthenticator({ rpId: 'localhost', origin: issuer, transports: ['internal'], attachment: 'platform' });
    await giveKey(server.queries, user.subject, passkey, { name: 'This laptop' });
    const platform = await addVirtualAuthenticator(page, 'internal');
    await platform.cdp.send('WebAuthn.addCredential', {
      authenticatorId: platform.authenticatorId,
      credential: {
        credentialId: passkey.credentialId.toString('base64'),
        isResidentCredential: true,
        rpId: 'localhost',
        privateKey: passkey.privateKeyPkcs8Base64(),
        userHandle: Buffer.from(user.subject, 'utf8').toString('base64'),
        signCount: 0,
      },
    });
    await explained(page, 'login-with-passkey', async () => {
      await page.goto(`${rpOrigin}/login`);
      await password(page, user);
      await button(page, 'key.button').click();
      await page.getByRole('heading', { name: 'Logged in to CCASS Terminal' }).waitFor();
    });
    expect(await claim(page, 'sub')).toBe(user.subject);
    expect(await claim(page, 'amr')).toEqual(expect.arrayContaining([AMR.password, AMR.hardwareKey, AMR.multipleFactors]));
    const { credentials } = await platform.cdp.send('WebAuthn.getCredentials', { authenticatorId: platform.authenticatorId });
    expect(credentials[0]?.signCount).toBeGreaterThan(0);
    expect(Number((await keysOf(user))[0]?.sign_count)).toBe(credentials[0]?.signCount);
    await context.close();
  }, 60_000);

  it('(b) a client that requires phishing resistance does not offer the code, and accepts the key', async () => {
    const user = await newUser();
    const context = await browser.newContext({ locale: 'en-GB' });
    const page = await context.newPage();
    const key = new SoftAuthenticator({ rpId: 'localhost', origin: issuer });
    await giveKey(server.queries, user.subject, key);
    const usb = await addVirtualAuthenticator(page, 'usb');
    await usb.cdp.send('WebAuthn.addCredential', {
      authenticatorId: usb.authenticatorId,
      credential: { credentialId: key.credentialId.toString('base64'), isResidentCredential: false, rpId: 'localhost', privateKey: key.privateKeyPkcs8Base64(), signCount: 0 },
    });
    await explained(page, 'phishing-resistant-client', async () => {
      await page.goto(`${strictOrigin}/login`);
      await password(page, user);
      await page.getByRole('heading', { name: t('key.heading') }).waitFor();
      await page.screenshot({ path: path.join(SHOTS, 'strict-key-step.png'), fullPage: true });
      // No way to a code: neither the button nor the field.
      expect(await button(page, 'key.useCode').count()).toBe(0);
      expect(await button(page, 'key.useRecovery').count()).toBe(0);
      expect(await field(page, 'otp.code').count()).toBe(0);
      await button(page, 'key.button').click();
      await page.getByRole('heading', { name: 'Logged in to CCASS Terminal' }).waitFor();
    });
    expect(await claim(page, 'acr')).toBe(ACR.phishingResistantHardware);
    expect(await claim(page, 'amr')).toEqual(expect.arrayContaining([AMR.hardwareKey]));
    await context.close();
  }, 60_000);

  it('(b) a user without a key is refused by that client, though their TOTP works elsewhere', async () => {
    const user = await newUser();
    const context = await browser.newContext({ locale: 'en-GB' });
    const page = await context.newPage();
    await page.goto(`${strictOrigin}/login`);
    await password(page, user);
    await page.getByRole('heading', { name: t('login.error.needsKeyTitle') }).waitFor();
    expect(await field(page, 'otp.code').count()).toBe(0);
    await context.close();
  }, 60_000);

  it('(c) a browser without WebAuthn is told so, and can use a code instead', async () => {
    const user = await newUser();
    await giveKey(server.queries, user.subject, new SoftAuthenticator({ rpId: 'localhost', origin: issuer }));
    const context = await browser.newContext({ locale: 'en-GB' });
    // An old browser: no PublicKeyCredential, no navigator.credentials.
    await context.addInitScript(() => {
      const scope = globalThis as unknown as { PublicKeyCredential?: unknown; navigator: object };
      delete scope.PublicKeyCredential;
      Object.defineProperty(scope.navigator, 'credentials', { value: undefined, configurable: true });
    });
    const page = await context.newPage();
    await explained(page, 'without-webauthn', async () => {
      await page.goto(`${rpOrigin}/login`);
      await password(page, user);
      await page.getByRole('heading', { name: t('key.heading') }).waitFor();
      await page.locator('#webauthn-unsupported').waitFor({ state: 'visible' });
      expect(await page.locator('#webauthn-unsupported').textContent()).toContain(t('key.unsupported'));
      expect(await button(page, 'key.button').isDisabled()).toBe(true);
      await page.screenshot({ path: path.join(SHOTS, 'without-webauthn.png'), fullPage: true });
      await button(page, 'key.useCode').click();
      clock.advance(config.totp.period);
      await field(page, 'otp.code').fill(totp(user));
      await button(page, 'otp.submit').click();
      await page.getByRole('heading', { name: 'Logged in to CCASS Terminal' }).waitFor();
    });
    expect(await claim(page, 'acr')).toBe(ACR.twoFactor);
    expect(await claim(page, 'amr')).toEqual(expect.arrayContaining([AMR.oneTimePassword, AMR.totp]));
    await context.close();
  }, 60_000);
});
