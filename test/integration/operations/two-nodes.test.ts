/**
 * Two server nodes on one PostgreSQL behind a load balancer, sharing nothing else: a login
 * that starts on one completes on the other, an authenticator code accepted by one is
 * refused by the other, a phase pinned through one is obeyed by the other, and a signing
 * key rotated once is used by both.
 */
import { decodeProtectedHeader } from 'jose';
import request from 'supertest';
import { pinPhase, clearPhasePin } from '../../../src/policy/phase-control.js';
import { cliRunner } from '../../support/cli.js';
import { startCluster, type TestCluster } from '../../support/cluster.js';
import { createTestDatabase, type TestDatabase } from '../../support/database.js';
import { exchangeCode, followToCallback, refreshGrant, passwordStep, startAuthorization, submitCode, type AuthorizationStart } from '../../support/flows.js';
import { seedUser, TERMINAL, testConfig, type SeededUser } from '../../support/server.js';
import { rfc6238 } from '../../support/totp.js';

describe('two nodes, one database', () => {
  let database: TestDatabase;
  let cluster: TestCluster;
  let user: SeededUser;
  const encryptionKey = `k1:${Buffer.alloc(32, 3).toString('base64')}`;

  const [A, B] = [0, 1];
  const node = (index: number) => cluster.nodes[index] as TestCluster['nodes'][number];
  const code = () => rfc6238(user.totpSecret as Buffer, cluster.clock.now().getTime() / 1000);
  const nextCode = () => {
    cluster.clock.advance(cluster.config.totp.period);
    return code();
  };

  async function passwordOn(index: number): Promise<{ start: AuthorizationStart; codePage: Awaited<ReturnType<typeof passwordStep>> }> {
    cluster.route(index);
    const start = await startAuthorization(cluster.issuer);
    const codePage = await passwordStep(start, { participantId: user.participantId, userId: user.userId, password: user.password });
    expect(codePage.body).toContain('name="code"');
    return { start, codePage };
  }

  beforeAll(async () => {
    database = await createTestDatabase();
    cluster = await startCluster(database.db, database.url, {
      phases: { refreshSeconds: 0 },
      secrets: { encryptionKeys: [encryptionKey] },
      oidc: { clients: testConfig('http://unused', database.url).oidc.clients, keys: { refreshSeconds: 1, publishBeforeSigningSeconds: 1 } },
    });
    user = await seedUser(node(A).server, cluster.config, { participantId: 'B01234', userId: 'NODES', email: 'nodes@example.com' }, cluster.clock);
  });
  afterAll(async () => {
    await cluster.close();
    await database.drop();
  });
  beforeEach(() => {
    for (const each of cluster.nodes) each.served.length = 0;
  });

  it('completes on one node a login started on the other, and the session and tokens work on both', async () => {
    // Authorization request and password on A…
    const { start, codePage } = await passwordOn(A);
    expect(node(A).served).toEqual(expect.arrayContaining(['GET /auth', 'POST ' + new URL(start.interactionUrl).pathname + '/login']));
    // …the second factor, the return to /auth and the code exchange on B.
    cluster.route(B);
    const callback = await followToCallback(start, await submitCode(start, codePage, nextCode()));
    expect(callback.searchParams.get('code')).toBeTruthy();
    const tokens = await exchangeCode(cluster.http, start, callback);
    expect(node(B).served).toEqual(expect.arrayContaining([expect.stringMatching(/^POST \/interaction\/.+\/otp$/), 'POST /token']));
    expect(node(A).served.some((line) => line.endsWith('/otp'))).toBe(false);

    // The login session (cookie from A's and B's answers) is single sign-on on A…
    cluster.route(A);
    const again = await startAuthorization(cluster.issuer, {}, start.browser);
    expect(again.loginPage.url.startsWith(TERMINAL.redirectUri)).toBe(true);
    // …the access token from B is valid at A's userinfo, and the refresh token issued by B refreshes at A.
    await request(cluster.http).get('/me').set('Authorization', `Bearer ${tokens.access_token}`).expect(200);
    const refreshed = await refreshGrant(cluster.http, tokens.refresh_token);
    expect(refreshed.id_token).toBeTruthy();
    expect(node(A).served).toEqual(expect.arrayContaining(['GET /me', 'POST /token']));
  });

  it('completes a login whose every request goes to the other node than the one before', async () => {
    cluster.route('alternate');
    const start = await startAuthorization(cluster.issuer);
    const codePage = await passwordStep(start, { participantId: user.participantId, userId: user.userId, password: user.password });
    const callback = await followToCallback(start, await submitCode(start, codePage, nextCode()));
    await exchangeCode(cluster.http, start, callback);
    expect(node(A).served.length).toBeGreaterThanOrEqual(3);
    expect(node(B).served.length).toBeGreaterThanOrEqual(3);
  });

  it('refuses on one node an authenticator code already accepted by the other', async () => {
    const first = await passwordOn(A);
    const second = await passwordOn(B);
    const shared = nextCode();

    cluster.route(A);
    const accepted = await submitCode(first.start, first.codePage, shared);
    expect(accepted.status).toBe(303);

    cluster.route(B);
    const replayed = await submitCode(second.start, second.codePage, shared);
    expect(replayed.status).toBe(401);
    const refusal = await database.db('audit_events').where({ type: 'login.totp', outcome: 'failure', user_id: 'NODES' }).orderBy('id', 'desc').first();
    expect(refusal.details).toMatchObject({ reason: 'replayed' });
    // The next code is accepted on B: only the replay was refused.
    const next = await submitCode(second.start, { ...second.codePage, body: replayed.body }, nextCode());
    expect(next.status).toBe(303);
  });

  it('obeys on one node a phase pinned through the other', async () => {
    const actor = { name: 'operator:test' };
    await pinPhase({ queries: node(A).server.queries, clock: cluster.clock, plan: cluster.config.phases }, { phase: 'smartcard-only', reason: 'two-node test' }, actor);
    try {
      cluster.route(B);
      expect((await request(cluster.http).get('/status').expect(200)).body).toMatchObject({ phase: 'smartcard-only' });
      const start = await startAuthorization(cluster.issuer);
      const refused = await passwordStep(start, { participantId: user.participantId, userId: user.userId, password: user.password });
      expect(refused.status).toBe(403);
      const audit = await database.db('audit_events').where({ type: 'login', outcome: 'failure', user_id: 'NODES' }).orderBy('id', 'desc').first();
      expect(audit.details).toMatchObject({ phase: 'smartcard-only' });
    } finally {
      await clearPhasePin({ queries: node(B).server.queries, clock: cluster.clock, plan: cluster.config.phases }, actor);
    }
    cluster.route(A);
    expect((await request(cluster.http).get('/status').expect(200)).body).toMatchObject({ phase: 'parallel-run' });
  });

  it('signs with a newly promoted key on both nodes, each picking it up by itself', async () => {
    const cli = cliRunner({ DATABASE_URL: database.url, SECRETS_ENCRYPTION_KEYS: encryptionKey });
    const added = await cli(['keys', 'add', '--alg', 'ES256']);
    const kid = /key (\S+) \(ES256\)/.exec(added.out)?.[1] as string;
    expect(await cli(['keys', 'promote', kid, '--force'])).toMatchObject({ code: 0 });

    // No one tells the nodes: each notices within oidc.keys.refreshSeconds (1 s here).
    for (const index of [A, B]) {
      const deadline = Date.now() + 10_000;
      while (!node(index).server.providers.keysVersion().includes(`${kid}:active`) && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(node(index).server.providers.keysVersion()).toContain(`${kid}:active`);
      cluster.route(index);
      const { start, codePage } = await passwordOn(index);
      const tokens = await exchangeCode(cluster.http, start, await followToCallback(start, await submitCode(start, codePage, nextCode())));
      expect(decodeProtectedHeader(tokens.id_token).kid).toBe(kid);
      expect((await request(cluster.http).get('/jwks').expect(200)).body.keys.map((key: { kid: string }) => key.kid)).toContain(kid);
    }
  });
});
