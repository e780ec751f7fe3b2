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

  it("finds the backend of a process's own connection, and none of another process's", async () => {
    const url = new URL(ADMIN_DATABASE_URL);
    if (url.searchParams.get('host')?.startsWith('/')) return; // over a Unix socket there are no ports to match
    const own = new pg.Client({ connectionString: ADMIN_DATABASE_URL });
    await own.connect();
    try {
      const backend = ((await own.query('select pg_backend_pid() as pid')).rows[0] as { pid: number }).pid;
      await withAdminClient(async (admin) => {
        const port = Number(url.port || 5432);
        expect(await postgresBackendsOf(process.pid, admin, port)).toContain(backend);
        // PostgreSQL's checkpointer holds no connection to PostgreSQL: it has no backends.
        const checkpointer = ((await admin.query("select pid from pg_stat_activity where backend_type = 'checkpointer'")).rows[0] as { pid: number } | undefined)?.pid;
        if (checkpointer) expect(await postgresBackendsOf(checkpointer, admin, port)).toEqual([]);
      });
    } finally {
      await own.end();
    }
  });
});
