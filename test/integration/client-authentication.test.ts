/**
 * Discovery and configuration agree on client authentication: discovery lists exactly the
 * methods a configured client can be given (a secret, or private_key_jwt with its public keys;
 * and `none`, for public clients), and the token endpoint accepts nothing else — no
 * client_secret_jwt, which no client can be registered with.
 */
import { generateKeyPairSync } from 'node:crypto';
import request from 'supertest';
import { ConfigError, loadConfig } from '../../src/config/load.js';
import { CLIENT_ASSERTION_SIGNING_ALGS, CONFIDENTIAL_CLIENT_AUTH_METHODS } from '../../src/config/schema.js';
import { TERMINAL, useTestServer, type RunningTestServer } from '../support/server.js';

const PROBE_KEY = { ...generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' }), kid: 'probe-key' };

/**
 * Whether the configuration schema accepts a client with this token_endpoint_auth_method, with
 * its credentials (a secret; for private_key_jwt its public keys instead) or without any.
 */
function configurable(method: string, withCredentials: boolean, extra: Record<string, unknown> = {}): boolean {
  const credentials = method === 'private_key_jwt' ? { jwks: { keys: [PROBE_KEY] } } : { client_secret: 'a-client-secret-of-at-least-32-characters' };
  const client = {
    client_id: 'probe-client',
    redirect_uris: ['https://rp.example/cb'],
    ...(withCredentials ? credentials : {}),
    ...extra,
    ...(method === 'none' ? {} : { token_endpoint_auth_method: method }),
  };
  try {
    loadConfig({ raw: { oidc: { clients: [client] } }, env: {} });
    return true;
  } catch (error) {
    if (error instanceof ConfigError) return false;
    throw error;
  }
}

describe('client authentication in discovery and configuration', () => {
  let running: RunningTestServer;
  useTestServer((started) => ({ running } = started));

  const candidates = ['client_secret_basic', 'client_secret_post', 'client_secret_jwt', 'private_key_jwt', 'tls_client_auth', 'self_signed_tls_client_auth', 'none'];

  it('lists exactly the methods a client can be configured with, for every endpoint that authenticates clients', async () => {
    const metadata = (await request(running.http).get('/.well-known/openid-configuration').expect(200)).body;
    // A confidential client (with a secret or its keys) may name the method; a public client has none.
    const confidential = candidates.filter((method) => method !== 'none' && configurable(method, true));
    const allowed = [...confidential, ...(configurable('none', false) ? ['none'] : [])];
    expect(confidential).toEqual([...CONFIDENTIAL_CLIENT_AUTH_METHODS]);
    expect([...metadata.token_endpoint_auth_methods_supported].sort()).toEqual([...allowed].sort());
    expect([...metadata.revocation_endpoint_auth_methods_supported].sort()).toEqual([...allowed].sort());
    // Public clients may not introspect.
    expect([...metadata.introspection_endpoint_auth_methods_supported].sort()).toEqual([...confidential].sort());
    // private_key_jwt: the assertion algorithms a client's keys may have, at each endpoint.
    for (const endpoint of ['token', 'revocation', 'introspection']) {
      expect([...metadata[`${endpoint}_endpoint_auth_signing_alg_values_supported`]].sort()).toEqual([...CLIENT_ASSERTION_SIGNING_ALGS].sort());
    }
  });

  it('refuses in configuration a method named for a public client, or one it cannot carry out', () => {
    for (const method of CONFIDENTIAL_CLIENT_AUTH_METHODS) expect(configurable(method, false)).toBe(false);
    for (const method of ['client_secret_jwt', 'tls_client_auth']) expect(configurable(method, true)).toBe(false);
    // private_key_jwt has keys, never a secret as well.
    expect(configurable('private_key_jwt', true, { client_secret: 'a-client-secret-of-at-least-32-characters' })).toBe(false);
  });

  it('accepts the secret in the Authorization header or in the body, and no client assertion', async () => {
    const form = { grant_type: 'refresh_token', refresh_token: 'not-a-refresh-token' };
    // Authenticated either way: the refusal is about the token, not the client.
    expect((await request(running.http).post('/token').auth(TERMINAL.clientId, TERMINAL.clientSecret).type('form').send(form)).body).toMatchObject({ error: 'invalid_grant' });
    expect(
      (await request(running.http).post('/token').type('form').send({ ...form, client_id: TERMINAL.clientId, client_secret: TERMINAL.clientSecret })).body,
    ).toMatchObject({ error: 'invalid_grant' });
    // A client assertion authenticates no client registered with a secret (nor an HS256 one anybody).
    const header = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');
    const claims = Buffer.from(JSON.stringify({ iss: TERMINAL.clientId, sub: TERMINAL.clientId, aud: `${running.issuer}/token`, jti: 'x', exp: 4102444800 })).toString('base64url');
    const assertion = await request(running.http)
      .post('/token')
      .type('form')
      .send({ ...form, client_id: TERMINAL.clientId, client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: `${header}.${claims}.c2lnbmF0dXJl` });
    expect(assertion.status).toBe(401);
    expect(assertion.body).toMatchObject({ error: 'invalid_client' });
  });
});
