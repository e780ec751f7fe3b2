/**
 * `npm start` on a bare machine: the embedded PostgreSQL starts in `.data/postgres` even when
 * `.data/` already exists closed to others (0700, as the development mail outbox makes it) and
 * the server runs as root — PostgreSQL then runs as the `postgres` user, who must be able to
 * pass through. It comes back on the same data after a stop, and a second start connects to
 * the running one instead of starting another.
 */
import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { createLogger } from '../../src/observability/logger.js';
import { startEmbeddedPostgres } from '../../src/store/embedded-postgres.js';
import { freePort } from '../support/ports.js';

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
});
