/**
 * The conformance suite's RP-Initiated Logout OP plan
 * (oidcc-rp-initiated-logout-certification-test-plan): each module logs in, then sends the
 * browser to the end-session endpoint. The suite navigates there (GET); RP-Initiated Logout §2
 * requires POST as well, so the modules that log out run both ways.
 */
import { decodeJwt, decodeProtectedHeader, generateKeyPair, SignJWT } from 'jose';
import * as client from 'openid-client';
import { Browser, formAction, inputValue, type Page } from '../support/browser.js';
import { authorize, crossSitePost, discoverTerminal, followFrom, navigate, silentAuthorization, type Method } from '../support/conformance.js';
import { seedUser, TERMINAL, useTestServer, type RunningTestServer, type SeededUser } from '../support/server.js';

describe('RP-Initiated Logout OP plan', () => {
  let running: RunningTestServer;
  let user: SeededUser;
  let config: client.Configuration;
  useTestServer((started) => ({ running } = started));
  beforeAll(async () => {
    user = await seedUser(running.server, running.config, { participantId: 'B01234', userId: 'TRADER1' }, running.clock);
    config = await discoverTerminal(running);
  });

  /** A logged-in browser and its ID token. */
  async function loggedIn(): Promise<{ browser: Browser; idToken: string }> {
    const browser = new Browser();
    const tokens = await authorize(running, config, browser, user);
    return { browser, idToken: tokens.id_token as string };
  }

  /** The confirmation page answered "yes": the browser follows to where the provider sends it. */
  async function confirmLogout(browser: Browser, confirmation: Page): Promise<Page> {
    expect(confirmation.body).toContain('Log out of CCASS Authentication?');
    const action = new URL(formAction(confirmation.body, 'op.logoutForm'), running.issuer);
    const answer = await browser.request(action.toString(), { form: { xsrf: inputValue(confirmation.body, 'xsrf'), logout: 'yes' } });
    return followFrom(browser, answer, TERMINAL.postLogoutRedirectUri);
  }

  async function expectLoggedOut(browser: Browser): Promise<void> {
    expect((await silentAuthorization(browser, config)).callback?.get('error')).toBe('login_required');
  }

  /** The session lives on: prompt=none still gets a code. */
  async function expectStillLoggedIn(browser: Browser): Promise<void> {
    expect((await silentAuthorization(browser, config)).callback?.get('code')).toBeTruthy();
  }

  /**
   * The end-session request as the suite builds it (CreateEndSessionEndpointRequest, less what a
   * module removes): only the parameters given. openid-client's buildEndSessionUrl always adds
   * client_id, which the suite never sends, and which turns a request without id_token_hint into
   * one whose post_logout_redirect_uri may be followed.
   */
  function endSessionUrl(parameters: Record<string, string>): URL {
    const url = client.buildEndSessionUrl(config, parameters);
    url.searchParams.delete('client_id');
    return url;
  }

  /** The suite's end-session state: 128 characters, to check the provider does not corrupt it. */
  function suiteState(): string {
    return (client.randomState() + client.randomState() + client.randomState() + client.randomState()).slice(0, 128);
  }

  /** Our logged-out page, reached without ever going to the relying party. */
  function expectLoggedOutPage(page: Page): void {
    expect(page.url.startsWith(TERMINAL.postLogoutRedirectUri)).toBe(false);
    expect(new URL(page.url).pathname).toBe('/session/end/success');
    expect(page.status).toBe(200);
    expect(page.body).toContain('You have logged out');
  }

  /**
   * A page of ours that neither redirects nor links or posts to the relying party's post-logout
   * URI (the language switch repeats the request to us, the URI percent-encoded in its query).
   */
  function expectNoWayBack(page: Page): void {
    expect(page.headers.get('location')).toBeNull();
    expect(page.body).not.toContain(TERMINAL.postLogoutRedirectUri);
  }

  it('oidcc-rp-initiated-logout-discovery-endpoint-verification: discovery names the end-session endpoint', () => {
    expect(config.serverMetadata().end_session_endpoint).toBe(`${running.issuer}/session/end`);
  });

  describe.each(['GET', 'POST'] as Method[])('over %s', (method) => {
    it('oidcc-rp-initiated-logout: back to the post_logout_redirect_uri with the state; prompt=none then fails', async () => {
      const { browser, idToken } = await loggedIn();
      const state = suiteState();
      const url = endSessionUrl({ id_token_hint: idToken, post_logout_redirect_uri: TERMINAL.postLogoutRedirectUri, state });
      const back = await confirmLogout(browser, await navigate(browser, url, method));
      expect(back.url.startsWith(TERMINAL.postLogoutRedirectUri)).toBe(true);
      expect(new URL(back.url).searchParams.get('state')).toBe(state);
      await expectLoggedOut(browser);
    });

    it('oidcc-rp-initiated-logout-no-state: back to the post_logout_redirect_uri without a state', async () => {
      const { browser, idToken } = await loggedIn();
      const url = endSessionUrl({ id_token_hint: idToken, post_logout_redirect_uri: TERMINAL.postLogoutRedirectUri });
      const back = await confirmLogout(browser, await navigate(browser, url, method));
      expect(new URL(back.url).searchParams.has('state')).toBe(false);
      await expectLoggedOut(browser);
    });

    it('oidcc-rp-initiated-logout-no-params: the user is asked, logged out, and shown the logged-out page', async () => {
      const { browser } = await loggedIn();
      const page = await confirmLogout(browser, await navigate(browser, new URL('/session/end', running.issuer), method));
      expect(page.status).toBe(200);
      expect(page.body).toContain('You have logged out');
      await expectLoggedOut(browser);
    });

    it('oidcc-rp-initiated-logout-bad-post-logout-redirect-uri: an unregistered post_logout_redirect_uri is never followed', async () => {
      const { browser, idToken } = await loggedIn();
      const url = endSessionUrl({ id_token_hint: idToken, post_logout_redirect_uri: 'http://127.0.0.1:9999/elsewhere' });
      const page = await navigate(browser, url, method);
      expect(page.status).toBe(400);
      expect(page.headers.get('location')).toBeNull();
      expect(page.body).toContain('Logout could not continue');
    });

    it('oidcc-rp-initiated-logout-query-added-to-post-logout-redirect-uri: a registered URI with a query added is never followed', async () => {
      const { browser, idToken } = await loggedIn();
      const url = endSessionUrl({ id_token_hint: idToken, post_logout_redirect_uri: `${TERMINAL.postLogoutRedirectUri}?foo=bar` });
      const page = await navigate(browser, url, method);
      expect(page.status).toBe(400);
      expect(page.body).toContain('Logout could not continue');
    });

    it('oidcc-rp-initiated-logout-modified-id-token-hint: an id_token_hint changed to alg none is refused', async () => {
      const { browser, idToken } = await loggedIn();
      const [, payload] = idToken.split('.');
      const unsigned = `${Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url')}.${payload}.`;
      const url = endSessionUrl({ id_token_hint: unsigned, post_logout_redirect_uri: TERMINAL.postLogoutRedirectUri });
      const page = await navigate(browser, url, method);
      expect(page.status).toBe(400);
      expect(page.headers.get('location')).toBeNull();
      expect(page.body).toContain('Logout could not continue');
    });

    it('oidcc-rp-initiated-logout-no-id-token-hint: a post_logout_redirect_uri without id_token_hint is asked about and never followed', async () => {
      // The suite sends post_logout_redirect_uri and state only (no client_id): the OP must not
      // redirect back, and may show an error or ask the user.
      const { browser } = await loggedIn();
      const url = endSessionUrl({ post_logout_redirect_uri: TERMINAL.postLogoutRedirectUri, state: suiteState() });
      const confirmation = await navigate(browser, url, method);
      expect(confirmation.status).toBe(200);
      expectNoWayBack(confirmation);
      expect(confirmation.body).not.toContain('asks to log you out'); // no client is known to name
      // Answered "yes": logged out, on our page, not sent to the relying party.
      const page = await confirmLogout(browser, confirmation);
      expectLoggedOutPage(page);
      await expectLoggedOut(browser);
    });

    it('oidcc-rp-initiated-logout-no-post-logout-redirect-uri: id_token_hint and state only: logged out, shown the logged-out page', async () => {
      const { browser, idToken } = await loggedIn();
      const url = endSessionUrl({ id_token_hint: idToken, state: suiteState() });
      const confirmation = await navigate(browser, url, method);
      expectNoWayBack(confirmation);
      expect(confirmation.body).toContain('CCASS Terminal asks to log you out.');
      const page = await confirmLogout(browser, confirmation);
      expectLoggedOutPage(page);
      expect(new URL(page.url).searchParams.has('state')).toBe(false);
      await expectLoggedOut(browser);
    });

    it('oidcc-rp-initiated-logout-only-state: only a state: logged out, shown the logged-out page', async () => {
      const { browser } = await loggedIn();
      const url = endSessionUrl({ state: suiteState() });
      const confirmation = await navigate(browser, url, method);
      expectNoWayBack(confirmation);
      const page = await confirmLogout(browser, confirmation);
      expectLoggedOutPage(page);
      expect(new URL(page.url).searchParams.has('state')).toBe(false);
      await expectLoggedOut(browser);
    });

    it('oidcc-rp-initiated-logout-bad-id-token-hint: the suite\'s id_token_hint, "issued" by the client and signed with its secret, is refused', async () => {
      // What the suite signs (GenerateFakeIdTokenClaims, SignFakeIdToken): iss and aud swapped,
      // HS256 with the client secret (GenerateJWKsFromClientSecret, no kid).
      const { browser } = await loggedIn();
      const now = Math.floor(running.clock.now().getTime() / 1000);
      const fake = await new SignJWT({ iss: TERMINAL.clientId, sub: 'SubjectID', aud: running.issuer, nonce: 'flibble', iat: now, exp: now + 300 })
        .setProtectedHeader({ alg: 'HS256' })
        .sign(new TextEncoder().encode(TERMINAL.clientSecret));
      const url = endSessionUrl({ id_token_hint: fake, post_logout_redirect_uri: TERMINAL.postLogoutRedirectUri, state: suiteState() });
      const page = await navigate(browser, url, method);
      expect(page.status).toBe(400);
      expectNoWayBack(page);
      // oidc-provider takes the hint's aud (our issuer) for the client, and finds none.
      expect(page.body).toContain('Logout could not continue');
      expect(page.body).toContain('is not registered with CCASS Authentication');
      expect(page.body).not.toContain('Log out of CCASS Authentication?');
      await expectStillLoggedIn(browser); // a refused request ends nothing
    });

    it('oidcc-rp-initiated-logout-bad-id-token-hint: a real ID token\'s claims signed by another key under our kid are refused', async () => {
      const { browser, idToken } = await loggedIn();
      const { alg, kid } = decodeProtectedHeader(idToken);
      const { privateKey } = await generateKeyPair(alg as string);
      const forged = await new SignJWT(decodeJwt(idToken)).setProtectedHeader({ alg: alg as string, kid: kid as string }).sign(privateKey);
      const url = endSessionUrl({ id_token_hint: forged, post_logout_redirect_uri: TERMINAL.postLogoutRedirectUri, state: suiteState() });
      const page = await navigate(browser, url, method);
      expect(page.status).toBe(400);
      expectNoWayBack(page);
      expect(page.body).toContain('Logout could not continue');
      expect(page.body).toContain('could not be accepted, so you may still be logged in');
      await expectStillLoggedIn(browser);
    });
  });

  it('not in the plan: with client_id but no id_token_hint (as openid-client sends it), the registered post_logout_redirect_uri is followed once the user agrees', async () => {
    // RP-Initiated Logout §2: client_id lets the OP check post_logout_redirect_uri without a hint.
    const { browser } = await loggedIn();
    const url = client.buildEndSessionUrl(config, { post_logout_redirect_uri: TERMINAL.postLogoutRedirectUri, state: 'bye' });
    expect(url.searchParams.get('client_id')).toBe(TERMINAL.clientId);
    const confirmation = await browser.request(url.toString());
    expect(confirmation.headers.get('location')).toBeNull();
    expect(confirmation.body).toContain('CCASS Terminal asks to log you out.');
    const back = await confirmLogout(browser, confirmation);
    expect(back.url.startsWith(TERMINAL.postLogoutRedirectUri)).toBe(true);
    expect(new URL(back.url).searchParams.get('state')).toBe('bye');
    await expectLoggedOut(browser);
  });

  /** The confirmation page answered "No, stay logged in": the page the browser ends on. */
  async function declineLogout(browser: Browser, confirmation: Page): Promise<Page> {
    const action = new URL(formAction(confirmation.body, 'op.logoutForm'), running.issuer);
    const answer = await browser.request(action.toString(), { form: { xsrf: inputValue(confirmation.body, 'xsrf') } });
    return followFrom(browser, answer, TERMINAL.postLogoutRedirectUri);
  }

  it('not in the plan: "No, stay logged in" on the confirmation of a logout without a client says the login goes on, not that it ended', async () => {
    // As after oidcc-rp-initiated-logout-only-state (or -no-id-token-hint, -no-params), the user declining.
    const { browser } = await loggedIn();
    const page = await declineLogout(browser, await navigate(browser, endSessionUrl({ state: suiteState() })));
    expect(new URL(page.url).pathname).toBe('/session/end/success');
    expect(page.body).toContain('<h1>You are still logged in to CCASS Authentication</h1>');
    expect(page.body).toContain('<title>Still logged in · CCASS Authentication</title>');
    expect(page.body).not.toContain('You have logged out');
    await expectStillLoggedIn(browser);
  });

  it('not in the plan: "No, stay logged in" when a client asked ends only its part, and says so, in Chinese too', async () => {
    const { browser, idToken } = await loggedIn();
    const chinese = new Browser({}, { 'accept-language': 'zh-Hant-HK' });
    for (const cookie of await browser.jar.getCookies(running.issuer)) await chinese.jar.setCookie(cookie, running.issuer);
    const page = await declineLogout(chinese, await navigate(chinese, endSessionUrl({ id_token_hint: idToken, state: suiteState() })));
    expect(new URL(page.url).searchParams.get('client_id')).toBe(TERMINAL.clientId);
    expect(page.body).toContain('<h1>您仍處於中央結算系統身分認證的登入狀態</h1>');
    expect(page.body).toContain('<p>您已登出中央結算系統終端機。</p>');
    expect(page.body).not.toContain('<h1>您已登出</h1>');
    await expectStillLoggedIn(chinese);
  });

  it('a cross-site POST to the end-session endpoint carries no SameSite=Lax cookie: no confirmation, the browser forgets the session, the server keeps it', async () => {
    const { browser, idToken } = await loggedIn();
    // The session cookie as it was, to show what the server still holds afterwards.
    const before = new Browser();
    for (const cookie of await browser.jar.getCookies(running.issuer)) await before.jar.setCookie(cookie, running.issuer);

    const url = client.buildEndSessionUrl(config, { id_token_hint: idToken, post_logout_redirect_uri: TERMINAL.postLogoutRedirectUri, state: 'bye' });
    const page = await crossSitePost(browser, url);
    // oidc-provider finds no session, so asks nothing: our "Logging you out" page submits its own confirmation.
    expect(page.status).toBe(200);
    expect(page.body).toContain('Logging you out');
    expect(page.body).not.toContain('Log out of CCASS Authentication?');
    const confirm = new URL(formAction(page.body), running.issuer);
    const back = await followFrom(browser, await browser.request(confirm.toString(), { form: { xsrf: inputValue(page.body, 'xsrf'), logout: 'yes' } }), TERMINAL.postLogoutRedirectUri);
    expect(new URL(back.url).searchParams.get('state')).toBe('bye');
    // The answer set a new, empty session cookie in place of the real one: this browser is logged out ...
    await expectLoggedOut(browser);
    // ... but the session it had was never seen, so not ended: its cookie still logs in silently.
    expect((await silentAuthorization(before, config)).callback?.get('code')).toBeTruthy();
  });
});
