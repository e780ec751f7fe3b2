/**
 * What the crash tests share: a database, an SMTP sink and a child node of the server that is
 * SIGKILLed and started again, random kill points from a printed seed, and the check that a
 * run of registrations converged on the last file's state — one live link per user, mailed,
 * and no mail for anything that rolled back.
 *
 * The points are random; the seed is printed, and CRASH_SEED=<seed> replays a run.
 */
import { createHash } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createTestDatabase, type TestDatabase } from './database.js';
import { activationLinkIn } from './dms.js';
import { freePort } from './ports.js';
import { startServerProcess, writeConfig, type ServerProcess } from './processes.js';
import { SmtpSink } from './smtp-sink.js';

/** Users per file: enough that a whole run takes long enough for kills to fall inside it. */
export const USERS = 120;
/** Kills per test. */
export const KILLS = 4;

/** A small seeded generator (mulberry32): the kill points of a run can be replayed. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface CrashHarness {
  seed: number;
  /** A number in [0, 1) from the seeded generator. */
  random(): number;
  /**
   * When to kill attempt `attempt` of `KILLS`: a random point in that attempt's own slice of
   * [low, high], so that the kills of a run spread over the whole window (some early, some
   * after the commit) rather than falling where chance puts them.
   */
  killPoint(attempt: number, low: number, high: number): number;
  database: TestDatabase;
  sink: SmtpSink;
  /** A temporary folder for the node's configuration and the files to import. */
  dir: string;
  /** The child node's issuer. */
  origin: string;
  configFile: string;
  /** Kills the child node (if one runs) and starts a new one on the same port. */
  restartNode(): Promise<void>;
  /** Kills the child node, if one runs. */
  killNode(): Promise<void>;
  /** Waits until no mail job is queued or running (a killed node's jobs are retried by another). */
  mailSettled(timeoutMs?: number): Promise<void>;
  expectConverged(participantId: string, rows: Array<{ userId: string; email: string }>): Promise<void>;
  /** Which of the two files the database agrees with now. */
  currentVariant(participantId: string): Promise<'a' | 'b'>;
  /** Two files that disagree on every address: each run of one after the other has real work to do. */
  files(prefix: string): { users: string[]; rows: (variant: 'a' | 'b') => Array<{ userId: string; email: string }> };
}

/** Sets up (beforeAll) and tears down (afterEach: the node; afterAll: the rest) what a crash test file needs. */
export function useCrashHarness(): CrashHarness {
  const seed = Number(process.env['CRASH_SEED'] ?? Date.now() % 1_000_000);
  const random = seededRandom(seed);
  let node: ServerProcess | undefined;
  const harness = {
    seed,
    random,
    killPoint: (attempt: number, low: number, high: number) => Math.round(low + ((attempt + random()) / KILLS) * (high - low)),
    async restartNode() {
      await node?.kill();
      node = await startServerProcess(harness.configFile, harness.origin);
    },
    async killNode() {
      await node?.kill();
      node = undefined;
    },
    async mailSettled(timeoutMs = 90_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const [row] = (await harness.database.db('pgboss.job').where({ name: 'mail' }).whereIn('state', ['created', 'retry', 'active']).count({ n: '*' })) as Array<{ n: number }>;
        if (Number(row?.n) === 0) return;
        if (Date.now() > deadline) throw new Error(`${row?.n} mail jobs still pending`);
        await sleep(200);
      }
    },
    expectConverged: (participantId: string, rows: Array<{ userId: string; email: string }>) => expectConverged(harness, participantId, rows),
    async currentVariant(participantId: string) {
      const [row] = (await harness.database.db('users').where({ participant_id: participantId }).whereLike('email', '%.a@crash.example').count({ n: '*' })) as Array<{ n: number }>;
      return Number(row?.n) === USERS ? 'a' : 'b';
    },
    files(prefix: string) {
      const users = Array.from({ length: USERS }, (_, index) => `${prefix}${index}`);
      return {
        users,
        rows: (variant: 'a' | 'b') => users.map((userId) => ({ userId, email: `${userId.toLowerCase()}.${variant}@crash.example` })),
      };
    },
  } as CrashHarness;

  beforeAll(async () => {
    console.log(`crash test seed ${seed} (replay with CRASH_SEED=${seed})`);
    harness.database = await createTestDatabase();
    harness.sink = await new SmtpSink().start();
    harness.dir = await mkdtemp(path.join(tmpdir(), 'ccass-crash-'));
    const port = await freePort();
    harness.origin = `http://127.0.0.1:${port}`;
    harness.configFile = writeConfig(harness.dir, 'node.yaml', {
      issuer: harness.origin,
      server: { host: '127.0.0.1', port, shutdownDelaySeconds: 0 },
      database: { url: harness.database.url, purgeIntervalSeconds: 0 },
      smtp: { url: harness.sink.url, from: 'CCASS <no-reply@ccass.test>' },
      // A killed node's mail is picked up again quickly: heartbeat (10 s) plus this.
      jobs: { monitorIntervalSeconds: 1, pollingIntervalSeconds: 0.5 },
      // The firm's one DA uploads alone, as in test/support/server.ts: what is killed is the upload, not its approval.
      makerChecker: { actions: [] },
    });
  });
  afterEach(() => harness.killNode());
  afterAll(async () => {
    await harness.sink.stop();
    await harness.database.drop();
  });
  return harness;
}

/**
 * The state the last file asks for, whatever happened before: each user has that file's
 * address and exactly one live link, to that address, whose mail went out; every activation
 * mail in the sink belongs to a link that exists (nothing was sent for a change that rolled
 * back), and every copy of one mail is that link's job's mail (one Message-ID per link).
 */
async function expectConverged(harness: CrashHarness, participantId: string, rows: Array<{ userId: string; email: string }>): Promise<void> {
  const { database, sink } = harness;
  const tokensByHash = new Map<string, { mail_job_id: string | null; user_id: string }>();
  for (const token of await database.db('activation_tokens').select('token_hash', 'mail_job_id', 'user_id')) tokensByHash.set(token.token_hash, token);
  const copies = new Map<string, number>();
  for (const mail of sink.messages.filter((message) => message.subject.startsWith('Set up your CCASS login'))) {
    const sent = new URL(activationLinkIn(mail)).searchParams.get('token') as string;
    const token = tokensByHash.get(createHash('sha256').update(sent).digest('hex'));
    expect({ to: mail.to, link: token ? 'issued' : 'never issued' }).toEqual({ to: mail.to, link: 'issued' });
    expect(mail.messageId).toBe(`<${token?.mail_job_id}@127.0.0.1>`);
    copies.set(mail.messageId, (copies.get(mail.messageId) ?? 0) + 1);
  }
  for (const { userId, email } of rows) {
    const user = await database.db('users').where({ participant_id: participantId, user_id: userId }).first();
    expect({ userId, email: user?.email, password: user?.password_hash ?? null }).toEqual({ userId, email, password: null });
    const live = await database.db('activation_tokens').where({ user_id: user.id }).whereNull('used_at').whereNull('revoked_at').where('expires_at', '>', new Date());
    expect({ userId, live: live.length, to: live[0]?.email }).toEqual({ userId, live: 1, to: email });
    const job = await database.db('pgboss.job').where({ name: 'mail', id: live[0].mail_job_id }).first('state');
    expect({ userId, job: job?.state }).toEqual({ userId, job: 'completed' });
    expect({ userId, mailed: (copies.get(`<${live[0].mail_job_id}@127.0.0.1>`) ?? 0) >= 1, marked: live[0].mailed_at instanceof Date }).toEqual({ userId, mailed: true, marked: true });
  }
  const resent = [...copies.values()].reduce((sum, count) => sum + count - 1, 0);
  const links = Number(((await database.db('activation_tokens').count({ n: '*' })) as Array<{ n: number }>)[0]?.n);
  console.log(`${rows.length} users converged; ${links} links issued in all, ${copies.size} mailed; ${resent} resend(s) of a mail already accepted (same Message-ID)`);
}
