import request from 'supertest';
import { createTestDatabase } from '../support/database.js';
import { startTestServer, type RunningTestServer, useTestServer } from '../support/server.js';

describe('discovery, keys and health', () => {
  let running: RunningTestServer;
  useTestServer((started) => ({ running } = started));

  it('publishes OpenID Provider metadata for the code flow with PKCE S256', async () => {
    const response = await request(running.http).get('/.well-known/openid-configuration').expect(200);
    expect(response.body).toMatchObject({
      issuer: running.issuer,
      authorization_endpoint: `${running.issuer}/auth`,
      token_endpoint: `${running.issuer}/token`,
      jwks_uri: `${running.issuer}/jwks`,
      end_session_endpoint: `${running.issuer}/session/end`,
      revocation_endpoint: `${running.issuer}/token/revocation`,
      introspection_endpoint: `${running.issuer}/token/introspection`,
      response_types_supported: ['code'],
      code_challenge_methods_supported: ['S256'],
      grant_types_supported: expect.arrayContaining(['authorization_code', 'refresh_token']),
    });
    expect(response.body.claims_supported).toEqual(expect.arrayContaining(['sub', 'participant_id', 'user_id', 'email', 'acr', 'amr']));
  });

  it('publishes public signing keys only', async () => {
    const response = await request(running.http).get('/jwks').expect(200);
    expect(response.body.keys.length).toBeGreaterThanOrEqual(1);
    for (const key of response.body.keys) {
      expect(key.kid).toBeTruthy();
      for (const privatePart of ['d', 'p', 'q', 'dp', 'dq', 'qi']) expect(key).not.toHaveProperty(privatePart);
    }
    expect(response.body.keys.map((key: { alg: string }) => key.alg)).toContain('RS256');
  });

  it('keeps generated development keys across restarts', async () => {
    const before = await request(running.http).get('/jwks');
    await running.restart();
    const after = await request(running.http).get('/jwks');
    expect(after.body).toEqual(before.body);
  });

  it('reports liveness and readiness', async () => {
    await request(running.http).get('/healthz').expect(200, { status: 'ok' });
    const ready = await request(running.http).get('/readyz').expect(200);
    expect(ready.body).toEqual({ status: 'ready', checks: { database: 'ok' } });
  });

  it('echoes a sane request id and replaces an unsafe one', async () => {
    const echoed = await request(running.http).get('/healthz').set('X-Request-Id', 'trace-12345678');
    expect(echoed.headers['x-request-id']).toBe('trace-12345678');
    const replaced = await request(running.http).get('/healthz').set('X-Request-Id', 'bad id\twith spaces');
    expect(replaced.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('answers an unknown path with 404', async () => {
    await request(running.http).get('/no-such-page').expect(404);
  });
});

describe('readiness without a database', () => {
  it('answers 503 when the database is unreachable', async () => {
    const database = await createTestDatabase();
    const running = await startTestServer(database.db, database.url);
    await database.drop(); // destroys the pool and the database under the running server
    const response = await request(running.http).get('/readyz');
    expect(response.status).toBe(503);
    expect(response.body).toEqual({ status: 'not ready', checks: { database: 'unreachable' } });
    await request(running.http).get('/healthz').expect(200);
    await running.close();
  });
});
