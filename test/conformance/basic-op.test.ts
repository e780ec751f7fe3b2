/**
 * The OpenID conformance suite's Basic OP plan (oidcc-basic-certification-test-plan), module by
 * module, for the modules this server's POST, login_hint and redirect_uri handling answer
 * (docs/conformance.md lists every module of the plan and where it is covered).
 */
import request from 'supertest';
import type * as client from 'openid-client';
import { Browser } from '../support/browser.js';
import { authorizationRequest, authorize, crossSitePost, discoverTerminal, followFrom, navigate, silentAuthorization } from '../support/conformance.js';
import { seedUser, TERMINAL, useTestServer, type RunningTestServer, type SeededUser } from '../support/server.js';
// oidcc-refresh-token (the last block) — its own imports, kept apart from the ones above.
import * as oidc from 'openid-client';
import { followToCallback, passwordStep, startAuthorization, submitCode } from '../support/flows.js';
import { rfc6238 } from '../support/totp.js';
import { PUBLIC_CLIENT } from '../support/server.js';
// oidcc-server with client_auth_type=private_key_jwt (the block after it) — its own imports.
import { exportJWK, generateKeyPair, type CryptoKey } from 'jose';
import { useSameRealmClone } from '../support/same-realm-clone.js';
import { withClients } from '../support/server.js';

describe('Basic OP plan', () => {
  let running: RunningTestServer;
  let user: SeededUser;
  let config: client.Configuration;
  useTestServer((started) => ({ running } = started));
  beforeAll(async () => {
    user = await seedUser(running.server, running.config, { participantId: 'B01234', userId: 'TRADER1', email: 'trader1@example.com' }, running.clock);
    config = await discoverTerminal(running);
  });

  describe('oidcc-ensure-post-request-succeeds', () => {
    it('oidcc-ensure-post-request-succeeds: the authorization request POSTed as a form logs in and returns a code', async () => {
      const browser = new Browser();
      const tokens = await authorize(running, config, browser, user, { method: 'POST', extra: { scope: 'openid profile' } });
      expect(tokens.claims()).toMatchObject({ iss: running.issuer, aud: TERMINAL.clientId, sub: user.subject, participant_id: 'B01234', user_id: 'TRADER1', name: 'User TRADER1' });
      // A POST from a page of the same site (a relying party on the provider's site) carries the session cookie.
      const again = await silentAuthorization(browser, config, {}, 'POST');
      expect(again.callback?.get('code')).toBeTruthy();
    });

    it('a cross-site POST carries no SameSite=Lax cookie: prompt=none gets login_required, otherwise the login page', async () => {
      const browser = new Browser();
      await authorize(running, config, browser, user);
      const silent = await authorizationRequest(config, { prompt: 'none' });
      const answer = await followFrom(browser, await crossSitePost(browser, silent.url));
      expect(new URL(answer.url).searchParams.get('error')).toBe('login_required');
      const loud = await authorizationRequest(config);
      const loginPage = await followFrom(browser, await crossSitePost(browser, loud.url));
      expect(loginPage.body).toContain('Log in to CCASS Terminal');
      // The session itself was not touched: the same browser, navigating (GET), is still logged in.
      expect((await silentAuthorization(browser, config)).callback?.get('code')).toBeTruthy();
    });

    it('refuses a parameter given twice, or in both the query and the body, with invalid_request', async () => {
      const { url } = await authorizationRequest(config);
      const body = url.searchParams.toString();
      const inBoth = await request(running.http).post(`/auth?state=${url.searchParams.get('state')}`).type('form').set('Accept', 'application/json').send(body).expect(400);
      expect(inBoth.body).toEqual({ error: 'invalid_request', error_description: expect.stringContaining("'state' parameter must not be provided twice") });
      const twice = await request(running.http).post('/auth').type('form').send(`${body}&scope=openid`).expect(400);
      expect(twice.text).toContain('Sign-in could not continue');
      expect(twice.headers['location']).toBeUndefined();
    });

    it('refuses a body that is not a url-encoded form (415), not UTF-8 (400), or over the size limit (413)', async () => {
      const { url } = await authorizationRequest(config);
      const json = await request(running.http).post('/auth').set('Accept', 'application/json').send(Object.fromEntries(url.searchParams)).expect(415);
      expect(json.body).toEqual({ error: 'invalid_request', error_description: 'only application/x-www-form-urlencoded bodies are accepted on POST /auth' });
      await request(running.http).post('/auth').type('form').send(`${url.searchParams}&login_hint=%C3%28`).expect(400);
      await request(running.http).post('/auth').type('form').send(`${url.searchParams}&extra=${'x'.repeat(20_000)}`).expect(413);
      // The other endpoints keep their own methods: POST on the token endpoint is oidc-provider's as before.
      const token = await request(running.http).post('/token').type('form').send({ grant_type: 'authorization_code' }).expect(400);
      expect(token.body).toMatchObject({ error: 'invalid_request', error_description: 'no client authentication mechanism provided' });
    });
  });

  it('oidcc-prompt-none-not-logged-in: login_required to the redirect_uri, over GET and POST', async () => {
    for (const method of ['GET', 'POST'] as const) {
      const { request: sent, callback } = await silentAuthorization(new Browser(), config, {}, method);
      expect(callback?.get('error')).toBe('login_required');
      expect(callback?.get('state')).toBe(sent.state);
    }
  });

  describe('oidcc-login-hint', () => {
    async function loginPageFor(hint: string, method: 'GET' | 'POST' = 'GET') {
      const { url } = await authorizationRequest(config, { login_hint: hint });
      const browser = new Browser();
      return followFrom(browser, await navigate(browser, url, method));
    }

    it('oidcc-login-hint: a participant/user hint fills in both IDs, upper-cased as the login reads them', async () => {
      for (const hint of ['b01234/trader1', 'B01234:TRADER1', ' b01234 trader1 ']) {
        const page = await loginPageFor(hint);
        expect(page.status).toBe(200);
        expect(page.body).toMatch(/name="participantId"[^>]*value="B01234"/);
        expect(page.body).toMatch(/name="userId"[^>]*value="TRADER1"/);
        // Who is logging in is known: the cursor starts in the password field.
        expect(page.body).toMatch(/id="password"[^>]*autofocus/);
      }
      expect((await loginPageFor('B01234/TRADER1', 'POST')).body).toMatch(/name="userId"[^>]*value="TRADER1"/);
    });

    it('ignores a hint that does not parse, never an error; what it holds is never reflected unescaped', async () => {
      for (const hint of ['buffy@example.com', 'B01234', 'B01234/TRADER1/X', '"><script>alert(1)</script>', 'B01234/"><script>alert(1)</script>', 'x'.repeat(500)]) {
        const page = await loginPageFor(hint);
        expect(page.status).toBe(200);
        expect(page.body).toContain('Log in to CCASS Terminal');
        expect(page.body).toMatch(/name="participantId"[^>]*value=""/);
        expect(page.body).not.toContain('<script>alert');
        expect(page.body).not.toContain('"><');
      }
    });

    it('a hint proves nothing: the user still types the password, and logs in as who they are', async () => {
      const other = await seedUser(running.server, running.config, { participantId: 'B01234', userId: 'TRADER2' }, running.clock);
      const tokens = await authorize(running, config, new Browser(), other, { extra: { login_hint: 'B01234/TRADER1' } });
      expect(tokens.claims()).toMatchObject({ sub: other.subject, user_id: 'TRADER2' });
    });
  });

  it('oidcc-ensure-redirect-uri-in-authorization-request: no redirect_uri is refused on our error page, even for a client with one registered', async () => {
    const refusals: Array<{ error: string; error_description?: string }> = [];
    const provider = running.server.provider as unknown as NodeJS.EventEmitter;
    const listen = (_ctx: unknown, error: { error: string; error_description?: string }) => refusals.push({ error: error.error, error_description: error.error_description });
    provider.on('authorization.error', listen);
    for (const method of ['GET', 'POST'] as const) {
      const { url } = await authorizationRequest(config, { redirect_uri: undefined });
      const browser = new Browser();
      const page = await navigate(browser, url, method);
      expect(page.status).toBe(400);
      expect(page.headers.get('location')).toBeNull();
      expect(page.body).toContain('Sign-in could not continue');
      expect(page.body).toContain('made a sign-in request that this service cannot accept');
    }
    provider.off('authorization.error', listen);
    expect(refusals).toEqual([0, 1].map(() => ({ error: 'invalid_request', error_description: "missing required parameter 'redirect_uri'" })));
  });

  it('oidcc-ensure-registered-redirect-uri: an unregistered redirect_uri is refused on our error page', async () => {
    const { url } = await authorizationRequest(config, { redirect_uri: 'http://127.0.0.1:9999/elsewhere' });
    const page = await navigate(new Browser(), url);
    expect(page.status).toBe(400);
    expect(page.headers.get('location')).toBeNull();
    expect(page.body).toContain('Sign-in could not continue');
  });
});

describe('Basic OP plan: oidcc-refresh-token', () => {
  let running: RunningTestServer;
  useTestServer((started) => ({ running } = started));

  it('oidcc-refresh-token: a refresh gives a new ID token for the same login and a new refresh token, and a refresh token of another client is refused', async () => {
    const who = await seedUser(running.server, running.config, { participantId: 'B01235', userId: 'REFRESHER', email: 'refresher@example.com' }, running.clock);
    const config = await discoverTerminal(running);
    expect(config.serverMetadata().grant_types_supported).toContain('refresh_token');
    const first = await authorize(running, config, new Browser(), who, { extra: { scope: 'openid offline_access' } });
    const refreshToken = first.refresh_token as string;
    // RFC 6749 Appendix A.17: a refresh token is VSCHAR only.
    expect(refreshToken).toMatch(/^[\x20-\x7e]+$/);

    const second = await oidc.refreshTokenGrant(config, refreshToken);
    const before = first.claims() as oidc.IDToken;
    const after = second.claims() as oidc.IDToken;
    // OIDC Core 12.2: iss, sub, aud and auth_time as in the first ID token; a new iat; no new nonce.
    expect(after).toMatchObject({ iss: before.iss, sub: before.sub, aud: before.aud, auth_time: before.auth_time, acr: before.acr });
    expect(after.iat).toBeGreaterThanOrEqual(before.iat);
    expect(after.nonce === undefined || after.nonce === before.nonce).toBe(true);
    expect(second.refresh_token).toBeTruthy();
    expect(second.refresh_token).not.toBe(refreshToken);
    expect((await oidc.fetchUserInfo(config, second.access_token, before.sub)).sub).toBe(before.sub);

    // The suite's second client: a refresh token issued to it is refused to the first (RFC 6749 §6).
    const other = await seedUser(running.server, running.config, { participantId: 'B01235', userId: 'OTHERAPP' }, running.clock);
    const start = await startAuthorization(running.issuer, { client_id: PUBLIC_CLIENT.clientId, redirect_uri: PUBLIC_CLIENT.redirectUri });
    const codePage = await passwordStep(start, { participantId: other.participantId, userId: other.userId, password: other.password });
    const afterCode = await submitCode(start, codePage, rfc6238(other.totpSecret as Buffer, running.clock.now().getTime() / 1000));
    running.clock.advance(30);
    const callback = await followToCallback(start, afterCode, PUBLIC_CLIENT.redirectUri);
    const publicConfig = await oidc.discovery(new URL(running.issuer), PUBLIC_CLIENT.clientId, undefined, oidc.None(), { execute: [oidc.allowInsecureRequests] });
    const theirs = await oidc.authorizationCodeGrant(publicConfig, callback, { pkceCodeVerifier: start.codeVerifier, expectedNonce: start.nonce, expectedState: start.state });
    await expect(oidc.refreshTokenGrant(config, theirs.refresh_token as string)).rejects.toMatchObject({ error: 'invalid_grant' });
    // ... and refusing it ended nothing: it still works for its own client.
    expect((await oidc.refreshTokenGrant(publicConfig, theirs.refresh_token as string)).access_token).toBeTruthy();
  });
});

/**
 * The suite's `oidcc-test-plan` runs its modules with a `client_auth_type` variant; the Basic OP
 * certification plan fixes client_secret_basic. `oidcc-server` with `private_key_jwt`: the happy
 * flow of a client that authenticates with an assertion signed by its own key (here: ES256, the
 * public key in the client's inline jwks).
 */
describe('oidcc-test-plan [client_auth_type=private_key_jwt]', () => {
  const KEYED = { clientId: 'conformance-keyed', redirectUri: 'http://127.0.0.1:9994/callback', kid: 'conformance-es256' };
  let running: RunningTestServer;
  let keyPair: { privateKey: CryptoKey; publicJwk: Record<string, unknown> };
  useSameRealmClone();
  beforeAll(async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    keyPair = { privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid: KEYED.kid, alg: 'ES256', use: 'sig' } };
  });
  useTestServer(
    (started) => ({ running } = started),
    () => withClients({ client_id: KEYED.clientId, redirect_uris: [KEYED.redirectUri], token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [keyPair.publicJwk] }, first_party: true }),
  );

  it('oidcc-server (private_key_jwt): code flow, the token request authenticated by a signed assertion, a valid ID token and userinfo', async () => {
    const who = await seedUser(running.server, running.config, { participantId: 'B01237', userId: 'KEYFLOW', email: 'keyflow@example.com' }, running.clock);
    const config = await oidc.discovery(new URL(running.issuer), KEYED.clientId, undefined, oidc.PrivateKeyJwt({ key: keyPair.privateKey, kid: KEYED.kid }), {
      execute: [oidc.allowInsecureRequests],
    });
    expect(config.serverMetadata().token_endpoint_auth_methods_supported).toContain('private_key_jwt');
    expect(config.serverMetadata().token_endpoint_auth_signing_alg_values_supported).toContain('ES256');
    const start = await startAuthorization(running.issuer, { client_id: KEYED.clientId, redirect_uri: KEYED.redirectUri, scope: 'openid profile' });
    const codePage = await passwordStep(start, { participantId: who.participantId, userId: who.userId, password: who.password });
    const afterCode = await submitCode(start, codePage, rfc6238(who.totpSecret as Buffer, running.clock.now().getTime() / 1000));
    running.clock.advance(30);
    const callback = await followToCallback(start, afterCode, KEYED.redirectUri);
    // openid-client checks the ID token (iss, aud, nonce, signature with the provider's jwks) as the module does.
    const tokens = await oidc.authorizationCodeGrant(config, callback, { pkceCodeVerifier: start.codeVerifier, expectedNonce: start.nonce, expectedState: start.state });
    expect(tokens.token_type.toLowerCase()).toBe('bearer');
    expect(tokens.claims()).toMatchObject({ iss: running.issuer, aud: KEYED.clientId, sub: who.subject, participant_id: 'B01237', user_id: 'KEYFLOW' });
    expect((await oidc.fetchUserInfo(config, tokens.access_token, who.subject)).sub).toBe(who.subject);
  });
});
