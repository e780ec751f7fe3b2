/**
 * The node's listeners and their graceful shutdown, on real sockets: readiness fails first
 * while requests are still served, then no new connection is accepted, a request in flight
 * finishes (its connection closed after the answer), and only one that outlives the timeout
 * is cut. The metrics port, when configured, serves /metrics and the main port does not.
 */
import { connect, type Socket } from 'node:net';
import { startListeners, type RunningListeners } from '../../../src/app/listeners.js';
import { createLogger } from '../../../src/observability/logger.js';
import { buildServer, type Server } from '../../../src/app/server.js';
import { createTestDatabase, type TestDatabase } from '../../support/database.js';
import { freePort } from '../../support/ports.js';
import { testConfig } from '../../support/server.js';

/** Opens a raw connection and sends a request whose body is still coming. */
async function requestInFlight(port: number): Promise<{ socket: Socket; finish(): void; response: Promise<string> }> {
  const socket = connect(port, '127.0.0.1');
  await new Promise<void>((resolve) => socket.once('connect', resolve));
  const body = 'participantId=B01234&userId=X&password=y&csrf=z';
  socket.write(`POST /interaction/not-a-real-interaction/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 10)}`);
  let received = '';
  socket.on('data', (chunk) => {
    received += chunk.toString();
  });
  const response = new Promise<string>((resolve) => socket.on('close', () => resolve(received)));
  return { socket, finish: () => socket.write(body.slice(10)), response };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('listeners and graceful shutdown', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await database.drop();
  });

  async function start(server: Record<string, unknown>, other: Record<string, unknown> = {}): Promise<{ server: Server; listeners: RunningListeners; port: number }> {
    const config = testConfig('http://127.0.0.1:1', database.url, { server: { host: '127.0.0.1', port: 0, ...server }, ...other });
    const built = await buildServer(config, database.db, createLogger('silent'));
    const listeners = await startListeners(built, config, createLogger('silent'));
    return { server: built, listeners, port: listeners.addresses.http?.port as number };
  }

  it('fails readiness first, stops accepting, lets the request in flight finish, then resolves', async () => {
    const { listeners, port } = await start({ shutdownDelaySeconds: 0.5, shutdownTimeoutSeconds: 5 });
    expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);
    const inFlight = await requestInFlight(port);

    let stopped = false;
    const shutdown = listeners.shutdown().then(() => {
      stopped = true;
    });
    // During the delay: still serving, but not ready.
    const draining = await fetch(`http://127.0.0.1:${port}/readyz`);
    expect(draining.status).toBe(503);
    expect(await draining.json()).toEqual({ status: 'not ready', checks: { shutdown: 'draining' } });
    expect(draining.headers.get('connection')).toBe('close');

    // After the delay: no new connections.
    await sleep(700);
    await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
    expect(stopped).toBe(false); // the request in flight holds the shutdown open

    inFlight.finish();
    const answer = await inFlight.response;
    expect(answer).toMatch(/^HTTP\/1\.1 4\d\d /);
    expect(answer.toLowerCase()).toContain('connection: close');
    await shutdown;
    expect(stopped).toBe(true);
  });

  it('cuts a request that outlives the shutdown timeout, and still resolves', async () => {
    const { listeners, port } = await start({ shutdownDelaySeconds: 0, shutdownTimeoutSeconds: 1 });
    const inFlight = await requestInFlight(port);
    const begun = Date.now();
    await listeners.shutdown();
    expect(Date.now() - begun).toBeGreaterThanOrEqual(900);
    expect(await inFlight.response).toBe(''); // cut without an answer
  });

  it('serves /metrics on its own port only, when one is configured', async () => {
    const metricsPort = await freePort();
    const { listeners, port } = await start({ shutdownDelaySeconds: 0 }, { metrics: { port: metricsPort, host: '127.0.0.1' } });
    try {
      expect(listeners.addresses.metrics).toEqual({ host: '127.0.0.1', port: metricsPort });
      expect((await fetch(`http://127.0.0.1:${port}/metrics`)).status).toBe(404);
      const scraped = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
      expect(scraped.status).toBe(200);
      expect(await scraped.text()).toContain('ccass_auth_phase');
      expect((await fetch(`http://127.0.0.1:${metricsPort}/readyz`)).status).toBe(404);
    } finally {
      await listeners.shutdown();
    }
  });

  it('is stopped by a shutdown called twice only once', async () => {
    const { listeners } = await start({ shutdownDelaySeconds: 0 });
    const first = listeners.shutdown();
    expect(listeners.shutdown()).toBe(first);
    await first;
  });
});
