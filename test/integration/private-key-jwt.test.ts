/**
 * Clients that authenticate with private_key_jwt (RFC 7523, OIDC Core 9): a client configured
 * with its public keys (`jwks`) redeems a code and refreshes with an assertion signed by its
 * private key; oidc-provider checks the assertion's signature, audience, expiry and jti (replay).
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import * as oidc from 'openid-client';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { followToCallback, passwordStep, startAuthorization, submitCode } from '../support/flows.js';
import { rfc6238 } from '../support/totp.js';
import { useSameRealmClone } from '../support/same-realm-clone.js';
import { seedUser, useTestServer, withClients, type RunningTestServer } from '../support/server.js';

const KEYED = { clientId: 'keyed-app', redirectUri: 'http://127.0.0.1:9995/callback', kid: 'keyed-app-2026' };
const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

describe('private_key_jwt client authentication', () => {
  let running: RunningTestServer;
  let privateKey: CryptoKey;
  let otherKey: CryptoKey;
  useSameRealmClone();
  beforeAll(async () => {
    ({ privateKey } = await generateKeyPair('ES256', { extractable: true }));
    ({ privateKey: otherKey } = await generateKeyPair('ES256'));
  });
  let publicJwk: Record<string, unknown>;
  beforeAll(async () => {
    // The public half of privateKey: a JWK without d.
    const { d: _d, ...pub } = await exportJWK(privateKey);
    publicJwk = { ...pub, kid: KEYED.kid, alg: 'ES256', use: 'sig' };
  });
  useTestServer(
    (started) => ({ running } = started),
    () =>
      withClients({
        client_id: KEYED.clientId,
        redirect_uris: [KEYED.redirectUri],
        token_endpoint_auth_method: 'private_key_jwt',
        jwks: { keys: [publicJwk] },
        first_party: true,
      }),
  );

  /** A client assertion (RFC 7523 §3) for the token endpoint, signed by `key`. */
  function assertion(key: CryptoKey, claims: { aud?: string; jti?: string; exp?: number } = {}): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ jti: claims.jti ?? randomUUID() })
      .setProtectedHeader({ alg: 'ES256', kid: KEYED.kid })
      .setIssuer(KEYED.clientId)
      .setSubject(KEYED.clientId)
      .setAudience(claims.aud ?? `${running.issuer}/token`)
      .setIssuedAt(now - 5)
      .setExpirationTime(claims.exp ?? now + 60)
      .sign(key);
  }

  /** A token request authenticated by `clientAssertion`: invalid_grant means the client was authenticated (the grant is made up). */
  async function tokenRequest(clientAssertion: string) {
    return request(running.http)
      .post('/token')
      .type('form')
      .send({ grant_type: 'refresh_token', refresh_token: 'not-a-refresh-token', client_id: KEYED.clientId, client_assertion_type: ASSERTION_TYPE, client_assertion: clientAssertion });
  }

  it('discovery lists private_key_jwt and the assertion algorithms for every endpoint that authenticates clients', async () => {
    const metadata = (await request(running.http).get('/.well-known/openid-configuration').expect(200)).body;
    for (const endpoint of ['token', 'introspection', 'revocation']) {
      expect(metadata[`${endpoint}_endpoint_auth_methods_supported`]).toContain('private_key_jwt');
      expect([...metadata[`${endpoint}_endpoint_auth_signing_alg_values_supported`]].sort()).toEqual(['ES256', 'PS256', 'RS256']);
    }
    expect(metadata.token_endpoint_auth_methods_supported).not.toContain('client_secret_jwt');
  });

  it('redeems a code and refreshes with openid-client, signing with the private key', async () => {
    const who = await seedUser(running.server, running.config, { participantId: 'B01236', userId: 'KEYUSER', email: 'keyuser@example.com' }, running.clock);
    const start = await startAuthorization(running.issuer, { client_id: KEYED.clientId, redirect_uri: KEYED.redirectUri, scope: 'openid offline_access' });
    const codePage = await passwordStep(start, { participantId: who.participantId, userId: who.userId, password: who.password });
    const afterCode = await submitCode(start, codePage, rfc6238(who.totpSecret as Buffer, running.clock.now().getTime() / 1000));
    running.clock.advance(30);
    const callback = await followToCallback(start, afterCode, KEYED.redirectUri);
    const config = await oidc.discovery(new URL(running.issuer), KEYED.clientId, undefined, oidc.PrivateKeyJwt({ key: privateKey, kid: KEYED.kid }), {
      execute: [oidc.allowInsecureRequests],
    });
    const tokens = await oidc.authorizationCodeGrant(config, callback, { pkceCodeVerifier: start.codeVerifier, expectedNonce: start.nonce, expectedState: start.state });
    expect(tokens.claims()).toMatchObject({ iss: running.issuer, aud: KEYED.clientId, sub: who.subject });
    const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token as string);
    expect(refreshed.claims()).toMatchObject({ sub: who.subject, aud: KEYED.clientId });
    expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);
    // The same key authenticates at introspection too.
    expect((await oidc.tokenIntrospection(config, refreshed.access_token)).active).toBe(true);
  });

  it('refuses an assertion brought back (same jti), one signed by another key, one for another audience, and an expired one', async () => {
    const once = await assertion(privateKey);
    expect((await tokenRequest(once)).body).toMatchObject({ error: 'invalid_grant' });
    const replayed = await tokenRequest(once);
    expect(replayed.status).toBe(401);
    expect(replayed.body).toMatchObject({ error: 'invalid_client' });

    for (const refused of [
      await assertion(otherKey),
      await assertion(privateKey, { aud: 'https://elsewhere.example/token' }),
      await assertion(privateKey, { exp: Math.floor(Date.now() / 1000) - 60 }),
    ]) {
      const answer = await tokenRequest(refused);
      expect(answer.status).toBe(401);
      expect(answer.body).toMatchObject({ error: 'invalid_client' });
    }
    // The issuer is an accepted audience as well (RFC 7523 §3, OIDC Core 9).
    expect((await tokenRequest(await assertion(privateKey, { aud: running.issuer }))).body).toMatchObject({ error: 'invalid_grant' });
  });

  it('refuses a secret from a client registered with private_key_jwt', async () => {
    const answer = await request(running.http)
      .post('/token')
      .auth(KEYED.clientId, 'a-client-secret-of-at-least-32-characters')
      .type('form')
      .send({ grant_type: 'refresh_token', refresh_token: 'not-a-refresh-token' });
    expect(answer.status).toBe(401);
    expect(answer.body).toMatchObject({ error: 'invalid_client' });
  });
});

describe('private_key_jwt with jwks_uri', () => {
  const FETCHED = { clientId: 'fetched-keys-app', redirectUri: 'http://127.0.0.1:9993/callback', kid: 'fetched-2026' };
  let running: RunningTestServer;
  let privateKey: CryptoKey;
  let keyServer: Server;
  let jwksUri: string;
  let fetches = 0;
  beforeAll(async () => {
    const pair = await generateKeyPair('RS256');
    privateKey = pair.privateKey;
    const body = JSON.stringify({ keys: [{ ...(await exportJWK(pair.publicKey)), kid: FETCHED.kid, alg: 'RS256', use: 'sig' }] });
    keyServer = createServer((_req, res) => {
      fetches += 1;
      res.writeHead(200, { 'content-type': 'application/json' }).end(body);
    });
    await new Promise<void>((resolve) => keyServer.listen(0, '127.0.0.1', resolve));
    jwksUri = `http://127.0.0.1:${(keyServer.address() as AddressInfo).port}/jwks`;
  });
  afterAll(async () => new Promise<void>((resolve) => keyServer.close(() => resolve())));
  useTestServer(
    (started) => ({ running } = started),
    () => withClients({ client_id: FETCHED.clientId, redirect_uris: [FETCHED.redirectUri], token_endpoint_auth_method: 'private_key_jwt', jwks_uri: jwksUri }),
  );

  it('fetches the client\'s keys from its jwks_uri and authenticates an assertion signed with one', async () => {
    const now = Math.floor(Date.now() / 1000);
    const sign = () =>
      new SignJWT({ jti: randomUUID() })
        .setProtectedHeader({ alg: 'RS256', kid: FETCHED.kid })
        .setIssuer(FETCHED.clientId)
        .setSubject(FETCHED.clientId)
        .setAudience(`${running.issuer}/token`)
        .setIssuedAt(now)
        .setExpirationTime(now + 60)
        .sign(privateKey);
    const send = async (clientAssertion: string) =>
      request(running.http)
        .post('/token')
        .type('form')
        .send({ grant_type: 'refresh_token', refresh_token: 'not-a-refresh-token', client_id: FETCHED.clientId, client_assertion_type: ASSERTION_TYPE, client_assertion: clientAssertion });
    expect((await send(await sign())).body).toMatchObject({ error: 'invalid_grant' });
    expect(fetches).toBeGreaterThanOrEqual(1);
    expect((await send(await sign())).body).toMatchObject({ error: 'invalid_grant' });
  });
});
