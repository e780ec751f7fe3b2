/**
 * What the OpenID conformance suite does to an OP, done with openid-client and the test
 * browser: discover, build the authorization request, let the browser take it there (GET, or
 * POST as the suite's `browser.goToUrl(url, null, "POST")` does), log in, take the callback,
 * redeem the code. Each test of test/conformance is one module of the suite's plans.
 */
import * as client from 'openid-client';
import { inputValue, type Browser, type Page } from './browser.js';
import { rfc6238 } from './totp.js';
import { TERMINAL, type RunningTestServer, type SeededUser } from './server.js';

export type Method = 'GET' | 'POST';

export async function discoverTerminal(running: RunningTestServer): Promise<client.Configuration> {
  return client.discovery(new URL(running.issuer), TERMINAL.clientId, undefined, client.ClientSecretBasic(TERMINAL.clientSecret), {
    execute: [client.allowInsecureRequests], // the test server is plain http on loopback
  });
}

export interface AuthorizationRequest {
  url: URL;
  verifier: string;
  nonce: string;
  state: string;
}

/** The request the suite's modules send: code flow, PKCE, nonce and state; `extra` adds to it (or, as undefined, removes). */
export async function authorizationRequest(config: client.Configuration, extra: Record<string, string | undefined> = {}): Promise<AuthorizationRequest> {
  const verifier = client.randomPKCECodeVerifier();
  const nonce = client.randomNonce();
  const state = client.randomState();
  const parameters: Record<string, string> = {
    redirect_uri: TERMINAL.redirectUri,
    scope: 'openid',
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    nonce,
    state,
  };
  for (const [name, value] of Object.entries(extra)) {
    if (value === undefined) delete parameters[name];
    else parameters[name] = value;
  }
  return { url: client.buildAuthorizationUrl(config, parameters), verifier, nonce, state };
}

/** The browser goes to `url` with GET, or POSTs its parameters as a form to the URL without its query. */
export function navigate(browser: Browser, url: URL, method: Method = 'GET'): Promise<Page> {
  if (method === 'GET') return browser.request(url.toString());
  const target = new URL(url);
  target.search = '';
  return browser.request(target.toString(), { form: Object.fromEntries(url.searchParams) });
}

/**
 * A cross-site POST as a browser sends it with our `SameSite=Lax` cookies: none of them go with
 * it, yet a cookie in the answer is kept (a top-level navigation may set `Lax` cookies).
 */
export async function crossSitePost(browser: Browser, url: URL): Promise<Page> {
  const target = new URL(url);
  target.search = '';
  const response = await fetch(target, {
    method: 'POST',
    headers: { accept: 'text/html', 'content-type': 'application/x-www-form-urlencoded', ...browser.headers },
    body: url.searchParams.toString(),
    redirect: 'manual',
  });
  for (const setCookie of response.headers.getSetCookie()) await browser.jar.setCookie(setCookie, target.toString());
  return { url: target.toString(), status: response.status, headers: response.headers, body: await response.text() };
}

/** Follows redirects from `page` until the relying party's `redirectUri` (returned as the URL reached) or a page of ours. */
export async function followFrom(browser: Browser, page: Page, redirectUri: string = TERMINAL.redirectUri): Promise<Page> {
  let current = page;
  for (let hops = 0; hops < 10 && current.status >= 300 && current.status < 400; hops += 1) {
    const next = new URL(current.headers.get('location') as string, current.url);
    if (next.toString().startsWith(redirectUri)) return { ...current, url: next.toString() };
    current = await browser.request(next.toString());
  }
  return current;
}

/** On the login page: password, then the authenticator's current code; returns the page after the code (a redirect). */
export async function logInOnPage(running: RunningTestServer, browser: Browser, loginPage: Page, who: SeededUser): Promise<Page> {
  const afterPassword = await browser.request(`${loginPage.url}/login`, {
    form: { csrf: inputValue(loginPage.body, 'csrf'), participantId: who.participantId, userId: who.userId, password: who.password },
  });
  const codePage = await browser.follow(new URL(afterPassword.headers.get('location') as string, afterPassword.url).toString());
  const code = rfc6238(who.totpSecret as Buffer, running.clock.now().getTime() / 1000);
  const afterCode = await browser.request(`${loginPage.url}/otp`, { form: { csrf: inputValue(codePage.body, 'csrf'), code } });
  running.clock.advance(30); // a code is accepted once: the next login uses the next time step
  return afterCode;
}

/** A whole authorization: the request (GET or POST), the login if one is asked for, the callback, the code redeemed. */
export async function authorize(
  running: RunningTestServer,
  config: client.Configuration,
  browser: Browser,
  who: SeededUser,
  options: { method?: Method; extra?: Record<string, string | undefined> } = {},
): Promise<client.TokenEndpointResponse & client.TokenEndpointResponseHelpers> {
  const request = await authorizationRequest(config, options.extra);
  let page = await followFrom(browser, await navigate(browser, request.url, options.method));
  if (!page.url.startsWith(TERMINAL.redirectUri)) page = await followFrom(browser, await logInOnPage(running, browser, page, who));
  return client.authorizationCodeGrant(config, new URL(page.url), { pkceCodeVerifier: request.verifier, expectedNonce: request.nonce, expectedState: request.state });
}

/** Where an authorization request lands without a login: the callback's parameters, or the page shown. */
export async function silentAuthorization(browser: Browser, config: client.Configuration, extra: Record<string, string | undefined> = {}, method: Method = 'GET') {
  const request = await authorizationRequest(config, { prompt: 'none', ...extra });
  const page = await followFrom(browser, await navigate(browser, request.url, method));
  return { request, page, callback: page.url.startsWith(TERMINAL.redirectUri) ? new URL(page.url).searchParams : undefined };
}
