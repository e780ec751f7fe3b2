/**
 * Crash consistency of RP-initiated logout with back-channel logout, tested by killing the node:
 * oidc-provider asks for the logout tokens before it ends the session, so a node that dies in
 * between must have sent neither (src/oidc/provider.ts, commitWithSessionWrite). The deletion of
 * the session's grants, then of the session, is slowed in PostgreSQL (a trigger that sleeps) and
 * the node handling the logout is SIGKILLed inside it: afterwards the session is still there and
 * no logout token is queued for it; logged out again on a new node, the token is queued, once.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as client from 'openid-client';
import { buildServer } from '../../src/app/server.js';
import { createLogger } from '../../src/observability/logger.js';
import { backchannelLogoutJobId } from '../../src/oidc/backchannel-logout.js';
import { Browser, formAction, inputValue, type Page } from '../support/browser.js';
import { TestClock } from '../support/clock.js';
import { authorize, discoverTerminal, followFrom, navigate } from '../support/conformance.js';
import { sleep } from '../support/crash.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { freePort } from '../support/ports.js';
import { startServerProcess, writeConfig, type ServerProcess } from '../support/processes.js';
import { seedUser, TERMINAL, testConfig, type RunningTestServer } from '../support/server.js';

describe('RP-initiated logout with a node SIGKILLed while it ends the session', () => {
  let database: TestDatabase;
  let origin = '';
  let configFile = '';
  let node: ServerProcess | undefined;
  const clients = () => [
    {
      client_id: TERMINAL.clientId,
      client_secret: TERMINAL.clientSecret,
      redirect_uris: [TERMINAL.redirectUri],
      post_logout_redirect_uris: [TERMINAL.postLogoutRedirectUri],
      first_party: true,
      // Nobody listens there: the jobs are what this test looks at, not their delivery.
      backchannel_logout_uri: 'http://127.0.0.1:9/backchannel-logout',
    },
  ];
  beforeAll(async () => {
    database = await createTestDatabase();
    const port = await freePort();
    origin = `http://127.0.0.1:${port}`;
    configFile = writeConfig(await mkdtemp(path.join(tmpdir(), 'ccass-logout-crash-')), 'node.yaml', {
      issuer: origin,
      server: { host: '127.0.0.1', port, shutdownDelaySeconds: 0 },
      database: { url: database.url, purgeIntervalSeconds: 0 },
      oidc: { clients: clients() },
      jobs: { monitorIntervalSeconds: 1, pollingIntervalSeconds: 0.5 },
    });
  });
  afterAll(async () => {
    await node?.kill();
    await database.drop();
  });

  const logoutJobs = async (sid: unknown, sub: string) =>
    database.db('pgboss.job').where({ name: 'backchannel_logout', id: backchannelLogoutJobId({ clientId: TERMINAL.clientId, sub, sid: sid as string }) }).count({ n: '*' }).then((rows) => Number((rows as Array<{ n: number }>)[0]?.n));
  const liveSessions = async (sub: string) =>
    database.db('oidc_payloads').where({ model: 'Session', account_id: sub }).count({ n: '*' }).then((rows) => Number((rows as Array<{ n: number }>)[0]?.n));

  it('sends no logout token for a session that a killed node did not end; the next node ends it and queues the token once', async () => {
    // The user, seeded in-process on the same database; the child node serves the logins.
    const seedingConfig = testConfig(origin, database.url, { oidc: { clients: clients() } });
    const seeding = await buildServer(seedingConfig, database.db, createLogger('silent'), { clock: new TestClock(), workers: false });
    const user = await seedUser(seeding, seedingConfig, { participantId: 'K00003', userId: 'LOGOUTKILL' });
    await seeding.stop();
    node = await startServerProcess(configFile, origin);

    const asServer = { issuer: origin, clock: new TestClock(), config: seedingConfig } as unknown as RunningTestServer;
    // The child keeps real time, and enrolment used this time step's code: the login sends the next one (within the window).
    asServer.clock.advance(30);
    const config = await discoverTerminal(asServer);
    const browser = new Browser();
    const tokens = await authorize(asServer, config, browser, user);
    const sid = tokens.claims()?.['sid'];
    expect(typeof sid).toBe('string');
    const endSession = client.buildEndSessionUrl(config, { id_token_hint: tokens.id_token as string, post_logout_redirect_uri: TERMINAL.postLogoutRedirectUri });
    /** The logout confirmed ("yes") on the page the end-session request shows. */
    const confirmLogout = async (): Promise<Page> => {
      const confirmation = await navigate(browser, endSession);
      return browser.request(new URL(formAction(confirmation.body, 'op.logoutForm'), origin).toString(), { form: { xsrf: inputValue(confirmation.body, 'xsrf'), logout: 'yes' } });
    };

    // Two kill points: while the node revokes the session's grants (after oidc-provider asked
    // for the logout tokens), and while it deletes the session itself. Each is slowed to 2 s by
    // a trigger, and the node is killed while PostgreSQL sleeps in it.
    for (const model of ['Grant', 'Session']) {
      await database.db.raw(`create function slow_delete() returns trigger language plpgsql as $$
        begin if old.model = '${model}' and old.account_id = '${user.subject}' then perform pg_sleep(2); end if; return old; end $$`);
      await database.db.raw('create trigger slow_delete before delete on oidc_payloads for each row execute function slow_delete()');
      const logout = confirmLogout().then(
        (page) => `answered ${page.status}`,
        () => 'cut off',
      );
      const deadline = Date.now() + 10_000;
      const sleeping = async () => (await database.db.raw(`select 1 from pg_stat_activity where query like '%oidc_payloads%' and wait_event = 'PgSleep'`)).rows.length > 0;
      while (!(await sleeping())) {
        if (Date.now() > deadline) throw new Error(`the logout never reached the ${model} delete`);
        await sleep(20);
      }
      await node.kill();
      expect(await logout).toBe('cut off');
      // PostgreSQL finishes the sleeping statement, then finds the connection gone.
      const settled = Date.now() + 10_000;
      while ((await sleeping()) && Date.now() < settled) await sleep(50);
      await database.db.raw('drop trigger slow_delete on oidc_payloads');
      await database.db.raw('drop function slow_delete()');
      // The session lives on, and its relying party is told nothing.
      expect({ model, sessions: await liveSessions(user.subject), logoutTokens: await logoutJobs(sid, user.subject) }).toEqual({ model, sessions: 1, logoutTokens: 0 });
      node = await startServerProcess(configFile, origin);
    }

    // On the new node the same browser logs out again: the session ends and its token is queued, once.
    const back = await followFrom(browser, await confirmLogout(), TERMINAL.postLogoutRedirectUri);
    expect(back.url.startsWith(TERMINAL.postLogoutRedirectUri)).toBe(true);
    expect(await liveSessions(user.subject)).toBe(0);
    expect(await logoutJobs(sid, user.subject)).toBe(1);
  }, 90_000);
});
