/**
 * A real server for tests: real PostgreSQL (a database of its own), the real Koa app and
 * oidc-provider, listening on a free loopback port whose URL is the issuer.
 */
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { addParticipant } from '../../src/directory/participants.js';
import { addUser, setUserEnabled, setUserPassword } from '../../src/directory/users.js';
import { createLogger, type Logger } from '../../src/observability/logger.js';
import { pendingTotpEnrolment, confirmTotpEnrolment } from '../../src/factors/totp-service.js';
import { buildServer, type Server } from '../../src/app/server.js';
import { createSmartcardListener } from '../../src/app/smartcard-listener.js';
import type { Database } from '../../src/store/database.js';
import { TestClock } from './clock.js';
import { createTestDatabase, type TestDatabase } from './database.js';
import { SmtpSink } from './smtp-sink.js';
import { rfc6238, secretFromUri } from './totp.js';

export const TERMINAL = {
  clientId: 'ccass-terminal',
  clientSecret: 'test-secret-for-the-ccass-terminal-client',
  redirectUri: 'http://127.0.0.1:9999/callback',
  postLogoutRedirectUri: 'http://127.0.0.1:9999/',
  /** Where its login starts (the end of an activation links there). */
  loginStart: 'http://127.0.0.1:9999/login',
};

export const THIRD_PARTY = {
  clientId: 'third-party-app',
  clientSecret: 'test-secret-for-a-third-party-client-000',
  redirectUri: 'http://127.0.0.1:9998/callback',
};

/** A public client: no secret, PKCE only. */
export const PUBLIC_CLIENT = {
  clientId: 'public-app',
  redirectUri: 'http://127.0.0.1:9997/callback',
};

/**
 * A confidential client configured as a resource server (an API): it may introspect tokens
 * issued to other clients. Not among testConfig's clients; `withClients(RESOURCE_SERVER_CLIENT)` adds it.
 */
export const RESOURCE_SERVER = {
  clientId: 'trading-api',
  clientSecret: 'test-secret-for-the-trading-api-resource-server',
  redirectUri: 'http://127.0.0.1:9996/callback',
};

export const RESOURCE_SERVER_CLIENT = {
  client_id: RESOURCE_SERVER.clientId,
  client_secret: RESOURCE_SERVER.clientSecret,
  redirect_uris: [RESOURCE_SERVER.redirectUri],
  resource_server: true,
};

/** Overrides for startTestServer: testConfig's clients and these. */
export function withClients(...clients: Array<Record<string, unknown>>): Record<string, unknown> {
  return { oidc: { clients: [...testConfig('http://unused', 'postgres://unused/unused').oidc.clients, ...clients] } };
}

export function testConfig(issuer: string, databaseUrl: string, overrides: Record<string, unknown> = {}): Config {
  return loadConfig({
    env: {},
    raw: {
      env: 'test',
      issuer,
      database: { url: databaseUrl, purgeIntervalSeconds: 0 },
      log: { level: 'silent' },
      // The cheapest argon2id the configuration allows: tests log in thousands of times. Where
      // the hashing's cost is the point (timing, the benchmark), a test sets production's.
      password: { argon2: { memoryCost: 8192, timeCost: 1 } },
      oidc: {
        clients: [
          {
            client_id: TERMINAL.clientId,
            client_name: 'CCASS Terminal',
            'client_name#zh-Hant': '中央結算系統終端機',
            client_secret: TERMINAL.clientSecret,
            redirect_uris: [TERMINAL.redirectUri],
            post_logout_redirect_uris: [TERMINAL.postLogoutRedirectUri],
            initiate_login_uri: TERMINAL.loginStart,
            first_party: true,
          },
          {
            client_id: PUBLIC_CLIENT.clientId,
            redirect_uris: [PUBLIC_CLIENT.redirectUri],
            first_party: true,
          },
          {
            client_id: THIRD_PARTY.clientId,
            client_secret: THIRD_PARTY.clientSecret,
            redirect_uris: [THIRD_PARTY.redirectUri],
          },
        ],
      },
      // One DA acts alone in the tests of what DMS does; test/integration/dms/maker-checker.test.ts turns maker-checker on.
      makerChecker: { actions: [] },
      ...overrides,
    },
  });
}

export interface RunningTestServer {
  issuer: string;
  config: Config;
  server: Server;
  clock: TestClock;
  mail: SmtpSink;
  http: HttpServer;
  /** Replaces the app behind the same URL with a freshly built one (a "restart"). */
  restart(db?: Database): Promise<Server>;
  /** Resolves once no queued mail waits or is being sent (what was queued so far has reached the sink). */
  mailSettled(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export interface TestServerOptions {
  /**
   * Serve over TLS with this server certificate, asking for client certificates (smartcard
   * mode 1, with the issuer on the TLS listener itself).
   */
  tls?: { certFile: string; keyFile: string };
  /** Where the server logs (default: nowhere). */
  log?: Logger;
}

export async function startTestServer(
  db: Database,
  databaseUrl: string,
  overrides: Record<string, unknown> = {},
  options: TestServerOptions = {},
): Promise<RunningTestServer> {
  const http: HttpServer = options.tls ? (createSmartcardListener(options.tls, () => undefined) as unknown as HttpServer) : createServer();
  if (options.tls) http.removeAllListeners('request');
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;
  const issuer = `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`;
  const mail = await new SmtpSink().start();
  const clock = new TestClock();
  if (options.tls && overrides['smartcard']) {
    // The TLS listener is the issuer itself: the smartcard button posts to it.
    overrides = { ...overrides, smartcard: { loginUrl: issuer, ...(overrides['smartcard'] as Record<string, unknown>) } };
  }
  const config = testConfig(issuer, databaseUrl, { smtp: { url: mail.url, from: 'CCASS Authentication <no-reply@ccass.test>' }, ...overrides });
  const log = options.log ?? createLogger('silent');
  let server = await buildServer(config, db, log, { clock });
  let handler = server.app.callback();
  http.on('request', (req, res) => handler(req, res));
  return {
    issuer,
    config,
    get server() {
      return server;
    },
    http,
    clock,
    mail,
    mailSettled: () => jobsSettled(server, 'mail'),
    async restart(nextDb = db) {
      await server.stop();
      server = await buildServer(config, nextDb, log, { clock });
      handler = server.app.callback();
      return server;
    },
    async close() {
      await server.stop();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
      await mail.stop();
    },
  };
}

/** Waits until no job of `queue` is queued or running (mail: every queued message was handed to the SMTP sink). */
export async function jobsSettled(server: Server, queue: 'mail', timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const depth = (await server.queries.jobs.depth()).find((row) => row.queue === queue);
    if (!depth || depth.queued + depth.active === 0) return;
    if (Date.now() > deadline) throw new Error(`${queue} jobs still pending after ${timeoutMs} ms: ${JSON.stringify(depth)}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/**
 * A test server on a database of its own, for the describe block it is called in: started
 * before the block's tests (before its other beforeAll hooks, which may seed it), closed and
 * dropped after them. `assign` hands both to the block's variables:
 *
 *   let database: TestDatabase;
 *   let running: RunningTestServer;
 *   useTestServer((started) => ({ database, running } = started), { lockout: { threshold: 3 } });
 */
export function useTestServer(
  assign: (started: { database: TestDatabase; running: RunningTestServer }) => void,
  /** The configuration's overrides, or a function giving them once earlier hooks (a fixture) have run. */
  overrides: Record<string, unknown> | (() => Record<string, unknown>) = {},
  options: TestServerOptions = {},
): void {
  let started: { database: TestDatabase; running: RunningTestServer } | undefined;
  beforeAll(async () => {
    const database = await createTestDatabase();
    const settings = typeof overrides === 'function' ? overrides() : overrides;
    started = { database, running: await startTestServer(database.db, database.url, settings, options) };
    assign(started);
  });
  afterAll(async () => {
    await started?.running.close();
    await started?.database.drop();
  });
}

export interface SeededUser {
  participantId: string;
  userId: string;
  password: string;
  subject: string;
  email?: string | undefined;
  /** The raw TOTP secret, for users seeded with an authenticator. */
  totpSecret?: Buffer;
}

export type SeedSecondFactor = 'totp' | 'email' | 'none';

/** Adds a participant (if new) and an active user with a password, through the domain functions. */
export async function seedUser(
  server: Pick<Server, 'queries' | 'hasher' | 'totp'>,
  config: Config,
  user: { participantId: string; userId: string; password?: string; email?: string; status?: 'active' | 'disabled' | 'pending'; secondFactor?: SeedSecondFactor },
  clock?: TestClock,
): Promise<SeededUser> {
  const { queries, hasher } = server;
  if (!(await queries.participants.findById(user.participantId))) {
    await addParticipant(queries, { id: user.participantId, name: `Participant ${user.participantId}` }, { name: 'test' });
  }
  const added = await addUser(queries, { participantId: user.participantId, userId: user.userId, displayName: `User ${user.userId}`, email: user.email }, { name: 'test' });
  const password = user.password ?? 'a long enough test password';
  if (user.status !== 'pending') {
    await setUserPassword({ queries, hasher, rules: config.password }, user, password, { name: 'test' });
  }
  if (user.status === 'disabled') await setUserEnabled(queries, user, false, { name: 'test' });
  const seeded: SeededUser = { participantId: added.participantId, userId: added.userId, password, subject: added.subject, email: added.email ?? undefined };
  const secondFactor = user.secondFactor ?? 'totp';
  if (secondFactor === 'totp') {
    // Enrol as a user would: take the secret from the otpauth URI and confirm a code computed independently.
    const enrolment = await pendingTotpEnrolment(server.totp, { id: added.subject, participant_id: added.participantId, user_id: added.userId });
    seeded.totpSecret = secretFromUri(enrolment.uri);
    const now = (clock ?? { now: () => new Date() }).now().getTime() / 1000;
    if ((await confirmTotpEnrolment(server.totp, added.subject, rfc6238(seeded.totpSecret, now))) !== 'accepted') throw new Error('seeding TOTP failed');
    await queries.users.setSecondFactor(added.subject, 'totp');
    // The enrolment used this time step; the next login needs the next one.
    clock?.advance(config.totp.period);
  } else if (secondFactor === 'email') {
    await queries.users.setSecondFactor(added.subject, 'email');
  }
  return seeded;
}
