/**
 * The OpenID conformance suite's Basic OP plan (oidcc-basic-certification-test-plan): the
 * modules that authorize twice — again silently, again with a forced login, after time has
 * passed — or redeem one code twice, and those that pass locales and acr_values along. Each test
 * asserts what its module's conditions check (docs/conformance.md lists every module).
 *
 * Time: where a module waits (max-age-1 two seconds, codereuse-30seconds thirty), the test moves
 * the process's wall clock instead (`passes`): oidc-provider reads Date.now() for auth_time,
 * max_age and code lifetimes, and openid-client checks the ID tokens against the same clock.
 */
import * as client from 'openid-client';
import { Browser } from '../support/browser.js';
import { authorizationRequest, authorize, discoverTerminal, followFrom, logInOnPage, navigate, silentAuthorization } from '../support/conformance.js';
import { seedUser, TERMINAL, useTestServer, type RunningTestServer, type SeededUser } from '../support/server.js';
import { ACR_VALUES_SUPPORTED } from '../../src/oidc/assurance.js';

describe('Basic OP plan: authorizing again', () => {
  let running: RunningTestServer;
  let user: SeededUser;
  let config: client.Configuration;
  useTestServer((started) => ({ running } = started));
  beforeAll(async () => {
    user = await seedUser(running.server, running.config, { participantId: 'B01250', userId: 'AGAIN1', email: 'again1@example.com' }, running.clock);
    config = await discoverTerminal(running);
  });

  /** Moves Date.now() (and so oidc-provider's and openid-client's clocks) `seconds` ahead for the rest of the test. */
  let shift = 0;
  const realNow = Date.now.bind(Date);
  function passes(seconds: number): void {
    shift += seconds * 1000;
    Date.now = () => realNow() + shift;
    running.clock.advance(seconds);
  }
  afterEach(() => {
    Date.now = realNow;
    shift = 0;
  });

  /** A first authorization in a new browser: the browser (logged in) and the first ID token's claims. */
  async function firstAuthorization(): Promise<{ browser: Browser; first: client.IDToken; idToken: string }> {
    const browser = new Browser();
    const tokens = await authorize(running, config, browser, user);
    return { browser, first: tokens.claims() as client.IDToken, idToken: tokens.id_token as string };
  }

  /** The second authorization; `expectLogin`: whether the login page must be shown (and is then filled in). */
  async function secondAuthorization(browser: Browser, extra: Record<string, string | undefined>, expectLogin: boolean): Promise<client.IDToken> {
    const request = await authorizationRequest(config, extra);
    let page = await followFrom(browser, await navigate(browser, request.url));
    expect({ loginShown: !page.url.startsWith(TERMINAL.redirectUri) }).toEqual({ loginShown: expectLogin });
    if (expectLogin) {
      expect(page.body).toContain('Log in to CCASS Terminal');
      page = await followFrom(browser, await logInOnPage(running, browser, page, user));
    }
    const tokens = await client.authorizationCodeGrant(config, new URL(page.url), { pkceCodeVerifier: request.verifier, expectedNonce: request.nonce, expectedState: request.state });
    return tokens.claims() as client.IDToken;
  }

  it('oidcc-prompt-login: prompt=login shows the login again; the new ID token has the same sub and a later auth_time', async () => {
    const { browser, first } = await firstAuthorization();
    passes(2);
    const second = await secondAuthorization(browser, { prompt: 'login' }, true);
    expect(second.sub).toBe(first.sub);
    expect(second.auth_time).toBeGreaterThan(first.auth_time as number);
  });

  it('oidcc-prompt-none-logged-in: prompt=none in a logged-in browser returns a code at once; same sub and auth_time', async () => {
    const { browser, first } = await firstAuthorization();
    const second = await secondAuthorization(browser, { prompt: 'none' }, false);
    expect(second).toMatchObject({ sub: first.sub, auth_time: first.auth_time });
  });

  it('oidcc-id-token-hint: prompt=none with the first ID token as id_token_hint succeeds without interaction; same sub and auth_time', async () => {
    const { browser, first, idToken } = await firstAuthorization();
    const second = await secondAuthorization(browser, { prompt: 'none', id_token_hint: idToken }, false);
    expect(second).toMatchObject({ sub: first.sub, auth_time: first.auth_time });
    // A hint naming someone else than the browser's user is not followed silently: login_required.
    const other = await seedUser(running.server, running.config, { participantId: 'B01250', userId: 'AGAIN2' }, running.clock);
    const otherTokens = await authorize(running, config, new Browser(), other);
    const refused = await silentAuthorization(browser, config, { id_token_hint: otherTokens.id_token as string });
    expect(refused.callback?.get('error')).toBe('login_required');
  });

  it('oidcc-max-age-1: two seconds later, max_age=1 asks for the login again; auth_time present, later and recent', async () => {
    const { browser, first } = await firstAuthorization();
    passes(2);
    const second = await secondAuthorization(browser, { max_age: '1' }, true);
    expect(typeof second.auth_time).toBe('number');
    expect(second.auth_time).toBeGreaterThan(first.auth_time as number);
    // CheckIdTokenAuthTimeIsRecentIfPresent: within a few minutes of now.
    expect(Math.abs(Math.floor(Date.now() / 1000) - (second.auth_time as number))).toBeLessThan(300);
  });

  it('oidcc-max-age-10000: max_age=10000 needs no new login; auth_time present and the same', async () => {
    const { browser, first } = await firstAuthorization();
    passes(2);
    const second = await secondAuthorization(browser, { max_age: '10000' }, false);
    expect(second).toMatchObject({ sub: first.sub, auth_time: first.auth_time });
  });

  it('oidcc-ui-locales: ui_locales is no error; a language this server speaks is used for the pages, another ignored', async () => {
    for (const [locales, heading] of [
      ['se', 'Log in to CCASS Terminal'],
      ['zh-HK en', '登入'],
    ] as const) {
      const request = await authorizationRequest(config, { ui_locales: locales });
      const browser = new Browser();
      const page = await followFrom(browser, await navigate(browser, request.url));
      expect(page.status).toBe(200);
      expect(page.body).toContain(heading);
    }
    const tokens = await authorize(running, config, new Browser(), user, { extra: { ui_locales: 'se' } });
    expect(tokens.claims()?.sub).toBe(user.subject);
  });

  it('oidcc-claims-locales: claims_locales is no error; the claims come as they are held', async () => {
    const tokens = await authorize(running, config, new Browser(), user, { extra: { claims_locales: 'se', scope: 'openid profile' } });
    expect(tokens.claims()).toMatchObject({ sub: user.subject, name: 'User AGAIN1' });
    expect((await client.fetchUserInfo(config, tokens.access_token, user.subject)).name).toBe('User AGAIN1');
  });

  it('oidcc-ensure-request-with-acr-values-succeeds: acr_values listing every advertised value succeeds, and the acr is one of them', async () => {
    const advertised = config.serverMetadata().acr_values_supported as string[];
    expect(advertised).toEqual([...ACR_VALUES_SUPPORTED]);
    // OIDCCAddAcrValuesToAuthorizationEndpointRequest: the advertised values, space-separated.
    const tokens = await authorize(running, config, new Browser(), user, { extra: { acr_values: advertised.join(' ') } });
    expect(advertised).toContain(tokens.claims()?.acr);
  });

  describe('code reuse', () => {
    /** A code redeemed once: the callback URL (holding the code), the request, the first tokens. */
    async function redeemedOnce() {
      const browser = new Browser();
      const request = await authorizationRequest(config);
      const loginPage = await followFrom(browser, await navigate(browser, request.url));
      const callback = new URL((await followFrom(browser, await logInOnPage(running, browser, loginPage, user))).url);
      const tokens = await client.authorizationCodeGrant(config, callback, { pkceCodeVerifier: request.verifier, expectedNonce: request.nonce, expectedState: request.state });
      return { callback, request, tokens };
    }

    /** The suite's second token request with the same code (CallTokenEndpointAndReturnFullResponse) and its checks. */
    async function reuse(callback: URL, verifier: string): Promise<void> {
      const response = await fetch(config.serverMetadata().token_endpoint as string, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`${TERMINAL.clientId}:${TERMINAL.clientSecret}`).toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: new URLSearchParams({ grant_type: 'authorization_code', code: callback.searchParams.get('code') as string, redirect_uri: TERMINAL.redirectUri, code_verifier: verifier }).toString(),
      });
      // CheckTokenEndpointHttpStatus400, CheckTokenEndpointReturnedJsonContentType, ...ErrorInvalidGrant, and the error's form (RFC 6749 §5.2).
      expect(response.status).toBe(400);
      expect(response.headers.get('content-type')).toMatch(/^application\/json/);
      const body = (await response.json()) as Record<string, unknown>;
      expect(body['error']).toBe('invalid_grant');
      expect(body['error_description']).toMatch(/^[\x20-\x21\x23-\x5b\x5d-\x7e]+$/);
      expect(body).not.toHaveProperty('error_uri');
    }

    it('oidcc-codereuse: a code redeemed twice is refused with invalid_grant, and what the first redemption issued is revoked', async () => {
      const { callback, request, tokens } = await redeemedOnce();
      await reuse(callback, request.verifier);
      // RFC 6749 §4.1.2: the tokens issued for the code SHOULD be revoked (the module warns otherwise).
      await expect(client.fetchUserInfo(config, tokens.access_token, user.subject)).rejects.toMatchObject({ status: 401 });
    });

    it('oidcc-codereuse-30seconds: the same, thirty seconds after the first redemption', async () => {
      const { callback, request, tokens } = await redeemedOnce();
      passes(30);
      await reuse(callback, request.verifier);
      await expect(client.fetchUserInfo(config, tokens.access_token, user.subject)).rejects.toMatchObject({ status: 401 });
    });
  });
});
