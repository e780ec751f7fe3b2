/**
 * Mail in order of cause, per recipient: with the mail server down for a while (long enough for
 * the retries to spread out), every mail arrives once when it is back, and each address gets its
 * mails in the order they were queued — on one node and on two, whose workers both hold mail.
 * A recipient refused with 4xx holds up only its own mails; a mail given up (5xx) or dropped
 * (what it carried is no longer valid) does not hold up the next one to its address. Real
 * PostgreSQL, a real SMTP server; no timing is asserted, only conditions waited for.
 */
import { PgBoss } from 'pg-boss';
import { registerDesignatedEmail } from '../../src/enrolment/activation-links.js';
import { installJobQueue, QUEUES, recipientKey } from '../../src/jobs/queue.js';
import { operatorActor } from '../../src/kernel/actor.js';
import type { Server } from '../../src/app/server.js';
import type { DeliveryCondition } from '../../src/mail/outbox.js';
import { convertToKeyStrictFifo, JOB_APPLICATION_NAME, JOB_SCHEMA } from '../../src/store/job-schema.js';
import { ForbiddenError } from '../../src/kernel/errors.js';
import { startCluster, type TestCluster } from '../support/cluster.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { freePort } from '../support/ports.js';
import { jobsSettled, seedUser, startTestServer, type RunningTestServer } from '../support/server.js';
import { SmtpSink } from '../support/smtp-sink.js';

/** An outage test's time: several backoff rounds, then the backlog. */
const OUTAGE_MS = 180_000;

const FROM = 'CCASS <no-reply@ccass.test>';

async function waitFor(what: string, condition: () => Promise<boolean> | boolean, timeoutMs = 60_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Queues one mail in a transaction of its own (as each cause does), subject = `subject`. */
async function queueMail(server: Server, to: string, subject: string, wanted?: DeliveryCondition): Promise<string> {
  return server.queries.transaction((trx) => server.outbox.queue(trx.jobs, { kind: 'security-notice', to, subject, text: `${subject}\n` }, wanted));
}

/** The subjects `sink` received for `address` (any case), in the order they arrived. */
const subjectsTo = (sink: SmtpSink, address: string) => sink.messages.filter((mail) => mail.to.toLowerCase().includes(address.toLowerCase())).map((mail) => mail.subject);

/** The most retries any mail still waiting has had. */
async function mostRetries(database: TestDatabase): Promise<number> {
  const row = (await database.db(`${JOB_SCHEMA}.job`).where({ name: 'mail' }).whereIn('state', ['created', 'retry', 'active']).max({ n: 'retry_count' }).first()) as { n: number | null } | undefined;
  return Number(row?.n ?? 0);
}

describe('mail in order of cause, per recipient, on one node', () => {
  let database: TestDatabase;
  let running: RunningTestServer;
  let port: number;
  let sink: SmtpSink | undefined;

  beforeAll(async () => {
    database = await createTestDatabase();
    port = await freePort();
    // Nothing listens on `port` until a test starts the mail server there.
    running = await startTestServer(database.db, database.url, { smtp: { url: `smtp://127.0.0.1:${port}`, from: FROM, firstAttemptWaitMs: 0 } });
  });
  afterEach(async () => {
    await running.mailSettled().catch(() => undefined);
    await sink?.stop();
    sink = undefined;
  });
  afterAll(async () => {
    await running.close();
    await database.drop();
  });

  it('keys each mail job by a hash of its recipient in lower case, in a key_strict_fifo queue', async () => {
    const id = await queueMail(running.server, 'Keyed@Example.COM', 'keyed');
    const job = await database.db(`${JOB_SCHEMA}.job`).where({ name: 'mail', id }).first('singleton_key', 'policy');
    expect(job).toEqual({ singleton_key: recipientKey('keyed@example.com'), policy: 'key_strict_fifo' });
    expect(JSON.stringify(job)).not.toContain('keyed@');
    sink = await new SmtpSink().start(port);
    await running.mailSettled();
  }, OUTAGE_MS);

  it('after an outage long enough for the retries to spread out, sends every mail once, each address’s in the order queued', async () => {
    const server = running.server;
    const a = 'order-a@example.com';
    const b = 'order-b@example.com';
    const c = 'order-c@example.com';
    // A user with a password whose address will change to `a`: the change notices are a real cause.
    const mover = await seedUser(server, running.config, { participantId: 'B07777', userId: 'MOVER', email: 'mover-old@example.com', secondFactor: 'none' }, running.clock);

    await queueMail(server, a, 'A-1');
    await queueMail(server, b, 'B-1');
    await queueMail(server, a, 'A-2');
    // Several backoff rounds: the first mails have failed 3 times and wait longer each time.
    await waitFor('two failed rounds', async () => (await mostRetries(database)) >= 2);
    const user = (await server.queries.users.findByLogin(mover.participantId, mover.userId))!;
    expect((await registerDesignatedEmail(server.activation, user, a, operatorActor('test'))).outcome).toBe('changed');
    await queueMail(server, c, 'C-1');
    await queueMail(server, 'Order-A@Example.com', 'A-4'); // the same mailbox, spelt otherwise
    await queueMail(server, b, 'B-2');
    await queueMail(server, c, 'C-2');
    await queueMail(server, a, 'A-5');
    await waitFor('another failed round', async () => (await mostRetries(database)) >= 3);

    sink = await new SmtpSink().start(port);
    await jobsSettled(server, 'mail', 120_000);

    const toA = subjectsTo(sink, a);
    expect(toA).toHaveLength(5);
    expect(toA.slice(0, 2)).toEqual(['A-1', 'A-2']);
    expect(toA[2]).toMatch(/email/i); // the change notice to the new address
    expect(toA.slice(3)).toEqual(['A-4', 'A-5']);
    expect(subjectsTo(sink, b)).toEqual(['B-1', 'B-2']);
    expect(subjectsTo(sink, c)).toEqual(['C-1', 'C-2']);
    expect(subjectsTo(sink, 'mover-old@example.com')).toHaveLength(1);
    expect(sink.messages).toHaveLength(10);
    expect(new Set(sink.messages.map((mail) => mail.messageId)).size).toBe(10);
  }, OUTAGE_MS);

  it('sends other recipients’ mail while one mailbox answers 4xx, and that mailbox’s own in order once it takes mail', async () => {
    const server = running.server;
    const slow = 'busy-mailbox@example.com';
    const fast = 'quick-mailbox@example.com';
    sink = (await new SmtpSink().start(port)).refuse(slow, 451);
    await queueMail(server, slow, 'S-1');
    await queueMail(server, slow, 'S-2');
    await queueMail(server, fast, 'F-1');
    await queueMail(server, slow, 'S-3');
    await queueMail(server, fast, 'F-2');
    await queueMail(server, fast, 'F-3');
    await waitFor('the quick mailbox’s mails', () => subjectsTo(sink!, fast).length === 3);
    expect(subjectsTo(sink, fast)).toEqual(['F-1', 'F-2', 'F-3']);
    // The busy one has been refused all along, and none of its mails went out past the first.
    await waitFor('the busy mailbox refused twice', async () => (await mostRetries(database)) >= 2);
    expect(subjectsTo(sink, slow)).toEqual([]);

    sink.accept(slow);
    await jobsSettled(server, 'mail', 120_000);
    expect(subjectsTo(sink, slow)).toEqual(['S-1', 'S-2', 'S-3']);
    expect(sink.messages).toHaveLength(6);
  }, OUTAGE_MS);

  it('does not hold the next mail to an address behind one given up (5xx) or dropped', async () => {
    const server = running.server;
    const refused = 'refused-once@example.com';
    const replaced = 'replaced-link@example.com';
    await queueMail(server, replaced, 'X-1');
    // An activation link to `replaced`, replaced by one to another address before it went out:
    // dropped when its turn comes.
    const seeded = await seedUser(server, running.config, { participantId: 'B07777', userId: 'NEWCOMER', status: 'pending', secondFactor: 'none' }, running.clock);
    const newcomer = (await server.queries.users.findByLogin(seeded.participantId, seeded.userId))!;
    await registerDesignatedEmail(server.activation, newcomer, replaced, operatorActor('test'));
    await registerDesignatedEmail(server.activation, (await server.queries.users.findBySubject(newcomer.id))!, 'elsewhere@example.com', operatorActor('test'));
    await queueMail(server, replaced, 'X-3');
    await queueMail(server, refused, 'Y-1 refused');
    await queueMail(server, refused, 'Y-2');
    await queueMail(server, refused, 'Y-3');
    await waitFor('a failed round', async () => (await mostRetries(database)) >= 1);

    sink = (await new SmtpSink().start(port)).refuse(refused, 550, 1);
    await jobsSettled(server, 'mail', 120_000);
    expect(subjectsTo(sink, replaced)).toEqual(['X-1', 'X-3']);
    expect(sink.countTo('elsewhere@example.com')).toBe(1);
    expect(subjectsTo(sink, refused)).toEqual(['Y-2', 'Y-3']);
    // The given-up and the dropped mail are finished (completed), not failed, so nothing waits on them.
    const stuck = await database.db(`${JOB_SCHEMA}.job`).where({ name: 'mail' }).whereIn('state', ['created', 'retry', 'active', 'failed']).count({ n: '*' }).first();
    expect(Number(stuck?.n)).toBe(0);
  }, OUTAGE_MS);
});

describe('mail in order of cause, per recipient, on two nodes', () => {
  let database: TestDatabase;
  let cluster: TestCluster;
  let port: number;
  let sink: SmtpSink | undefined;

  beforeAll(async () => {
    database = await createTestDatabase();
    port = await freePort();
    cluster = await startCluster(database.db, database.url, { smtp: { url: `smtp://127.0.0.1:${port}`, from: FROM, firstAttemptWaitMs: 0 } });
  });
  afterAll(async () => {
    await cluster.close();
    await sink?.stop();
    await database.drop();
  });

  it('sends every mail once, each address’s in the order queued, whichever node queued it and whichever sends it', async () => {
    const nodes = cluster.nodes.map((node) => node.server);
    const recipients = ['two-a@example.com', 'two-b@example.com', 'two-c@example.com', 'two-d@example.com'];
    let turn = 0;
    const queueRound = async (round: number) => {
      for (const [index, to] of recipients.entries()) {
        // Some addresses get two mails a round, queued by one node and the other.
        for (let n = 0; n <= index % 2; n += 1) await queueMail(nodes[turn++ % 2]!, to, `${to} #${round}.${n}`);
      }
    };
    await queueRound(1);
    await waitFor('two failed rounds', async () => (await mostRetries(database)) >= 2);
    await queueRound(2);
    await waitFor('another failed round', async () => (await mostRetries(database)) >= 3);
    await queueRound(3);

    sink = await new SmtpSink().start(port);
    await jobsSettled(nodes[0]!, 'mail', 120_000);
    for (const [index, to] of recipients.entries()) {
      const expected = [1, 2, 3].flatMap((round) => (index % 2 ? [`${to} #${round}.0`, `${to} #${round}.1`] : [`${to} #${round}.0`]));
      expect(subjectsTo(sink, to)).toEqual(expected);
    }
    expect(sink.messages).toHaveLength(18);
    expect(new Set(sink.messages.map((mail) => mail.messageId)).size).toBe(18);
  }, OUTAGE_MS);
});

describe('a mail queue made before mail went out in order (migrate converts it)', () => {
  let database: TestDatabase;
  let boss: PgBoss;

  beforeAll(async () => {
    database = await createTestDatabase();
    boss = new PgBoss({ connectionString: database.url, schema: JOB_SCHEMA, supervise: false, schedule: false, migrate: false });
    boss.on('error', () => undefined);
    await boss.start();
  });
  afterAll(async () => {
    await boss.stop({ graceful: false, close: true });
    await database.drop();
  });

  it('keys every waiting job by its recipient and hands out only the oldest of each key', async () => {
    const name = 'legacy_mail_probe';
    await boss.createQueue(name, { retryLimit: 5 });
    const first = await boss.send(name, { to: 'Legacy@example.com' });
    const second = await boss.send(name, { to: 'legacy@example.com' });
    const other = await boss.send(name, { to: 'other@example.com' });
    // The first had failed once already: waiting for a retry.
    const [fetched] = await boss.fetch(name);
    expect(fetched?.id).toBe(first);
    await boss.fail(name, first!);

    const stateOf = async () => (await database.db(`${JOB_SCHEMA}.job`).where({ name }).orderBy('created_on').select('state')).map((job: { state: string }) => job.state);
    expect(await stateOf()).toEqual(['retry', 'created', 'created']);

    expect(await convertToKeyStrictFifo(database.db, name, (data) => recipientKey(String((data as { to: string }).to)))).toBe(3);
    expect((await boss.getQueue(name))?.policy).toBe('key_strict_fifo');
    const jobs = await database.db(`${JOB_SCHEMA}.job`).where({ name }).orderBy('created_on').select('id', 'state', 'singleton_key');
    // One job per key may be retrying (pg-boss's job_i8): all wait as 'created' again.
    expect(jobs.map((job: { state: string }) => job.state)).toEqual(['created', 'created', 'created']);
    expect(jobs[0].singleton_key).toBe(jobs[1].singleton_key);

    // A node started after the conversion (as after an upgrade) reads the queue's new policy.
    const after = new PgBoss({ connectionString: database.url, schema: JOB_SCHEMA, supervise: false, schedule: false, migrate: false });
    after.on('error', () => undefined);
    await after.start();
    const batch = await after.fetch(name, { batchSize: 10 }).finally(() => after.stop({ graceful: false, close: true }));
    expect(batch.map((job) => job.id).sort()).toEqual([first, other].sort());
    expect(batch.map((job) => job.id)).not.toContain(second);
    // Converting again changes nothing.
    expect(await convertToKeyStrictFifo(database.db, name, () => 'x')).toBe(0);
  }, OUTAGE_MS);

  it('migrate (installJobQueue) converts a mail queue an earlier release made, with mail waiting in it, and does so once', async () => {
    // The mail queue as the release before this one made it: policy standard.
    await boss.deleteQueue('mail');
    const { policy: _policy, ...earlier } = QUEUES.mail;
    await boss.createQueue('mail', earlier);
    const waiting = await boss.send('mail', { to: 'Waiting@Example.com' });
    const retrying = await boss.send('mail', { to: 'waiting@example.com' });
    const [fetched] = await boss.fetch('mail');
    await boss.fail('mail', fetched!.id);
    expect((await boss.getQueue('mail'))?.policy).toBe('standard');

    // A node of the earlier release still running (its job queue connected and listening, as
    // every node's is): migrate refuses to convert, and changes neither the queue nor its mail.
    const earlierNode = new PgBoss({ connectionString: database.url, schema: JOB_SCHEMA, application_name: JOB_APPLICATION_NAME, supervise: false, schedule: false, migrate: false });
    earlierNode.on('error', () => undefined);
    await earlierNode.start();
    expect((await earlierNode.getQueue('mail'))?.policy).toBe('standard');
    const before = await database.db(`${JOB_SCHEMA}.job`).where({ name: 'mail' }).orderBy('id').select('id', 'state', 'policy', 'singleton_key');
    const refusal = await installJobQueue(database.db).then(() => undefined, (error: unknown) => error);
    expect(refusal).toBeInstanceOf(ForbiddenError);
    expect((refusal as ForbiddenError).reason).toMatchObject({ key: 'cli.migrate.nodesRunning' });
    expect((await boss.getQueue('mail'))?.policy).toBe('standard');
    expect(await database.db(`${JOB_SCHEMA}.job`).where({ name: 'mail' }).orderBy('id').select('id', 'state', 'policy', 'singleton_key')).toEqual(before);
    await earlierNode.stop({ graceful: false, close: true });

    // Every node stopped: migrate converts.
    await installJobQueue(database.db);
    expect((await boss.getQueue('mail'))?.policy).toBe('key_strict_fifo');
    const jobs = await database.db(`${JOB_SCHEMA}.job`).where({ name: 'mail' }).whereIn('id', [waiting, retrying]).select('state', 'policy', 'singleton_key', 'retry_count');
    expect(jobs.map((job: { policy: string; singleton_key: string }) => [job.policy, job.singleton_key])).toEqual([
      ['key_strict_fifo', recipientKey('waiting@example.com')],
      ['key_strict_fifo', recipientKey('waiting@example.com')],
    ]);
    // Its other settings are the release's; a second migrate changes nothing and does not fail.
    expect((await boss.getQueue('mail'))?.retryLimit).toBe(QUEUES.mail.retryLimit);
    await installJobQueue(database.db);
    expect(await database.db(`${JOB_SCHEMA}.job`).where({ name: 'mail' }).whereIn('id', [waiting, retrying]).orderBy('id').select('state', 'singleton_key')).toHaveLength(2);
  }, OUTAGE_MS);
});
