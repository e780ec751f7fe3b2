/** Steps of the authorization code flow as a browser performs them, for integration tests. */
import { createHash, randomBytes } from 'node:crypto';
import { Browser, inputValue, type Page } from './browser.js';
import request from 'supertest';
import type { Server as HttpServer } from 'node:http';
import { TERMINAL } from './server.js';
import { rfc6238 } from './totp.js';

export interface AuthorizationStart {
  browser: Browser;
  loginPage: Page;
  interactionUrl: string;
  codeVerifier: string;
  state: string;
  nonce: string;
}

export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/** Opens /auth for CCASS Terminal (or the client `extra` names) and follows the redirect to the login page. */
export async function startAuthorization(issuer: string, extra: Record<string, string> = {}, browser = new Browser()): Promise<AuthorizationStart> {
  const { verifier, challenge } = pkcePair();
  const state = randomBytes(8).toString('hex');
  const nonce = randomBytes(8).toString('hex');
  const url = new URL('/auth', issuer);
  url.search = new URLSearchParams({
    client_id: TERMINAL.clientId,
    response_type: 'code',
    scope: 'openid profile email',
    redirect_uri: TERMINAL.redirectUri,
    code_challenge: challenge,
    code_challenge_method: 'S256',
    state,
    nonce,
    ...extra,
  }).toString();
  // A session that needs no login goes straight back to the relying party (`extra` may name another client): stop there.
  const redirectUri = extra['redirect_uri'] ?? TERMINAL.redirectUri;
  const loginPage = await browser.follow(url.toString(), {}, (next) => next.toString().startsWith(redirectUri));
  return { browser, loginPage, interactionUrl: loginPage.url, codeVerifier: verifier, state, nonce };
}

/** Posts the login form of `start` with these fields (csrf filled in from the page unless given). */
export async function submitLogin(start: AuthorizationStart, fields: Record<string, string>): Promise<Page> {
  return start.browser.request(`${start.interactionUrl}/login`, {
    form: { csrf: inputValue(start.loginPage.body, 'csrf'), ...fields },
  });
}

/** Posts the password form and follows to the next page (the second factor, normally). */
export async function passwordStep(start: AuthorizationStart, fields: Record<string, string>): Promise<Page> {
  const afterPassword = await submitLogin(start, fields);
  if (afterPassword.status !== 303) return afterPassword;
  return start.browser.follow(new URL(afterPassword.headers.get('location') as string, afterPassword.url).toString());
}

/** Posts a one-time code on the current second-factor page. */
export async function submitCode(start: AuthorizationStart, page: Page, code: string, action = 'otp'): Promise<Page> {
  return start.browser.request(`${start.interactionUrl}/${action}`, { form: { csrf: inputValue(page.body, 'csrf'), code } });
}

/** After the last successful step, follows redirects up to the relying party's callback and returns its URL. */
export async function followToCallback(start: AuthorizationStart, afterLogin: Page, redirectUri: string = TERMINAL.redirectUri): Promise<URL> {
  const location = afterLogin.headers.get('location');
  if (!location) throw new Error(`expected a redirect after login, got ${afterLogin.status}`);
  const page = await start.browser.follow(new URL(location, afterLogin.url).toString(), {}, (next) => next.toString().startsWith(redirectUri));
  return new URL(page.url);
}

/**
 * A whole password + authenticator-code login of a seeded TOTP user at `client`, up to its
 * callback (the clock then moves one step on, so the next login's code is a new one).
 */
export async function loginToCallback(
  running: { issuer: string; clock: { now(): Date; advance(seconds: number): void } },
  user: { participantId: string; userId: string; password: string; totpSecret?: Buffer | undefined },
  client: { clientId: string; redirectUri: string } = TERMINAL,
): Promise<{ start: AuthorizationStart; callback: URL }> {
  const start = await startAuthorization(running.issuer, { client_id: client.clientId, redirect_uri: client.redirectUri });
  const codePage = await passwordStep(start, { participantId: user.participantId, userId: user.userId, password: user.password });
  const afterCode = await submitCode(start, codePage, rfc6238(user.totpSecret as Buffer, running.clock.now().getTime() / 1000));
  running.clock.advance(30);
  return { start, callback: await followToCallback(start, afterCode, client.redirectUri) };
}

/** Exchanges the code in `callback` at the token endpoint as CCASS Terminal would. */
export async function exchangeCode(
  http: Parameters<typeof request>[0],
  start: AuthorizationStart,
  callback: URL,
  client: { clientId: string; clientSecret: string; redirectUri: string } = TERMINAL,
): Promise<{ id_token: string; access_token: string; refresh_token?: string }> {
  const response = await request(http)
    .post('/token')
    .auth(client.clientId, client.clientSecret)
    .type('form')
    .send({ grant_type: 'authorization_code', code: callback.searchParams.get('code'), redirect_uri: client.redirectUri, code_verifier: start.codeVerifier })
    .expect(200);
  return response.body;
}

/** A refresh token grant as CCASS Terminal would send it; expects 200 and returns the new tokens. */
export async function refreshGrant(http: HttpServer, refreshToken: string | undefined): Promise<{ id_token: string; access_token: string; refresh_token?: string }> {
  const response = await request(http)
    .post('/token')
    .auth(TERMINAL.clientId, TERMINAL.clientSecret)
    .type('form')
    .send({ grant_type: 'refresh_token', refresh_token: refreshToken })
    .expect(200);
  return response.body;
}
