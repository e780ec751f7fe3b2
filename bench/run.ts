/**
 * `npm run bench`: how fast ccass-auth logs users in, measured against what the machine
 * allows, in one run:
 *
 *  1. the hashing bound — argon2id verifications per second on every core (one password
 *     login costs one), with the configured parameters;
 *  2. full logins per second (authorization request → password → TOTP → code exchange →
 *     ID token) at several concurrencies, with p50/p95/p99 latency and the server's
 *     event-loop delay; the ratio to the hashing bound;
 *  3. refresh-token grants and discovery/JWKS requests per second;
 *  4. the same refresh grant against a bare oidc-provider with its in-memory adapter, the
 *     baseline for the cost of our PostgreSQL storage and hooks;
 *  5. optionally (--soak N), N logins with the server's heap and RSS sampled, and their trend.
 *
 * The server runs as its own process (`node dist/src/main.js`, production mode, rate limits
 * off) on a fresh PostgreSQL database; the load comes from this process through a bounded
 * undici pool. Results are printed and written to BENCHMARKS.md.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir, totalmem } from 'node:os';
import path from 'node:path';
import { createServer as createNetServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { stringify } from 'yaml';
import { ENV_OVERRIDES, loadConfig } from '../src/config/load.js';
import { connectDatabase } from '../src/store/database.js';
import { migrateToLatest } from '../src/store/migrate.js';
import { defaultHashingConcurrency } from '../src/factors/password.js';
import { fullLogin, HttpClient, refreshGrant, totpCode, type Client, type Credentials } from './http-client.js';
import { backendCpuBetween, cpuOfProcesses, cpuPer, cpuSnapshot, postgresBackendsOf, postgresPids, type CpuSnapshot } from './cpu.js';
import { runLoad, type LoadResult } from './measure.js';
import { seedUsers } from './seed.js';
import { countQueries } from './query-count.js';
import { writeReport, type BenchReport } from './report.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const cores = availableParallelism();

const { values: args } = parseArgs({
  options: {
    users: { type: 'string', default: '3000' },
    seconds: { type: 'string', default: '15' },
    concurrency: { type: 'string', default: [1, cores, cores * 2, cores * 4].join(',') },
    /** --soak N: N logins; --soak 10m: ten minutes of logins. */
    soak: { type: 'string', default: '0' },
    /** Which parts to run (all by default): logins, refresh, discovery, baseline. For profiling one of them. */
    only: { type: 'string', default: 'logins,refresh,discovery,baseline' },
    /** How many argon2 computations the server runs at once (default: its own, one per core). */
    'argon2-concurrency': { type: 'string' },
    'no-write': { type: 'boolean', default: false },
    out: { type: 'string', default: path.join(ROOT, 'BENCHMARKS.md') },
    /**
     * --server DIR: run the server built in another checkout (its dist/src/main.js), e.g. an
     * earlier commit, with this harness: two versions compared in one sitting, same measures.
     */
    server: { type: 'string' },
    /**
     * --against DIR: run that checkout's built server beside this one (same database, same
     * configuration, its own port) and alternate logins between the two at each level, so both
     * are measured at the same moments of a shared machine. Prints, per server, logins/s and
     * CPU per login; nothing else is measured.
     */
    against: { type: 'string' },
  },
});
const seconds = Number(args.seconds);
const levels = (args.concurrency as string).split(',').map(Number);
const parts = new Set((args.only as string).split(','));

/** prom-client's event-loop monitor resolution (its default), included in every value it records. */
const EVENT_LOOP_SAMPLING_MS = 10;

const ADMIN_URL = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const DATABASE = 'ccass_bench';

/** How the server reaches PostgreSQL: a Unix socket (a `host` parameter naming a folder) or TCP. */
function postgresRoute(url: string): string {
  const parsed = new URL(url);
  const socketFolder = parsed.searchParams.get('host');
  return socketFolder?.startsWith('/') ? `its Unix socket in ${socketFolder}` : `TCP to ${parsed.hostname}:${parsed.port || 5432}`;
}

function log(message: string): void {
  process.stderr.write(`bench: ${message}\n`);
}

async function freePort(): Promise<number> {
  const probe = createNetServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

async function freshDatabase(): Promise<string> {
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`drop database if exists ${DATABASE} with (force)`);
  await admin.query(`create database ${DATABASE}`);
  await admin.end();
  const url = new URL(ADMIN_URL);
  url.pathname = `/${DATABASE}`;
  return url.toString();
}

function childJson<T>(args: string[], env: Record<string, string> = {}): { child: ChildProcess; first: Promise<T> } {
  const child = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  const first = new Promise<T>((resolve, reject) => {
    let buffer = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const line = buffer.indexOf('\n');
      if (line >= 0) resolve(JSON.parse(buffer.slice(0, line)) as T);
    });
    child.on('exit', (code) => reject(new Error(`${args[0]} exited with ${code}`)));
  });
  return { child, first };
}

async function waitReady(origin: string): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt += 1) {
    try {
      if ((await fetch(`${origin}/readyz`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error('the server did not become ready');
}

/** Reads metric samples from the server's /metrics (scraping also resets its event-loop histogram). */
async function scrape(origin: string, token: string): Promise<Map<string, number>> {
  const text = await (await fetch(`${origin}/metrics`, { headers: { authorization: `Bearer ${token}` } })).text();
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    samples.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return samples;
}

/** Hands out users whose TOTP time step is free again (a code is accepted once per step). */
function userScheduler(users: Credentials[], periodSeconds: number) {
  const lastUsed = new Array<number>(users.length).fill(0);
  let next = 0;
  return (): { user: Credentials; code: string } => {
    for (let tried = 0; tried < users.length; tried += 1) {
      const index = next;
      next = (next + 1) % users.length;
      const now = Date.now();
      if (now - (lastUsed[index] as number) > (periodSeconds + 2) * 1000) {
        lastUsed[index] = now;
        const user = users[index] as Credentials;
        return { user, code: totpCode(user.totpSecret, now / 1000, periodSeconds) };
      }
    }
    throw new Error('every benchmark user logged in within the last TOTP period: run with more --users');
  };
}

async function main(): Promise<void> {
  const databaseUrl = await freshDatabase();
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const metricsToken = randomBytes(32).toString('base64url');
  const client: Client = { clientId: 'bench-terminal', clientSecret: randomBytes(32).toString('base64url'), redirectUri: 'https://terminal.bench.example/callback' };
  const argon2Concurrency = args['argon2-concurrency'] === undefined ? {} : { password: { argon2: { concurrency: Number(args['argon2-concurrency']) } } };
  const raw = {
    ...argon2Concurrency,
    env: 'production',
    issuer: `https://auth.bench.example`,
    server: { host: '127.0.0.1', port, trustProxy: true, shutdownDelaySeconds: 0 },
    database: { url: databaseUrl, pool: { min: 2, max: 10 } },
    log: { level: 'warn' },
    smtp: { url: 'smtp://127.0.0.1:9' }, // TOTP logins send no mail
    secrets: { encryptionKeys: [`bench:${randomBytes(32).toString('base64')}`] },
    metrics: { token: metricsToken },
    rateLimits: { enabled: false }, // every login comes from one address here
    oidc: {
      cookieKeys: [randomBytes(32).toString('base64url')],
      clients: [{ client_id: client.clientId, client_secret: client.clientSecret, redirect_uris: [client.redirectUri], first_party: true }],
    },
  };
  const dir = mkdtempSync(path.join(tmpdir(), 'ccass-bench-'));
  const configFile = path.join(dir, 'bench.yaml');
  writeFileSync(configFile, stringify(raw));
  const config = loadConfig({ env: { CONFIG_FILE: configFile } });

  log(`${cores} cores, database ${DATABASE}: migrating and seeding ${args.users} users`);
  const db = connectDatabase(databaseUrl);
  await migrateToLatest(db);
  const users = await seedUsers(db, config, Number(args.users));
  const queries = await countQueries(db, config, users[users.length - 1] as Credentials, client);
  await db.destroy();

  log('measuring the hashing bound');
  const { argon2 } = config.password;
  /**
   * The hashing bound now, measured for `boundSeconds` while the server is idle. On a shared
   * machine it moves from one minute to the next (one run here read 28.6/s, a quieter one
   * 101/s), so each login level is set against the bound measured right before and right after it.
   */
  const measureBound = (boundSeconds: number) =>
    childJson<{ verifiesPerSecond: number; serialVerifyMs: number; threadpool: number }>(
      [path.join(ROOT, 'dist/bench/hashing-bound.js'), String(argon2.memoryCost), String(argon2.timeCost), String(argon2.parallelism), String(boundSeconds)],
      { UV_THREADPOOL_SIZE: String(cores) },
    ).first;
  const boundSeconds = Math.max(3, Math.min(5, seconds / 3));
  const bound = await measureBound(Math.max(5, seconds / 2));

  log('starting the server');
  // BENCH_SERVER_ARGS: extra node flags for the server only (e.g. --cpu-prof to profile it).
  const serverArgs = (process.env['BENCH_SERVER_ARGS'] ?? '').split(' ').filter(Boolean);
  // Only the benchmark's configuration file counts: variables that would override it are dropped.
  const serverEnv: Record<string, string | undefined> = { ...process.env, CONFIG_FILE: configFile };
  for (const { variable } of ENV_OVERRIDES) delete serverEnv[variable];
  const serverRoot = args.server ? path.resolve(args.server as string) : ROOT;
  if (args.server) log(`the server under test is ${serverRoot} (the statement count is this checkout's)`);
  const server = spawn(process.execPath, [...serverArgs, path.join(serverRoot, 'dist/src/main.js')], { env: serverEnv, stdio: ['ignore', 'inherit', 'inherit'] });
  /** Another node of the same service (same database, keys and clients) on its own port. */
  const startSecondNode = async (root = serverRoot) => {
    const secondPort = await freePort();
    const secondConfig = path.join(dir, 'bench-second-node.yaml');
    writeFileSync(secondConfig, stringify({ ...raw, server: { ...raw.server, port: secondPort } }));
    const child = spawn(process.execPath, [path.join(root, 'dist/src/main.js')], { env: { ...serverEnv, CONFIG_FILE: secondConfig }, stdio: ['ignore', 'inherit', 'inherit'] });
    const secondOrigin = `http://127.0.0.1:${secondPort}`;
    await waitReady(secondOrigin);
    const secondHttp = new HttpClient(secondOrigin, 64);
    return {
      pid: child.pid as number,
      http: secondHttp,
      stop: async () => {
        await secondHttp.close();
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      },
    };
  };
  const report: BenchReport = {
    command: `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim(),
    date: new Date().toISOString(),
    machine: { cores, cpu: cpus()[0]?.model ?? 'unknown', memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version, postgres: '', postgresVia: postgresRoute(databaseUrl) },
    argon2Concurrency: config.password.argon2.concurrency ?? defaultHashingConcurrency(),
    argon2,
    users: users.length,
    hashingBound: bound,
    queries,
    logins: [],
    singleLoginMs: 0,
    refresh: undefined,
    refreshCpuMs: undefined,
    refreshTwoNodes: undefined,
    refreshTwoNodesCpuMs: undefined,
    bareRefresh: undefined,
    discovery: undefined,
    jwks: undefined,
    soak: undefined,
  };
  const http = new HttpClient(origin, Math.max(...levels, 64));
  try {
    await waitReady(origin);
    const pgVersion = new pg.Client({ connectionString: databaseUrl });
    await pgVersion.connect();
    report.machine.postgres = ((await pgVersion.query('show server_version')).rows[0] as { server_version: string }).server_version;
    await pgVersion.end();

    // The last user was used for the query count just now: its TOTP step is taken.
    const nextUser = userScheduler(users.slice(0, -1), config.totp.period);
    const login = async () => {
      const { user, code } = nextUser();
      return fullLogin(http, client, user, code);
    };
    if (args.against) {
      await compareServers(http, client, nextUser, server.pid as number, await startSecondNode(path.resolve(args.against as string)), path.resolve(args.against as string), databaseUrl);
      return;
    }

    log('warming up');
    await runLoad({ concurrency: cores, count: 40, task: login });

    log('single-login latency');
    const single = await runLoad({ concurrency: 1, seconds: Math.min(seconds, 10), task: login });
    report.singleLoginMs = single.p50;

    for (const concurrency of parts.has('logins') ? levels : []) {
      log(`logins at concurrency ${concurrency} (hashing bound measured right before and right after)`);
      const boundBefore = (await measureBound(boundSeconds)).verifiesPerSecond;
      await scrape(origin, metricsToken); // resets the event-loop delay histogram
      const cpuBefore = cpuSnapshot(server.pid as number);
      const result = await runLoad({ concurrency, seconds, task: login });
      if (result.failed) log(`${result.failed} logins failed at concurrency ${concurrency}; the first: ${result.firstError}`);
      const cpu = cpuPer(cpuBefore, cpuSnapshot(server.pid as number), result.completed);
      const after = await scrape(origin, metricsToken);
      const boundAfter = (await measureBound(boundSeconds)).verifiesPerSecond;
      // prom-client samples the event loop every 10 ms and records each interval: the delay is what exceeds it.
      report.logins.push({
        ...result,
        cpuMsPerLogin: cpu,
        eventLoopP99Ms: Math.max(0, (after.get('nodejs_eventloop_lag_p99_seconds') ?? Number.NaN) * 1000 - EVENT_LOOP_SAMPLING_MS),
        boundBefore,
        boundAfter,
      });
    }

    const refreshConcurrency = cores * 8;
    if (parts.has('refresh')) {
      log('refresh-token grants');
      const refreshTokens = await Promise.all(Array.from({ length: 64 }, () => login().then((result) => result.refreshToken)));
      const refreshCpu = cpuSnapshot(server.pid as number);
      report.refresh = await runLoad({
        concurrency: refreshConcurrency,
        seconds,
        task: async (worker) => {
          refreshTokens[worker % refreshTokens.length] = await refreshGrant(http, client, refreshTokens[worker % refreshTokens.length] as string);
        },
      });
      report.refreshCpuMs = cpuPer(refreshCpu, cpuSnapshot(server.pid as number), report.refresh.completed);

      if (cores > 1) {
        log('refresh-token grants on two nodes');
        const second = await startSecondNode();
        try {
          // Each worker keeps to one node, like a relying party behind a load balancer.
          const task = async (worker: number) => {
            const node = worker % 2 === 0 ? http : second.http;
            refreshTokens[worker % refreshTokens.length] = await refreshGrant(node, client, refreshTokens[worker % refreshTokens.length] as string);
          };
          await runLoad({ concurrency: refreshConcurrency, seconds: 5, task }); // the new node's warm-up
          const cpuBefore = cpuSnapshot([server.pid as number, second.pid]);
          report.refreshTwoNodes = await runLoad({ concurrency: refreshConcurrency, seconds, task });
          report.refreshTwoNodesCpuMs = cpuPer(cpuBefore, cpuSnapshot([server.pid as number, second.pid]), report.refreshTwoNodes.completed);
        } finally {
          await second.stop();
        }
      }
    }
    if (parts.has('discovery')) {
      log('discovery and JWKS');
      report.discovery = await runLoad({ concurrency: refreshConcurrency, seconds: Math.max(3, seconds / 3), task: () => http.request('GET', '/.well-known/openid-configuration') });
      report.jwks = await runLoad({ concurrency: refreshConcurrency, seconds: Math.max(3, seconds / 3), task: () => http.request('GET', '/jwks') });
    }

    const soak = /^(\d+)(m?)$/.exec(args.soak as string);
    if (soak && Number(soak[1]) > 0) {
      const soakMinutes = soak[2] === 'm' ? Number(soak[1]) : undefined;
      log(`soak: ${soakMinutes ? `${soakMinutes} minutes of` : soak[1]} logins with heap and RSS sampled`);
      const samples: Array<{ logins: number; seconds: number; heapMiB: number; rssMiB: number }> = [];
      let done = 0;
      const begin = Date.now();
      const sample = async () => {
        const metrics = await scrape(origin, metricsToken);
        samples.push({
          logins: done,
          seconds: (Date.now() - begin) / 1000,
          heapMiB: (metrics.get('nodejs_heap_size_used_bytes') ?? 0) / 2 ** 20,
          rssMiB: (metrics.get('process_resident_memory_bytes') ?? 0) / 2 ** 20,
        });
      };
      await sample();
      const timer = setInterval(() => void sample(), 5000);
      const result = await runLoad({
        concurrency: cores * 2,
        ...(soakMinutes ? { seconds: soakMinutes * 60 } : { count: Number(soak[1]) }),
        task: async () => {
          await login();
          done += 1;
        },
      });
      clearInterval(timer);
      await sample();
      report.soak = { result, samples };
    }
  } finally {
    await http.close();
    const exited = new Promise((resolve) => server.once('exit', resolve));
    server.kill('SIGTERM');
    await exited;
    // The configuration files (with the bench's own keys) go with the servers that read them.
    rmSync(dir, { recursive: true, force: true });
  }

  if (parts.has('baseline')) {
  log('baseline: bare oidc-provider with the in-memory adapter');
  const bare = childJson<{ issuer: string; tokens: string[] }>([
    path.join(ROOT, 'dist/bench/bare-provider.js'),
    JSON.stringify({ client_id: client.clientId, client_secret: client.clientSecret, redirect_uris: [client.redirectUri], grant_types: ['authorization_code', 'refresh_token'] }),
    '64',
    String(config.oidc.ttl.refreshToken),
  ]);
  const { issuer: bareOrigin, tokens } = await bare.first;
  const bareHttp = new HttpClient(bareOrigin, cores * 8);
  try {
    report.bareRefresh = await runLoad({
      concurrency: cores * 8,
      seconds,
      task: async (worker) => {
        tokens[worker % tokens.length] = await refreshGrant(bareHttp, client, tokens[worker % tokens.length] as string);
      },
    });
  } finally {
    await bareHttp.close();
    bare.child.kill('SIGTERM');
  }
  }

  const text = writeReport(report, args['no-write'] ? undefined : (args.out as string), readFileSync);
  process.stdout.write(text);
}

/** A figure with so many decimals, or n/a when it could not be measured. */
function figure(value: number, decimals: number): string {
  return Number.isFinite(value) ? value.toFixed(decimals) : 'n/a';
}

/**
 * `--against`: this server and another checkout's, the same logins alternated between them at
 * each level. CPU per login, by process: the server outside its thread pool (argon2), the
 * thread pool, and the PostgreSQL backends of its own connections (postgresBackendsOf), so
 * that "outside argon2" compares whole, at the same moments. The rest of PostgreSQL's CPU
 * (its processes alive throughout the level that serve neither server: WAL writer,
 * checkpointer, any other client's backend) is shown for both together; short-lived ones
 * (autovacuum workers) are not seen.
 */
async function compareServers(
  http: HttpClient,
  client: Client,
  nextUser: () => { user: Credentials; code: string },
  pid: number,
  other: { pid: number; http: HttpClient; stop(): Promise<void> },
  otherRoot: string,
  databaseUrl: string,
): Promise<void> {
  const servers = [
    { name: `this checkout (${ROOT})`, http, pid },
    { name: `--against (${otherRoot})`, http: other.http, pid: other.pid },
  ];
  const admin = new pg.Client({ connectionString: databaseUrl });
  const postgresPort = Number(new URL(databaseUrl).port || 5432);
  const backendsOf = (serverPid: number) => postgresBackendsOf(serverPid, admin, postgresPort);
  try {
    await admin.connect();
    let turn = 0;
    const task = async () => {
      const target = servers[turn++ % 2] as (typeof servers)[number];
      const { user, code } = nextUser();
      await fullLogin(target.http, client, user, code);
      return target;
    };
    log('warming up both');
    await runLoad({ concurrency: cores, count: 60, task });
    const lines = [
      '| concurrency | server | logins | server outside argon2 ms/login | its PostgreSQL backends ms/login | outside argon2 ms/login | argon2 (thread pool) ms/login | outside ÷ argon2 |',
      '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ];
    const ratios: string[] = [];
    for (const concurrency of levels) {
      log(`both servers at concurrency ${concurrency}, logins alternated`);
      const done = new Map<number, number>();
      const backendsBefore = await Promise.all(servers.map(async (entry) => cpuOfProcesses(await backendsOf(entry.pid))));
      const postgresBefore = cpuOfProcesses(postgresPids());
      const before = servers.map((entry) => cpuSnapshot(entry.pid));
      await runLoad({
        concurrency,
        seconds,
        task: async () => {
          const target = await task();
          done.set(target.pid, (done.get(target.pid) ?? 0) + 1);
        },
      });
      const after = servers.map((entry) => cpuSnapshot(entry.pid));
      const postgresAfter = cpuOfProcesses(postgresPids());
      const backendsAfter = await Promise.all(servers.map(async (entry) => cpuOfProcesses(await backendsOf(entry.pid))));
      if (backendsAfter.some((backends) => backends.size === 0)) {
        log("a server's PostgreSQL backends were not found (PostgreSQL over a Unix socket, or not on this machine): its PostgreSQL CPU reads n/a");
      }
      const outside: number[] = [];
      servers.forEach((entry, index) => {
        const count = done.get(entry.pid) ?? 0;
        const cpu = cpuPer(before[index] as CpuSnapshot, after[index] as CpuSnapshot, count);
        const backendMs = backendCpuBetween(backendsBefore[index] as Map<number, number>, backendsAfter[index] as Map<number, number>);
        const postgres = count > 0 && (backendsAfter[index] as Map<number, number>).size > 0 ? backendMs / count : Number.NaN;
        const serverOutside = cpu.server - cpu.serverThreadPool;
        outside.push(serverOutside + postgres);
        lines.push(
          `| ${concurrency} | ${entry.name} | ${count} | ${figure(serverOutside, 2)} | ${figure(postgres, 2)} | ${figure(serverOutside + postgres, 2)} | ${figure(cpu.serverThreadPool, 2)} | ${figure((serverOutside + postgres) / cpu.serverThreadPool, 3)} |`,
        );
      });
      const logins = [...done.values()].reduce((sum, count) => sum + count, 0);
      // The rest of PostgreSQL: its processes alive throughout that serve neither server's connections.
      const serving = new Set([...backendsBefore, ...backendsAfter].flatMap((backends) => [...backends.keys()]));
      const shared = new Map([...postgresAfter].filter(([postgresPid]) => postgresBefore.has(postgresPid) && !serving.has(postgresPid)));
      const sharedPostgres = backendCpuBetween(postgresBefore, shared) / logins;
      ratios.push(`- concurrency ${concurrency}: outside argon2, this ÷ against = ${figure((outside[0] as number) / (outside[1] as number), 3)}; the rest of PostgreSQL ${figure(sharedPostgres, 2)} ms/login for both (not split)`);
    }
    process.stdout.write(`${lines.join('\n')}\n\n${ratios.join('\n')}\n`);
  } finally {
    await admin.end().catch(() => undefined);
    await other.stop();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`bench: failed: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  },
);

export type { LoadResult };
