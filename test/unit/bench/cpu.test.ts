import { spawn } from 'node:child_process';
import pg from 'pg';
import { backendCpuBetween, postgresBackendsOf } from '../../../bench/cpu.js';
import { ADMIN_DATABASE_URL, withAdminClient } from '../../support/database.js';

describe("the benchmark's PostgreSQL CPU by server", () => {
  it('counts what each backend used between the readings, from 0 for one that started meanwhile', () => {
    const before = new Map([
      [10, 100],
      [11, 50],
      [12, 70], // ended before the second reading: not in it, and not subtracted
    ]);
    const after = new Map([
      [10, 130],
      [11, 50],
      [13, 5],
    ]);
    expect(backendCpuBetween(before, after)).toBe(35);
    expect(backendCpuBetween(new Map(), new Map())).toBe(0);
  });

  it("finds the backends of a process's own connections, and not another process's", async () => {
    const url = new URL(ADMIN_DATABASE_URL);
    if (url.searchParams.get('host')?.startsWith('/')) return; // over a Unix socket there are no ports to match
    const port = Number(url.port || 5432);
    const own = new pg.Client({ connectionString: ADMIN_DATABASE_URL });
    await own.connect();
    // Another process with a connection of its own: it prints its backend's pid, then waits.
    const other = spawn(process.execPath, ['--input-type=module', '-e', OTHER_PROCESS], { env: { ...process.env, URL: ADMIN_DATABASE_URL }, stdio: ['pipe', 'pipe', 'inherit'] });
    try {
      const ownBackend = ((await own.query('select pg_backend_pid() as pid')).rows[0] as { pid: number }).pid;
      const otherBackend = Number(await new Promise<string>((resolve) => other.stdout.once('data', (chunk: Buffer) => resolve(chunk.toString()))));
      await withAdminClient(async (admin) => {
        const mine = await postgresBackendsOf(process.pid, admin, port);
        const theirs = await postgresBackendsOf(other.pid as number, admin, port);
        expect(mine).toContain(ownBackend);
        expect(mine).not.toContain(otherBackend);
        expect(theirs).toEqual([otherBackend]);
      });
    } finally {
      other.stdin.end();
      await new Promise((resolve) => other.once('exit', resolve));
      await own.end();
    }
  });
});

/** Connects with pg (resolved from this repository), prints its backend pid, and ends when stdin closes. */
const OTHER_PROCESS = `
import { createRequire } from 'node:module';
const pg = createRequire(${JSON.stringify(`${process.cwd()}/package.json`)})('pg');
const client = new pg.Client({ connectionString: process.env.URL });
await client.connect();
const { rows } = await client.query('select pg_backend_pid() as pid');
process.stdout.write(String(rows[0].pid));
process.stdin.resume();
process.stdin.on('end', () => client.end().then(() => process.exit(0)));
`;
