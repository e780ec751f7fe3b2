/**
 * Starting the server as a newcomer does, from the sources, with what goes wrong first: a
 * port already taken and a database that is not there each stop start-up with one line that
 * says what to do (no stack trace); PORT alone moves the issuer with it; Ctrl-C stops the
 * server and the embedded PostgreSQL it started.
 */
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createTestDatabase, type TestDatabase } from '../../support/database.js';
import { freePort } from '../../support/ports.js';
import { exited, spawnSource, writeConfig } from '../../support/processes.js';

async function readyAt(origin: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await fetch(`${origin}/readyz`).then((response) => response.ok, () => false))) {
    if (Date.now() > deadline) throw new Error(`${origin} not ready`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('starting the server', () => {
  let database: TestDatabase;
  let dir: string;
  beforeAll(async () => {
    database = await createTestDatabase();
    dir = await mkdtemp(path.join(tmpdir(), 'ccass-startup-'));
    // As a checkout is: others may pass through (as root, PostgreSQL runs as the postgres user).
    await chmod(dir, 0o755);
  });
  afterAll(async () => {
    await database.drop();
    await rm(dir, { recursive: true, force: true });
  });

  it('says in one line that the port is taken, and exits 78', async () => {
    const taken = createServer();
    const port = await freePort();
    await new Promise<void>((resolve) => taken.listen(port, '127.0.0.1', resolve));
    try {
      const result = await exited(spawnSource('src/main.ts', [], { CONFIG_FILE: 'config/default.yaml', DATABASE_URL: database.url, PORT: String(port), LOG_LEVEL: 'silent' }));
      expect(result.code).toBe(78);
      expect(result.err).toBe(`ccass-auth: cannot listen on 127.0.0.1:${port}: the address is already in use (is another server running?); see server.host / server.port (HOST, PORT)\n`);
    } finally {
      await new Promise<void>((resolve) => taken.close(() => resolve()));
    }
  }, 60_000);

  it('says in one line that the database cannot be reached, without its password, and exits 1', async () => {
    const port = await freePort();
    const result = await exited(spawnSource('src/main.ts', [], { CONFIG_FILE: 'config/default.yaml', DATABASE_URL: `postgres://someone:secret@127.0.0.1:${port}/nowhere`, LOG_LEVEL: 'silent' }));
    expect(result.code).toBe(1);
    expect(result.err.trim().split('\n')).toHaveLength(1);
    expect(result.err).toMatch(new RegExp(`^ccass-auth: cannot use the database at postgres://someone@127\\.0\\.0\\.1:${port}/nowhere: .*ECONNREFUSED.* \\(check DATABASE_URL`));
    expect(result.err).not.toContain('secret');
  }, 60_000);

  it('moves the issuer with PORT when ISSUER is not set, so discovery and the endpoints agree', async () => {
    const port = await freePort();
    const server = spawnSource('src/main.ts', [], { CONFIG_FILE: 'config/default.yaml', DATABASE_URL: database.url, PORT: String(port), LOG_LEVEL: 'silent' });
    const done = exited(server);
    try {
      await readyAt(`http://127.0.0.1:${port}`);
      const discovery = (await (await fetch(`http://127.0.0.1:${port}/.well-known/openid-configuration`)).json()) as { issuer: string; token_endpoint: string };
      expect(discovery.issuer).toBe(`http://localhost:${port}`);
      expect(new URL(discovery.token_endpoint).port).toBe(String(port));
    } finally {
      server.kill('SIGTERM');
      await done;
    }
  }, 60_000);

  it('stops cleanly on Ctrl-C (SIGINT), the embedded PostgreSQL with it', async () => {
    const port = await freePort();
    const postgresPort = await freePort();
    const config = writeConfig(dir, 'embedded.yaml', {
      issuer: `http://localhost:${port}`,
      server: { port, shutdownDelaySeconds: 0 },
      database: { embedded: { dataDir: path.join(dir, 'data', 'postgres'), port: postgresPort } },
    });
    const server = spawnSource('src/main.ts', [], { CONFIG_FILE: config });
    const done = exited(server);
    await Promise.race([readyAt(`http://127.0.0.1:${port}`), done.then((early) => Promise.reject(new Error(`exited early: ${early.err}`)))]);
    server.kill('SIGINT');
    const result = await done;
    expect({ code: result.code, err: result.err }).toEqual({ code: 0, err: '' });
    // Nothing listens on the database's port any more.
    const probe = createServer();
    await new Promise<void>((resolve, reject) => probe.once('error', reject).listen(postgresPort, '127.0.0.1', resolve));
    await new Promise<void>((resolve) => probe.close(() => resolve()));
  }, 90_000);
});
