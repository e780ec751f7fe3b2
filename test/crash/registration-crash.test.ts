/**
 * Crash consistency, tested by killing processes rather than by reasoning: a large CLI import
 * and a large DMS upload are SIGKILLed at random points (the importer, the server handling
 * the upload, and the node sending the mail, each more than once), then the same file is run
 * again to the end. Afterwards every user has exactly the state the file asks for, exactly one
 * activation link was ever issued per user and is live, and its mail reached the SMTP sink
 * under that link's one Message-ID (a resend after a kill between the server's "250 OK" and
 * the job's completion carries the same Message-ID, as the one duplicate SMTP allows).
 *
 * The points are random; the seed is printed, and CRASH_SEED=<seed> replays a run.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { addParticipant } from '../../src/directory/participants.js';
import { createLogger } from '../../src/observability/logger.js';
import { buildServer, type Server } from '../../src/server.js';
import { Browser } from '../support/browser.js';
import { TestClock } from '../support/clock.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { activationLinkIn, signInToDms, type DmsSession } from '../support/dms.js';
import { freePort } from '../support/ports.js';
import { exited, spawnSource, startServerProcess, writeConfig, type ServerProcess } from '../support/processes.js';
import { seedUser, testConfig, type RunningTestServer } from '../support/server.js';
import { SmtpSink } from '../support/smtp-sink.js';

const USERS = 200;
const KILLS = 4;

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

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('registration killed at random points (SIGKILL), then run again', () => {
  const seed = Number(process.env['CRASH_SEED'] ?? Date.now() % 1_000_000);
  const random = seededRandom(seed);
  const between = (low: number, high: number) => Math.round(low + random() * (high - low));
  let database: TestDatabase;
  let sink: SmtpSink;
  let dir: string;
  let origin: string;
  let configFile: string;
  let node: ServerProcess | undefined;

  beforeAll(async () => {
    console.log(`crash test seed ${seed} (replay with CRASH_SEED=${seed})`);
    database = await createTestDatabase();
    sink = await new SmtpSink().start();
    dir = await mkdtemp(path.join(tmpdir(), 'ccass-crash-'));
    const port = await freePort();
    origin = `http://127.0.0.1:${port}`;
    configFile = writeConfig(dir, 'node.yaml', {
      issuer: origin,
      server: { host: '127.0.0.1', port, shutdownDelaySeconds: 0 },
      database: { url: database.url, purgeIntervalSeconds: 0 },
      smtp: { url: sink.url, from: 'CCASS <no-reply@ccass.test>' },
      // A killed node's mail is picked up again quickly: heartbeat (10 s) plus this.
      jobs: { monitorIntervalSeconds: 1, pollingIntervalSeconds: 0.5 },
    });
  });
  afterEach(async () => {
    await node?.kill();
    node = undefined;
  });
  afterAll(async () => {
    await sink.stop();
    await database.drop();
  });

  /** A node of the server, killed and started again now and then: it sends the mail. */
  async function restartNode(): Promise<void> {
    await node?.kill();
    node = await startServerProcess(configFile, origin);
  }

  /** Waits until no mail job is queued or running (a killed node's jobs are retried by another). */
  async function mailSettled(timeoutMs = 90_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const [row] = (await database.db('pgboss.job').where({ name: 'mail' }).whereIn('state', ['created', 'retry', 'active']).count({ n: '*' })) as Array<{ n: number }>;
      if (Number(row?.n) === 0) return;
      if (Date.now() > deadline) throw new Error(`${row?.n} mail jobs still pending`);
      await sleep(200);
    }
  }

  /**
   * The state the last file asks for, whatever happened before: each user has that file's
   * address and exactly one live link, to that address, whose mail went out; every activation
   * mail in the sink belongs to a link that exists (nothing was sent for a change that rolled
   * back), and every copy of one mail is that link's job's mail (one Message-ID per link).
   */
  async function expectConverged(participantId: string, rows: Array<{ userId: string; email: string }>): Promise<void> {
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

  /** Which of the two files the database agrees with now. */
  async function currentVariant(participantId: string): Promise<'a' | 'b'> {
    const [row] = (await database.db('users').where({ participant_id: participantId }).whereLike('email', '%.a@crash.example').count({ n: '*' })) as Array<{ n: number }>;
    return Number(row?.n) === USERS ? 'a' : 'b';
  }

  /** Two files that disagree on every address: each run of one after the other has real work to do. */
  function files(prefix: string) {
    const users = Array.from({ length: USERS }, (_, index) => `${prefix}${index}`);
    return {
      users,
      rows: (variant: 'a' | 'b') => users.map((userId) => ({ userId, email: `${userId.toLowerCase()}.${variant}@crash.example` })),
    };
  }

  it('a CLI import killed at random points (and the mail node with it) converges when the file is run again', async () => {
    const participantId = 'K00001';
    const { rows } = files('IMPORT');
    const fileOf = async (variant: 'a' | 'b') => {
      const file = path.join(dir, `import-${variant}.csv`);
      await writeFile(file, `participant_id,user_id,display_name,email\n${rows(variant).map((row) => `${participantId},${row.userId},Import ${row.userId},${row.email}`).join('\n')}\n`);
      return file;
    };
    const fileA = await fileOf('a');
    const fileB = await fileOf('b');
    const env = { CONFIG_FILE: configFile, CCASS_OPERATOR: 'crash-test' };
    expect((await exited(spawnSource('src/cli/main.ts', ['participant', 'add', participantId, '--name', 'Crash Securities'], env))).code).toBe(0);
    await restartNode();

    // How long a whole import takes here, so that the kills fall within one.
    const started = Date.now();
    expect((await exited(spawnSource('src/cli/main.ts', ['user', 'import', fileB], env))).code).toBe(0);
    const duration = Date.now() - started;

    const kills: string[] = [];
    for (let attempt = 0; attempt < KILLS; attempt += 1) {
      // Always the file the database does not agree with yet: every attempt has all of it to do.
      const variant = (await currentVariant(participantId)) === 'a' ? 'b' : 'a';
      const importer = spawnSource('src/cli/main.ts', ['user', 'import', variant === 'a' ? fileA : fileB], env);
      const done = exited(importer);
      await sleep(between(duration * 0.4, duration * 1.05));
      importer.kill('SIGKILL');
      const result = await done;
      const applied = Number(((await database.db('users').where({ participant_id: participantId }).whereLike('email', `%.${variant}@crash.example`).count({ n: '*' })) as Array<{ n: number }>)[0]?.n);
      kills.push(`${variant}: ${result.signal ?? `exit ${result.code}`} with ${applied} rows applied`);
      // Half the time the node sending the mail dies too, mid-send or idle.
      if (random() < 0.5) await restartNode();
    }
    console.log(`CLI import (a whole run: ${duration} ms) kills: ${kills.join('; ')}`);
    // No kill can leave part of a file applied: the file is one transaction.
    for (const kill of kills) expect(kill).toMatch(new RegExp(`with (0|${USERS}) rows applied`));

    const final = await exited(spawnSource('src/cli/main.ts', ['user', 'import', fileA], env));
    expect({ code: final.code, err: final.err }).toEqual({ code: 0, err: '' });
    expect(final.out).toMatch(new RegExp(`added 0, (updated ${USERS}, unchanged 0|updated 0, unchanged ${USERS}), rejected 0`));
    await mailSettled();
    await expectConverged(participantId, rows('a'));
  }, 240_000);

  it('a DMS upload killed at random points (the server handling it, and the mail it queued) converges when the file is uploaded again', async () => {
    const participantId = 'K00002';
    const { users, rows } = files('UPLOAD');
    // Users and a DA, seeded in-process on the same database; the child node serves DMS.
    const seedingConfig = testConfig(origin, database.url);
    const seeding: Server = await buildServer(seedingConfig, database.db, createLogger('silent'), { clock: new TestClock(), workers: false });
    await addParticipant(seeding.queries, { id: participantId, name: 'Upload Securities' }, 'test');
    for (const userId of users) await seeding.queries.users.insert({ participant_id: participantId, user_id: userId, display_name: `Upload ${userId}`, email: null });
    const da = await seedUser(seeding, seedingConfig, { participantId, userId: 'DAADMIN', email: 'daadmin@crash.example' });
    await seeding.queries.users.setRole(da.subject, 'da');
    await seeding.stop();

    await restartNode();
    // The child keeps real time; the DA's next code is the next time step's.
    const asServer = { issuer: origin, clock: new TestClock(), config: seedingConfig } as unknown as RunningTestServer;
    const session: DmsSession = await signInToDms(asServer, da, new Browser());
    const csv = (variant: 'a' | 'b') => `user_id,email\n${rows(variant).map((row) => `${row.userId},${row.email}`).join('\n')}\n`;

    const started = Date.now();
    expect((await session.api('POST', '/dms/api/uploads', csv('b'))).status).toBe(200);
    const duration = Date.now() - started;

    const kills: string[] = [];
    for (let attempt = 0; attempt < KILLS; attempt += 1) {
      const variant = (await currentVariant(participantId)) === 'a' ? 'b' : 'a';
      const upload = session.api('POST', '/dms/api/uploads', csv(variant)).then(
        (response) => `answered ${response.status}`,
        () => 'cut off',
      );
      await sleep(between(0, duration * 1.05));
      await node?.kill();
      const outcome = await upload;
      const applied = Number(((await database.db('users').where({ participant_id: participantId }).whereLike('email', `%.${variant}@crash.example`).count({ n: '*' })) as Array<{ n: number }>)[0]?.n);
      kills.push(`${variant}: ${outcome} with ${applied} rows applied`);
      await restartNode();
    }
    console.log(`DMS upload (a whole one: ${duration} ms) kills: ${kills.join('; ')}`);
    for (const kill of kills) expect(kill).toMatch(new RegExp(`with (0|${USERS}) rows applied`));

    const final = await session.api('POST', '/dms/api/uploads', csv('a'));
    expect(final.status).toBe(200);
    expect(final.body.summary.rejected).toBe(0);
    expect(final.body.summary.changed + final.body.summary.unchanged).toBe(USERS);
    await mailSettled();
    await expectConverged(participantId, rows('a'));
  }, 240_000);
});
