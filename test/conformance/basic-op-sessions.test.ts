/**
 * The OpenID conformance suite's Basic OP plan (oidcc-basic-certification-test-plan): the
 * modules that authorize twice in one browser (prompt, max_age, id_token_hint), the request
 * parameters that must not cause an error (ui_locales, claims_locales, acr_values) and the
 * reuse of a code. docs/conformance.md lists every module of the plan and where it is covered.
 *
 * Time: oidc-provider takes auth_time, max_age and a code's expiry from `Date.now()` (its
 * epochTime helper), not from `running.clock`. `elapse(s)` moves `Date.now()` forward for
 * everything in this realm (oidc-provider, openid-client, TestClock, which is Date.now plus an
 * offset), so "2 seconds later" or "30 seconds later" happens without waiting. PostgreSQL's
 * now() is not moved: rows expire by real time, later than oidc-provider thinks, never sooner.
 */
import * as client from 'openid-client';
import { Browser, type Page } from '../support/browser.js';
import { authorizationRequest, authorize, discoverTerminal, followFrom, logInOnPage, navigate, type AuthorizationRequest } from '../support/conformance.js';
import { seedUser, TERMINAL, useTestServer, type RunningTestServer, type SeededUser } from '../support/server.js';

/** CheckIdTokenAuthTimeIsRecentIfPresent: auth_time no older than 1 s, allowing 5 minutes of skew. */
const RECENT_SECONDS = 5 * 60 + 1;

describe('Basic OP plan: sessions, request parameters and code reuse', () => {
  let running: RunningTestServer;
  let user: SeededUser;
  let config: client.Configuration;
  const realNow = Date.now.bind(Date);
  let offsetMs = 0;
  const elapse = (seconds: number) => (offsetMs += seconds * 1000);
  const epoch = () => Math.floor(Date.now() / 1000);
  beforeAll(() => {
    Date.now = () => realNow() + offsetMs;
  });
  afterAll(() => {
    Date.now = realNow;
  });
  useTestServer((started) => ({ running } = started));
  beforeAll(async () => {
    user = await seedUser(running.server, running.config, { participantId: 'B01236', userId: 'SESSIONS', email: 'sessions@example.com' }, running.clock);
    config = await discoverTerminal(running);
  });

  /** The browser takes an authorization request: where it lands without anyone typing. */
  async function reach(browser: Browser, extra: Record<string, string | undefined> = {}): Promise<{ request: AuthorizationRequest; page: Page }> {
    const request = await authorizationRequest(config, extra);
    return { request, page: await followFrom(browser, await navigate(browser, request.url)) };
  }

  function redeem(request: AuthorizationRequest, callback: Page) {
    return client.authorizationCodeGrant(config, new URL(callback.url), { pkceCodeVerifier: request.verifier, expectedNonce: request.nonce, expectedState: request.state });
  }

  function isLoginPage(page: Page): boolean {
    return page.status === 200 && !page.url.startsWith(TERMINAL.redirectUri) && page.body.includes('name="password"');
  }

  /** A first authorization (with a login) in a fresh browser, as every module starts. */
  async function firstLogin(extra: Record<string, string | undefined> = {}) {
    const browser = new Browser();
    const tokens = await authorize(running, config, browser, user, { extra });
    return { browser, tokens, claims: tokens.claims() as client.IDToken };
  }

  /** The second authorization needs no login: straight back to the callback with a code. */
  async function silentSecond(browser: Browser, extra: Record<string, string | undefined>) {
    const { request, page } = await reach(browser, extra);
    expect(page.url.startsWith(TERMINAL.redirectUri)).toBe(true);
    expect(new URL(page.url).searchParams.get('error')).toBeNull();
    return (await redeem(request, page)).claims() as client.IDToken;
  }

  /** The second authorization shows the login page again; the user logs in (`typing` seconds later). */
  async function loudSecond(browser: Browser, extra: Record<string, string | undefined>, typing: number) {
    const { request, page } = await reach(browser, extra);
    expect(isLoginPage(page)).toBe(true);
    expect(page.body).toContain('Log in to CCASS Terminal');
    elapse(typing);
    const callback = await followFrom(browser, await logInOnPage(running, browser, page, user));
    return (await redeem(request, callback)).claims() as client.IDToken;
  }

  it('oidcc-prompt-login: the second authorization with prompt=login asks for the login again; a later auth_time, the same sub', async () => {
    const { browser, claims: first } = await firstLogin();
    expect(first.auth_time).toEqual(expect.any(Number));
    // A person takes a moment to type the password and code again (auth_time is in whole seconds).
    const second = await loudSecond(browser, { prompt: 'login' }, 2);
    expect(second.sub).toBe(first.sub);
    expect(second.sub).toBe(user.subject);
    expect(second.auth_time as number).toBeGreaterThan(first.auth_time as number);
  });

  it('oidcc-prompt-none-logged-in: prompt=none in the logged-in browser returns a code at once; same auth_time and sub', async () => {
    const { browser, claims: first } = await firstLogin();
    const second = await silentSecond(browser, { prompt: 'none' });
    expect(second).toMatchObject({ sub: first.sub, auth_time: first.auth_time });
  });

  it('oidcc-max-age-1: 2 seconds after the login, max_age=1 asks for the login again; auth_time present, later and recent', async () => {
    const { browser, claims: first } = await firstLogin();
    // WaitFor2Seconds: oidc-provider re-prompts when now - auth_time > max_age, in whole seconds.
    elapse(2);
    const second = await loudSecond(browser, { max_age: '1' }, 0);
    expect(second.auth_time).toEqual(expect.any(Number));
    expect(second.auth_time as number).toBeGreaterThan(first.auth_time as number);
    expect(second.auth_time as number).toBeGreaterThanOrEqual(epoch() - RECENT_SECONDS);
    expect(second.sub).toBe(first.sub);
  });

  it('oidcc-max-age-10000: max_age=15000 then max_age=10000 in the same browser: no second login, auth_time present and unchanged, same sub', async () => {
    const { browser, claims: first } = await firstLogin({ max_age: '15000' });
    expect(first.auth_time).toEqual(expect.any(Number));
    elapse(2);
    const second = await silentSecond(browser, { max_age: '10000' });
    expect(second).toMatchObject({ sub: first.sub, auth_time: first.auth_time });
  });

  it('oidcc-id-token-hint: prompt=none with the first ID token as id_token_hint returns a code at once; same auth_time and sub', async () => {
    const { browser, tokens, claims: first } = await firstLogin();
    const second = await silentSecond(browser, { prompt: 'none', id_token_hint: tokens.id_token as string });
    expect(second).toMatchObject({ sub: first.sub, auth_time: first.auth_time });
  });

  it('an id_token_hint naming another user than the browser\'s is not followed silently: login_required', async () => {
    const { browser } = await firstLogin();
    const other = await seedUser(running.server, running.config, { participantId: user.participantId, userId: 'HINTED2' }, running.clock);
    const theirs = await authorize(running, config, new Browser(), other);
    const { page } = await reach(browser, { prompt: 'none', id_token_hint: theirs.id_token as string });
    expect(new URL(page.url).searchParams.get('error')).toBe('login_required');
  });

  describe('oidcc-ui-locales', () => {
    it('oidcc-ui-locales: ui_locales=zh-HK or zh-Hant shows the login page in Traditional Chinese, and the login completes', async () => {
      for (const uiLocales of ['zh-HK', 'zh-Hant', 'se zh-Hant']) {
        const browser = new Browser(); // the module asks for the OP's cookies to be removed first
        const { request, page } = await reach(browser, { ui_locales: uiLocales });
        expect(isLoginPage(page)).toBe(true);
        expect(page.body).toContain('<html lang="zh-Hant-HK">');
        expect(page.body).toContain('<h1>登入中央結算系統終端機</h1>');
        const callback = await followFrom(browser, await logInOnPage(running, browser, page, user));
        expect((await redeem(request, callback)).claims()?.sub).toBe(user.subject);
      }
    });

    it('the module\'s default ui_locales=se (a language not offered) is ignored without error: English', async () => {
      const browser = new Browser();
      const { request, page } = await reach(browser, { ui_locales: 'se' });
      expect(isLoginPage(page)).toBe(true);
      expect(page.body).toContain('<html lang="en">');
      expect(page.body).toContain('Log in to CCASS Terminal');
      const callback = await followFrom(browser, await logInOnPage(running, browser, page, user));
      expect((await redeem(request, callback)).claims()?.sub).toBe(user.subject);
    });
  });

  it('oidcc-claims-locales: claims_locales=se is accepted without error; a code and a valid ID token', async () => {
    const { tokens, claims } = await firstLogin({ claims_locales: 'se' });
    expect(claims).toMatchObject({ iss: running.issuer, aud: TERMINAL.clientId, sub: user.subject });
    expect(tokens.access_token).toBeTruthy();
  });

  describe('oidcc-ensure-request-with-acr-values-succeeds', () => {
    it('oidcc-ensure-request-with-acr-values-succeeds: acr_values = all of discovery\'s acr_values_supported succeeds; acr is one of them', async () => {
      // OIDCCAddAcrValuesToAuthorizationEndpointRequest: every advertised value, space-separated.
      const supported = config.serverMetadata().acr_values_supported as string[];
      expect(supported).toEqual(['urn:hkscc:ccass:acr:2fa', 'urn:hkscc:ccass:acr:smartcard', 'phr', 'phrh']);
      const { claims } = await firstLogin({ acr_values: supported.join(' ') });
      // ValidateIdTokenACRClaimAgainstAcrValuesRequest: a string among the requested values (password + OTP meets the first).
      expect(claims.acr).toBe('urn:hkscc:ccass:acr:2fa');
      expect(supported).toContain(claims.acr);
    });

    it('the fallback "1 2" (sent only when discovery lists no acr_values_supported) is refused: acr_values are requirements here', async () => {
      const { request, page } = await reach(new Browser(), { acr_values: '1 2' });
      const callback = new URL(page.url).searchParams;
      expect(callback.get('error')).toBe('invalid_request');
      expect(callback.get('state')).toBe(request.state);
    });
  });

  describe('code reuse', () => {
    /** CallTokenEndpointAndReturnFullResponse with the code already redeemed: the raw answer. */
    async function redeemAgain(request: AuthorizationRequest, code: string) {
      const response = await fetch(config.serverMetadata().token_endpoint as string, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`${TERMINAL.clientId}:${TERMINAL.clientSecret}`).toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'application/json',
        },
        body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: TERMINAL.redirectUri, code_verifier: request.verifier }).toString(),
      });
      return { status: response.status, contentType: response.headers.get('content-type'), body: (await response.json()) as Record<string, unknown> };
    }

    async function userinfoStatus(accessToken: string) {
      const response = await fetch(config.serverMetadata().userinfo_endpoint as string, { headers: { authorization: `Bearer ${accessToken}` } });
      return { status: response.status, challenge: response.headers.get('www-authenticate') };
    }

    /** A code redeemed once (its access token works), then `after` seconds later again. */
    async function reuse(after: number) {
      const browser = new Browser();
      const { request, page } = await reach(browser);
      const callback = await followFrom(browser, await logInOnPage(running, browser, page, user));
      const code = new URL(callback.url).searchParams.get('code') as string;
      const tokens = await redeem(request, callback);
      expect((await userinfoStatus(tokens.access_token)).status).toBe(200);
      elapse(after);
      return { again: await redeemAgain(request, code), accessToken: tokens.access_token };
    }

    function expectRefusedAsTheSuiteChecks(again: Awaited<ReturnType<typeof redeemAgain>>) {
      // CheckTokenEndpointHttpStatus400, CheckTokenEndpointReturnedJsonContentType, ...InvalidGrant.
      expect(again.status).toBe(400);
      expect(again.contentType).toMatch(/^application\/json\b/);
      expect(again.body['error']).toBe('invalid_grant');
      // ValidateErrorDescriptionFromTokenEndpointResponseError (RFC 6749 §5.2 characters), no CR/LF/TAB; no error_uri.
      expect(again.body['error_description']).toMatch(/^[\x20\x21\x23-\x5b\x5d-\x7e]+$/);
      expect(again.body['error_uri']).toBeUndefined();
    }

    it('a code redeemed twice at the same moment: one gets tokens, the other invalid_grant as JSON, and the tokens die with the grant', async () => {
      for (let round = 0; round < 3; round += 1) {
        const browser = new Browser();
        const { request, page } = await reach(browser);
        const callback = await followFrom(browser, await logInOnPage(running, browser, page, user));
        const code = new URL(callback.url).searchParams.get('code') as string;
        const [first, second] = await Promise.all([redeemAgain(request, code), redeemAgain(request, code)]);
        const won = [first, second].filter((answer) => answer.status === 200);
        const lost = [first, second].filter((answer) => answer.status !== 200);
        expect({ won: won.length, lost: lost.length }).toEqual({ won: 1, lost: 1 });
        expectRefusedAsTheSuiteChecks(lost[0] as Awaited<ReturnType<typeof redeemAgain>>);
        // The loser ended the grant: the winner's access token is refused too (RFC 6749 §4.1.2).
        expect((await userinfoStatus(won[0]?.body['access_token'] as string)).status).toBe(401);
        elapse(31); // the next round's login uses another TOTP step
      }
    });

    it('oidcc-codereuse: the code redeemed a second time at once gets invalid_grant, and the first access token is revoked', async () => {
      const { again, accessToken } = await reuse(0);
      expectRefusedAsTheSuiteChecks(again);
      const userinfo = await userinfoStatus(accessToken);
      expect(userinfo.status).toBe(401);
      expect(userinfo.challenge).toContain('error="invalid_token"');
    });

    it('oidcc-codereuse-30seconds: 30 seconds later the same (the code\'s TTL is longer: reuse, not expiry, is what is refused)', async () => {
      // The code lives ttl.authorizationCode seconds (default 60): 30 s later it is unexpired and consumed.
      expect(running.config.oidc.ttl.authorizationCode).toBeGreaterThan(30);
      const { again, accessToken } = await reuse(30);
      expectRefusedAsTheSuiteChecks(again);
      // CallProtectedResourceWithBearerTokenExpectingError: the protected resource refuses the token.
      const userinfo = await userinfoStatus(accessToken);
      expect(userinfo.status).toBe(401);
      expect(userinfo.challenge).toContain('error="invalid_token"');
    });
  });
});
