/**
 * CCASS Terminal (openid-client) logging users in by smartcard over mutual TLS: `amr` sc in
 * the parallel run; then the operator moves to `2fa-only` between two logins, with no
 * restart, and the same request is refused until the user logs in with password + OTP.
 */
import * as client from 'openid-client';
import { operatorActor } from '../../src/kernel/actor.js';
import { ACR } from '../../src/oidc/assurance.js';
import { pinPhase } from '../../src/policy/phase-control.js';
import { formAction, inputValue, nodeFetch, type Browser, type Page } from '../support/browser.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { seedUser, startTestServer, TERMINAL, type RunningTestServer, type SeededUser } from '../support/server.js';
import { bindDirectly, createSmartcardFixture, declineKeyOffer, smartcardBrowser, type SmartcardFixture } from '../support/smartcard.js';
import { rfc6238 } from '../support/totp.js';

describe('CCASS Terminal with smartcard logins (openid-client)', () => {
  let database: TestDatabase;
  let fixture: SmartcardFixture;
  let running: RunningTestServer;
  let user: SeededUser;

  beforeAll(async () => {
    database = await createTestDatabase();
    fixture = await createSmartcardFixture();
    const tls = { certFile: fixture.files.serverCert, keyFile: fixture.files.serverKey };
    running = await startTestServer(
      database.db,
      database.url,
      { smartcard: { caFile: fixture.files.caFile, crlFiles: [fixture.files.crlFile], tls }, phases: { refreshSeconds: 0 } },
      { tls },
    );
    user = await seedUser(running.server, running.config, { participantId: 'B01234', userId: 'TRADER1', email: 'trader1@example.com' }, running.clock);
    await bindDirectly(running.server, user, fixture.cards.valid);
  });
  afterAll(async () => {
    await running.close();
    await database.drop();
  });

  /** The relying party trusts the test TLS CA, as it would trust the provider's real certificate. */
  const rpFetch: client.CustomFetch = async (url, options) => {
    const headers = Object.fromEntries(new Headers(options.headers as ConstructorParameters<typeof Headers>[0]).entries());
    return nodeFetch(url, { method: options.method ?? 'GET', headers, body: options.body === undefined || options.body === null ? undefined : String(options.body) }, { ca: fixture.tlsCa.pem });
  };

  async function discover() {
    return client.discovery(new URL(running.issuer), TERMINAL.clientId, undefined, client.ClientSecretBasic(TERMINAL.clientSecret), { [client.customFetch]: rpFetch });
  }

  async function startLogin(config: client.Configuration, browser: Browser, extra: Record<string, string> = {}) {
    const verifier = client.randomPKCECodeVerifier();
    const nonce = client.randomNonce();
    const state = client.randomState();
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: TERMINAL.redirectUri,
      scope: 'openid profile',
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      nonce,
      state,
      ...extra,
    });
    const loginPage = await browser.follow(url.toString());
    return { loginPage, verifier, nonce, state };
  }

  async function finishLogin(config: client.Configuration, browser: Browser, login: { verifier: string; nonce: string; state: string }, afterLogin: Page) {
    expect(afterLogin.status).toBe(303);
    const callback = await browser.follow(new URL(afterLogin.headers.get('location') as string, afterLogin.url).toString(), {}, (next) => next.toString().startsWith(TERMINAL.redirectUri));
    const tokens = await client.authorizationCodeGrant(config, new URL(callback.url), { pkceCodeVerifier: login.verifier, expectedNonce: login.nonce, expectedState: login.state, idTokenExpected: true });
    return tokens.claims();
  }

  /** "Log in with smartcard", then "Not now" to the offer of a security key. */
  async function pressSmartcard(browser: Browser, page: Page): Promise<Page> {
    return declineKeyOffer(browser, await browser.request(new URL(formAction(page.body, 'smartcard-login'), page.url).toString(), { form: { csrf: inputValue(page.body, 'csrf') } }));
  }

  it('gives amr sc in the parallel run, then refuses the card after a phase switch with no restart', async () => {
    const config = await discover();

    const browser = smartcardBrowser(fixture, fixture.cards.valid);
    const first = await startLogin(config, browser);
    expect(first.loginPage.body).toContain('Log in with smartcard');
    const claims = await finishLogin(config, browser, first, await pressSmartcard(browser, first.loginPage));
    expect(claims).toMatchObject({ iss: running.issuer, sub: user.subject, acr: ACR.smartcard, amr: ['sc', 'hwk'] });

    // The operator ends smartcard access; the same node, the same relying party, no restart.
    await pinPhase({ queries: running.server.queries, clock: running.clock, plan: running.config.phases }, { phase: '2fa-only' }, operatorActor('ops1'));

    const nextBrowser = smartcardBrowser(fixture, fixture.cards.valid);
    const second = await startLogin(config, nextBrowser);
    expect(second.loginPage.body).not.toContain('Log in with smartcard');
    const refused = await nextBrowser.request(`${second.loginPage.url}/smartcard`, { form: { csrf: inputValue(second.loginPage.body, 'csrf') } });
    expect(refused.status).toBe(403);
    expect(refused.body).toContain('Smartcard login has ended');

    // What the refusal says to do works: password and the authenticator code.
    const codePage = await nextBrowser.request(`${second.loginPage.url}/login`, {
      form: { csrf: inputValue(second.loginPage.body, 'csrf'), participantId: user.participantId, userId: user.userId, password: user.password },
    });
    const otpPage = await nextBrowser.follow(new URL(codePage.headers.get('location') as string, codePage.url).toString());
    running.clock.advance(running.config.totp.period);
    const code = rfc6238(user.totpSecret as Buffer, running.clock.now().getTime() / 1000);
    const afterCode = await nextBrowser.request(`${second.loginPage.url}/otp`, { form: { csrf: inputValue(otpPage.body, 'csrf'), code } });
    expect(await finishLogin(config, nextBrowser, second, afterCode)).toMatchObject({ acr: ACR.twoFactor, amr: ['pwd', 'otp', 'mfa', 'totp'] });
  });
});
