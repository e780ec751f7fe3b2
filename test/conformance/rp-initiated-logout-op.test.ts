/**
 * The conformance suite's RP-Initiated Logout OP plan
 * (oidcc-rp-initiated-logout-certification-test-plan): each module logs in, then sends the
 * browser to the end-session endpoint. The suite navigates there (GET); RP-Initiated Logout §2
 * requires POST as well, so the modules that log out run both ways.
 */
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

  it('oidcc-rp-initiated-logout-discovery-endpoint-verification: discovery names the end-session endpoint', () => {
    expect(config.serverMetadata().end_session_endpoint).toBe(`${running.issuer}/session/end`);
  });

  describe.each(['GET', 'POST'] as Method[])('over %s', (method) => {
    it('oidcc-rp-initiated-logout: back to the post_logout_redirect_uri with the state; prompt=none then fails', async () => {
      const { browser, idToken } = await loggedIn();
      const state = client.randomState() + client.randomState() + client.randomState() + client.randomState(); // the suite sends 128 characters
      const url = client.buildEndSessionUrl(config, { id_token_hint: idToken, post_logout_redirect_uri: TERMINAL.postLogoutRedirectUri, state });
      const back = await confirmLogout(browser, await navigate(browser, url, method));
      expect(back.url.startsWith(TERMINAL.postLogoutRedirectUri)).toBe(true);
      expect(new URL(back.url).searchParams.get('state')).toBe(state);
      await expectLoggedOut(browser);
    });

    it('oidcc-rp-initiated-logout-no-state: back to the post_logout_redirect_uri without a state', async () => {
      const { browser, idToken } = await loggedIn();
      const url = client.buildEndSessionUrl(config, { id_token_hint: idToken, post_logout_redirect_uri: TERMINAL.postLogoutRedirectUri });
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
      const url = client.buildEndSessionUrl(config, { id_token_hint: idToken, post_logout_redirect_uri: 'http://127.0.0.1:9999/elsewhere' });
      const page = await navigate(browser, url, method);
      expect(page.status).toBe(400);
      expect(page.headers.get('location')).toBeNull();
      expect(page.body).toContain('Logout could not continue');
    });

    it('oidcc-rp-initiated-logout-query-added-to-post-logout-redirect-uri: a registered URI with a query added is never followed', async () => {
      const { browser, idToken } = await loggedIn();
      const url = client.buildEndSessionUrl(config, { id_token_hint: idToken, post_logout_redirect_uri: `${TERMINAL.postLogoutRedirectUri}?foo=bar` });
      const page = await navigate(browser, url, method);
      expect(page.status).toBe(400);
      expect(page.body).toContain('Logout could not continue');
    });

    it('oidcc-rp-initiated-logout-modified-id-token-hint: an id_token_hint changed to alg none is refused', async () => {
      const { browser, idToken } = await loggedIn();
      const [, payload] = idToken.split('.');
      const unsigned = `${Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url')}.${payload}.`;
      const url = client.buildEndSessionUrl(config, { id_token_hint: unsigned, post_logout_redirect_uri: TERMINAL.postLogoutRedirectUri });
      const page = await navigate(browser, url, method);
      expect(page.status).toBe(400);
      expect(page.headers.get('location')).toBeNull();
      expect(page.body).toContain('Logout could not continue');
    });
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
