/**
 * The user's journey in a real browser (Debian's Chromium through playwright-core): a DA logs
 * in to DMS and registers a user's email → the activation mail reaches the SMTP sink → the
 * user opens the link, sets a password, enrols an authenticator by reading the QR code off the
 * rendered page (a screenshot of the image, decoded with jsQR) → logs in through the example
 * relying party (examples/ccass-terminal.mjs) with password + TOTP → sees the claims → logs
 * out. Also: a keyboard-only login, a narrow screen, no page breaking the CSP, and axe-core's
 * accessibility rules. Screenshots of each step go to test-output/browser/ (not in git).
 */
import type { ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as jsqrModule from 'jsqr';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium } from '../support/chromium.js';
import { accessibilityViolations } from '../support/axe.js';
import { EXAMPLE_TERMINAL, startExampleRelyingParty } from '../support/example-rp.js';
import { PNG } from 'pngjs';
import type { Locale } from '../../src/i18n/locales.js';
import { translator, type MessageKey } from '../../src/i18n/translate.js';
import { ACR } from '../../src/oidc/assurance.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { activationLinkIn, nextTotp, seedDa } from '../support/dms.js';
import { freePort } from '../support/ports.js';
import { seedUser, startTestServer, testConfig, type RunningTestServer, type SeededUser } from '../support/server.js';
import { rfc6238, secretFromUri } from '../support/totp.js';

/** jsQR is a CommonJS module: its function is the default export or the module itself. */
type QrDecoder = (data: Uint8ClampedArray, width: number, height: number) => { data: string } | null;
const jsQR = ((jsqrModule as unknown as { default?: QrDecoder }).default ?? (jsqrModule as unknown as QrDecoder)) as QrDecoder;

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const RP = EXAMPLE_TERMINAL;


/** Each journey runs once per language; the user's browser says which (Accept-Language). */
const LANGUAGES: Array<{ locale: Locale; browserLocale: string }> = [
  { locale: 'en', browserLocale: 'en-GB' },
  { locale: 'zh-Hant', browserLocale: 'zh-HK' },
];

describe.each(LANGUAGES)('the journey in a real browser ($locale)', ({ locale, browserLocale }) => {
  const t = translator(locale);
  const SHOTS = path.join(ROOT, 'test-output', 'browser', locale);
  /** A form field by its label in this language (exact: "密碼" must not find "一次性密碼"). */
  const field = (page: Page, key: MessageKey) => page.getByLabel(t(key), { exact: true });
  const button = (page: Page, key: MessageKey) => page.getByRole('button', { name: t(key), exact: true });
  let database: TestDatabase;
  let running: RunningTestServer;
  let browser: Browser;
  let relyingParty: ChildProcess;
  let rpOrigin: string;
  let da: SeededUser;
  let step = 0;
  const trader = 'TRADER1';
  const cspViolations: string[] = [];

  /** Every page of the journey is photographed and checked with axe. */
  const accessibility: Record<string, string[]> = {};
  async function shot(page: Page, name: string): Promise<void> {
    step += 1;
    await page.screenshot({ path: path.join(SHOTS, `${String(step).padStart(2, '0')}-${name}.png`), fullPage: true });
    if (page.url().startsWith(running.issuer)) accessibility[name] = await accessibilityViolations(page);
  }

  async function newContext(options: Parameters<Browser['newContext']>[0] = {}): Promise<BrowserContext> {
    const context = await browser.newContext({ locale: browserLocale, ...options });
    context.on('console', (message) => {
      if (message.type() === 'error' && /Content.Security.Policy/i.test(message.text())) cspViolations.push(message.text());
    });
    return context;
  }

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    database = await createTestDatabase();
    const rpPort = await freePort();
    rpOrigin = `http://localhost:${rpPort}`;
    const clients = [
      ...testConfig('http://unused', database.url).oidc.clients,
      { client_id: RP.clientId, client_name: 'CCASS Terminal', client_secret: RP.clientSecret, redirect_uris: [`${rpOrigin}/callback`], post_logout_redirect_uris: [`${rpOrigin}/`], first_party: true },
    ];
    running = await startTestServer(database.db, database.url, { oidc: { clients } });
    da = await seedDa(running, 'B01234', 'ADMIN1');
    // The operator registered the firm's users; the DA gives them their designated emails.
    await seedUser(running.server, running.config, { participantId: 'B01234', userId: trader, status: 'pending', secondFactor: 'none' }, running.clock);
    relyingParty = await startExampleRelyingParty(running.issuer, rpPort, RP);
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    relyingParty?.kill();
    await running?.close();
    await database?.drop();
  });

  it('takes a user from registration by their DA to a login at CCASS Terminal and out again', async () => {
    // 1. The DA logs in to DMS with password + authenticator code.
    const daContext = await newContext();
    const dms = await daContext.newPage();
    await dms.goto(`${running.issuer}/dms`);
    await field(dms, 'login.participantId').fill(da.participantId);
    await field(dms, 'login.userId').fill(da.userId);
    await field(dms, 'login.password').fill(da.password);
    await shot(dms, 'da-login');
    await button(dms, 'login.submit').click();
    await field(dms, 'otp.code').fill(nextTotp(running, da));
    await button(dms, 'otp.submit').click();
    await dms.getByRole('heading', { name: t('dms.users.heading', { participant: 'B01234' }) }).waitFor();
    await shot(dms, 'dms-users');

    // 2. …and registers the user's designated email: the activation mail goes out.
    await dms.getByRole('link', { name: trader, exact: true }).click();
    await field(dms, 'dms.user.emailAddress').fill('trader1@b01234.example.com');
    await button(dms, 'dms.user.registerEmail').click();
    await dms.getByText(t('dms.notice.registered')).waitFor();
    await shot(dms, 'dms-email-registered');
    const link = activationLinkIn(await running.mail.mailTo('trader1@b01234.example.com'));

    // 3. The user, on a phone-sized screen, opens the link and sets a password.
    const userContext = await newContext({ viewport: { width: 375, height: 740 } });
    const user = await userContext.newPage();
    await user.goto(link);
    const password = 'a long and private passphrase 2026';
    await user.getByRole('heading', { name: t('activate.heading') }).waitFor();
    await field(user, 'activate.newPassword').fill(password);
    await field(user, 'activate.again').fill(password);
    await shot(user, 'activate-password');
    await button(user, 'activate.submit').click();

    // 4. Chooses an authenticator app and reads the QR code from the screen.
    await button(user, 'method.totpRecommended').waitFor();
    await shot(user, 'choose-method');
    await button(user, 'method.totpRecommended').click();
    const qr = user.getByRole('img', { name: t('enrol.qrAlt') });
    await qr.waitFor();
    await shot(user, 'enrol-totp');
    const png = PNG.sync.read(await qr.screenshot());
    const decoded = jsQR(new Uint8ClampedArray(png.data), png.width, png.height);
    expect(decoded?.data).toMatch(/^otpauth:\/\/totp\/.*secret=/);
    const secret = secretFromUri(decoded?.data as string);
    const code = () => rfc6238(secret, running.clock.now().getTime() / 1000);
    await field(user, 'enrol.code').fill(code());
    await button(user, 'enrol.submit').click();
    await user.getByRole('heading', { name: t('done.heading') }).waitFor();
    expect(await horizontalOverflow(user)).toBe(false);
    await shot(user, 'activation-done');

    // 5. Logs in at CCASS Terminal (the example relying party) with password + TOTP.
    await user.goto(rpOrigin);
    await user.getByRole('link', { name: 'Log in', exact: true }).click();
    await user.getByRole('heading', { name: t('login.heading', { client: 'CCASS Terminal' }) }).waitFor();
    await shot(user, 'login');
    await field(user, 'login.participantId').fill('B01234');
    await field(user, 'login.userId').fill(trader);
    await field(user, 'login.password').fill(password);
    await button(user, 'login.submit').click();
    running.clock.advance(running.config.totp.period); // the enrolment used this time step
    await field(user, 'otp.code').fill(code());
    expect(await horizontalOverflow(user)).toBe(false);
    await shot(user, 'login-code');
    await button(user, 'otp.submit').click();

    // 6. Sees who they are and how they logged in.
    await user.getByRole('heading', { name: 'Logged in to CCASS Terminal' }).waitFor();
    await shot(user, 'relying-party-claims');
    expect(JSON.parse((await user.locator('#claim-participant_id').textContent()) ?? '')).toBe('B01234');
    expect(JSON.parse((await user.locator('#claim-user_id').textContent()) ?? '')).toBe(trader);
    expect(JSON.parse((await user.locator('#claim-acr').textContent()) ?? '')).toBe(ACR.twoFactor);
    expect(JSON.parse((await user.locator('#claim-amr').textContent()) ?? '')).toEqual(expect.arrayContaining(['pwd', 'otp', 'totp']));

    // 7. Logs out: the provider asks, then returns to CCASS Terminal.
    await user.getByRole('link', { name: 'Log out' }).click();
    await button(user, 'logout.yes').waitFor();
    await shot(user, 'logout-confirm');
    await button(user, 'logout.yes').click();
    await user.waitForURL(`${rpOrigin}/`);
    await user.getByRole('link', { name: 'Log in', exact: true }).waitFor();
    await shot(user, 'logged-out');

    expect(cspViolations).toEqual([]);
    // Every provider page photographed above (DMS, activation, QR set-up, login, code, logout) passes axe.
    expect(Object.keys(accessibility).length).toBeGreaterThanOrEqual(10);
    expect(Object.fromEntries(Object.entries(accessibility).filter(([, violations]) => violations.length))).toEqual({});
    await daContext.close();
    await userContext.close();
  }, 120_000);

  it('logs in with the keyboard alone', async () => {
    const context = await newContext();
    const page = await context.newPage();
    const keyboardUser = await seedUser(running.server, running.config, { participantId: 'B01234', userId: 'KEYBOARD', email: 'keyboard@b01234.example.com' }, running.clock);
    try {
      await page.goto(`${rpOrigin}/login`);
      // The participant field has the focus (autofocus); Tab moves through the form in reading order.
      await page.waitForFunction("document.activeElement && document.activeElement.id === 'participantId'");
      await page.keyboard.type('B01234');
      await page.keyboard.press('Tab');
      await page.keyboard.type(keyboardUser.userId);
      await page.keyboard.press('Tab');
      await page.keyboard.type(keyboardUser.password);
      await page.keyboard.press('Enter');
      await field(page, 'otp.code').waitFor();
      await page.waitForFunction("document.activeElement && document.activeElement.id === 'code'");
      await page.keyboard.type(nextTotp(running, keyboardUser));
      await page.keyboard.press('Enter');
      await page.getByRole('heading', { name: 'Logged in to CCASS Terminal' }).waitFor();
    } catch (error) {
      // What the page showed when the walk went wrong, for whoever reads the CI output.
      await page.screenshot({ path: path.join(SHOTS, 'keyboard-login-failure.png'), fullPage: true });
      throw new Error(`keyboard login stopped at ${page.url()}: ${(await page.locator('main').textContent())?.trim()}`, { cause: error });
    }
    await shot(page, 'keyboard-login-done');
    await context.close();
  }, 60_000);

  it('has no serious accessibility violations on the pages users see (axe-core)', async () => {
    // axe runs through the DevTools protocol, which the CSP does not govern: the pages keep their real CSP.
    const context = await newContext();
    const page = await context.newPage();
    const axeUser = await seedUser(running.server, running.config, { participantId: 'B01234', userId: 'AXE', email: 'axe@b01234.example.com' }, running.clock);
    const audit = async (name: string) => {
      expect({ page: name, violations: await accessibilityViolations(page) }).toEqual({ page: name, violations: [] });
    };
    await page.goto(`${rpOrigin}/login`);
    await audit('login');
    await field(page, 'login.participantId').fill('B01234');
    await field(page, 'login.userId').fill(axeUser.userId);
    await field(page, 'login.password').fill('not the password');
    await button(page, 'login.submit').click();
    await page.getByRole('alert').waitFor();
    await audit('login with an error');
    await field(page, 'login.password').fill(axeUser.password);
    await button(page, 'login.submit').click();
    await field(page, 'otp.code').waitFor();
    await audit('code');
    await page.goto(`${running.issuer}/interaction/not-a-login`);
    await audit('error page');
    await context.close();
  }, 60_000);
});

async function horizontalOverflow(page: Page): Promise<boolean> {
  return (await page.evaluate('document.documentElement.scrollWidth > window.innerWidth + 1')) as boolean;
}
