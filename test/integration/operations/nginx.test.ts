/**
 * The reverse proxy for real: Debian's nginx runs deploy/nginx.conf (adapted only where a test
 * machine must differ: see test/support/nginx.ts) in front of two nodes configured from
 * deploy/compose.yaml, as docker-compose.yml runs them. TLS with client certificates, the
 * certificate forwarded in the header the configuration sets, a smartcard login through it,
 * the header of a client's own stripped, and X-Forwarded-* believed only from nginx's address.
 */
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chmod, mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { decodeJwt } from 'jose';
import { loadConfig } from '../../../src/config/load.js';
import type { Config } from '../../../src/config/schema.js';
import { createLogger } from '../../../src/observability/logger.js';
import { generateEncryptionKeyEntry } from '../../../src/secrets/secret-box.js';
import { buildServer, type Server } from '../../../src/app/server.js';
import { ACR } from '../../../src/oidc/assurance.js';
import { Browser, formAction, inputValue } from '../../support/browser.js';
import { TestClock } from '../../support/clock.js';
import { createTestDatabase, type TestDatabase } from '../../support/database.js';
import { followToCallback, startAuthorization } from '../../support/flows.js';
import { NGINX_ADDRESS, startNginx, type RunningNginx } from '../../support/nginx.js';
import { nginxEscaped } from '../../support/pki.js';
import { freePort } from '../../support/ports.js';
import { seedUser, type SeededUser } from '../../support/server.js';
import { bindDirectly, createSmartcardFixture, declineKeyOffer, smartcardBrowser, type SmartcardFixture } from '../../support/smartcard.js';
import { SmtpSink } from '../../support/smtp-sink.js';

/** The relying party of deploy/compose.yaml. */
const COMPOSE_TERMINAL = { clientId: 'ccass-terminal', clientSecret: 'CHANGE-ME-local-ccass-terminal-secret-0000', redirectUri: 'http://localhost:9999/callback' };

describe('behind the deployment\'s nginx (deploy/nginx.conf), two nodes of deploy/compose.yaml', () => {
  let fixture: SmartcardFixture;
  let database: TestDatabase;
  let sink: SmtpSink;
  let nginx: RunningNginx;
  let issuer: string;
  let config: Config;
  const nodes: Array<{ server: Server; http: HttpServer; port: number; requests: number }> = [];
  let trader: SeededUser;

  beforeAll(async () => {
    fixture = await createSmartcardFixture();
    database = await createTestDatabase();
    sink = await new SmtpSink().start();
    const httpsPort = await freePort();
    issuer = `https://127.0.0.1:${httpsPort}`;

    // deploy/compose.yaml as the nodes of the stack read it; what differs here is patched, nothing else.
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a YAML document, patched by key
    const raw = parseYaml(await readFile('deploy/compose.yaml', 'utf8')) as Record<string, any>;
    raw['log'] = { level: 'silent' };
    raw['smartcard'] = { ...raw['smartcard'], caFile: fixture.files.caFile, crlFiles: [fixture.files.crlFile], proxy: { ...raw['smartcard'].proxy, trustedAddresses: [`${NGINX_ADDRESS}/32`] } };
    raw['server'] = { ...raw['server'], trustedProxyAddresses: [`${NGINX_ADDRESS}/32`], shutdownDelaySeconds: 0 };
    raw['password'] = { argon2: { memoryCost: 8192, timeCost: 1 } };
    config = loadConfig({
      raw,
      env: {
        ISSUER: issuer,
        DATABASE_URL: database.url,
        SMTP_URL: sink.url,
        COOKIE_KEYS: `${'c'.repeat(40)},${'d'.repeat(40)}`,
        SECRETS_ENCRYPTION_KEYS: generateEncryptionKeyEntry('ktest'),
        METRICS_TOKEN: 'm'.repeat(40),
      },
    });
    expect(config.smartcard.proxy?.header).toBe('X-SSL-Client-Cert');

    const clock = new TestClock();
    for (let index = 0; index < 2; index += 1) {
      const server = await buildServer(config, database.db, createLogger('silent'), { clock });
      const node = { server, http: createServer(), port: 0, requests: 0 };
      const handler = server.app.callback();
      node.http.on('request', (req, res) => {
        node.requests += 1;
        return handler(req, res);
      });
      await new Promise<void>((resolve) => node.http.listen(0, '127.0.0.1', resolve));
      node.port = (node.http.address() as AddressInfo).port;
      nodes.push(node);
    }

    const dir = await mkdtemp(path.join(tmpdir(), 'ccass-nginx-'));
    await chmod(dir, 0o755);
    nginx = await startNginx({
      dir,
      upstreams: nodes.map((node) => `127.0.0.1:${node.port}`),
      httpPort: await freePort(),
      httpsPort,
      certFile: fixture.files.serverCert,
      keyFile: fixture.files.serverKey,
    });

    const first = nodes[0] as (typeof nodes)[number];
    trader = await seedUser(first.server, config, { participantId: 'B01234', userId: 'TRADER1' }, clock);
    await bindDirectly(first.server, trader, fixture.cards.valid);
  }, 60_000);

  afterAll(async () => {
    await nginx?.stop();
    for (const node of nodes) {
      await node.server.stop();
      node.http.closeAllConnections();
      await new Promise<void>((resolve) => node.http.close(() => resolve()));
    }
    await sink.stop();
    await database.drop();
  });

  const lastSmartcardAudit = () => database.db('audit_events').whereIn('type', ['login', 'login.smartcard']).orderBy('id', 'desc').first();
  const authorization = { redirect_uri: COMPOSE_TERMINAL.redirectUri, client_id: COMPOSE_TERMINAL.clientId };

  it('logs a user in with the smartcard certificate nginx forwards, over TLS with a client certificate, with the smartcard acr', async () => {
    const browser = smartcardBrowser(fixture, fixture.cards.valid);
    const start = await startAuthorization(issuer, authorization, browser);
    expect(start.loginPage.status).toBe(200);
    const page = await browser.request(new URL(formAction(start.loginPage.body, 'smartcard-login'), start.interactionUrl).toString(), { form: { csrf: inputValue(start.loginPage.body, 'csrf') } });
    expect(page.status).toBe(303);
    // The user has no security key: the bridge offers one (through nginx too); "Not now" completes the card login.
    const afterOffer = await declineKeyOffer(browser, page);
    expect(afterOffer).not.toBe(page);
    const callback = await followToCallback(start, afterOffer, COMPOSE_TERMINAL.redirectUri);
    const token = await browser.request(`${issuer}/token`, {
      form: { grant_type: 'authorization_code', code: callback.searchParams.get('code') as string, redirect_uri: COMPOSE_TERMINAL.redirectUri, code_verifier: start.codeVerifier },
      headers: { authorization: `Basic ${Buffer.from(`${COMPOSE_TERMINAL.clientId}:${COMPOSE_TERMINAL.clientSecret}`).toString('base64')}`, accept: 'application/json' },
    });
    expect(token.status).toBe(200);
    expect(decodeJwt(JSON.parse(token.body).id_token)).toMatchObject({ sub: trader.subject, acr: ACR.smartcard, amr: ['sc', 'hwk'] });
    expect((await lastSmartcardAudit()).details).toMatchObject({ method: 'smartcard', acr: ACR.smartcard });
    const check = await database.db('audit_events').where({ type: 'login.smartcard', outcome: 'success' }).orderBy('id', 'desc').first();
    expect(check.details).toMatchObject({ method: 'smartcard', certificate: { source: 'proxy' } });
  });

  it('strips the certificate header a client sends itself: without a card, no certificate arrives', async () => {
    const browser = smartcardBrowser(fixture);
    const start = await startAuthorization(issuer, authorization, browser);
    const page = await browser.request(new URL(formAction(start.loginPage.body, 'smartcard-login'), start.interactionUrl).toString(), {
      form: { csrf: inputValue(start.loginPage.body, 'csrf') },
      headers: { 'X-SSL-Client-Cert': nginxEscaped(fixture.cards.valid.pem) },
    });
    expect(page.status).toBe(400);
    expect((await lastSmartcardAudit()).details).toMatchObject({ reason: 'no_certificate' });
  });

  it("replaces a client's X-Forwarded-For with its real address, and spreads the requests over both nodes", async () => {
    const before = nodes.map((node) => node.requests);
    const browser = new Browser({ ca: fixture.tlsCa.pem }, { 'x-forwarded-for': '203.0.113.7' });
    for (let index = 0; index < 4; index += 1) {
      const start = await startAuthorization(issuer, authorization, browser);
      await browser.request(`${start.interactionUrl}/login`, { form: { csrf: inputValue(start.loginPage.body, 'csrf'), participantId: 'B01234', userId: 'TRADER1', password: 'wrong but long enough' } });
    }
    const failures = await database.db('audit_events').where({ type: 'login.password', user_id: 'TRADER1', outcome: 'failure' });
    expect(failures.length).toBeGreaterThanOrEqual(4);
    expect(new Set(failures.map((row: { ip: string }) => row.ip))).toEqual(new Set(['127.0.0.1']));
    nodes.forEach((node, index) => expect(node.requests).toBeGreaterThan(before[index] as number));
  });

  it('believes X-Forwarded-* only from nginx: a client that reaches a node directly cannot choose the scheme or host', async () => {
    const node = nodes[0] as (typeof nodes)[number];
    const direct = await fetch(`http://127.0.0.1:${node.port}/.well-known/openid-configuration`, { headers: { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'evil.example' } });
    expect(((await direct.json()) as { authorization_endpoint: string }).authorization_endpoint).toBe(`http://127.0.0.1:${node.port}/auth`);
    const proxied = await new Browser({ ca: fixture.tlsCa.pem }).request(`${issuer}/.well-known/openid-configuration`);
    expect(JSON.parse(proxied.body).authorization_endpoint).toBe(`${issuer}/auth`);
    // (The certificate header from a peer that is not nginx: test/integration/smartcard.test.ts, mode 2.)
  });
});
