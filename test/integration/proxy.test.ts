/**
 * Behind a TLS-terminating reverse proxy: with `server.trustProxy`, URLs and cookie
 * security follow X-Forwarded-*; without it, those headers are ignored (anyone could send them).
 */
import request from 'supertest';
import { createLogger } from '../../src/observability/logger.js';
import { buildServer, type Server } from '../../src/app/server.js';
import { pkcePair } from '../support/flows.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { TERMINAL, testConfig } from '../support/server.js';

describe('reverse proxy', () => {
  let database: TestDatabase;
  let trusting: Server;
  let direct: Server;
  beforeAll(async () => {
    database = await createTestDatabase();
    const log = createLogger('silent');
    trusting = await buildServer(testConfig('https://auth.example.com', database.url, { server: { trustProxy: true } }), database.db, log);
    direct = await buildServer(testConfig('http://127.0.0.1:3000', database.url), database.db, log);
  });
  afterAll(async () => {
    await trusting.stop();
    await direct.stop();
    await database.drop();
  });

  const forwarded = { 'X-Forwarded-Proto': 'https', 'X-Forwarded-Host': 'auth.example.com', 'X-Forwarded-For': '203.0.113.7' };

  it('publishes the public https URLs when the proxy is trusted', async () => {
    const response = await request(trusting.app.callback()).get('/.well-known/openid-configuration').set(forwarded).expect(200);
    expect(response.body.issuer).toBe('https://auth.example.com');
    expect(response.body.authorization_endpoint).toBe('https://auth.example.com/auth');
    expect(response.body.token_endpoint).toBe('https://auth.example.com/token');
  });

  it('sets Secure cookies and HSTS for requests that reached the proxy over https', async () => {
    const { challenge } = pkcePair();
    const response = await request(trusting.app.callback())
      .get('/auth')
      .query({ client_id: TERMINAL.clientId, response_type: 'code', scope: 'openid', redirect_uri: TERMINAL.redirectUri, code_challenge: challenge, code_challenge_method: 'S256' })
      .set(forwarded)
      .expect(303);
    const cookies = response.headers['set-cookie'] as unknown as string[];
    expect(cookies.length).toBeGreaterThan(0);
    for (const cookie of cookies) expect(cookie).toMatch(/; secure/i);
    expect(response.headers['strict-transport-security']).toMatch(/max-age=31536000/);
  });

  it('ignores forwarded headers when the proxy is not trusted', async () => {
    const response = await request(direct.app.callback()).get('/.well-known/openid-configuration').set(forwarded).expect(200);
    expect(response.body.authorization_endpoint).not.toContain('auth.example.com');
    expect(response.body.authorization_endpoint).toMatch(/^http:\/\//);
  });
});
