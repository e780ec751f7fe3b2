/**
 * Reminders before a deadline on two nodes sharing one PostgreSQL and a test clock: both nodes
 * tick at once at each offset, and each reminder, digest and operator report arrives exactly
 * once; a tick run again queues nothing; with the mail server down the mails wait and all
 * arrive, once each, when it is back.
 */
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { runReminderTick } from '../../../src/reminders/tick.js';
import { startCluster, type TestCluster } from '../../support/cluster.js';
import { createTestDatabase, type TestDatabase } from '../../support/database.js';
import { freePort } from '../../support/ports.js';
import { DAY_SECONDS, daysFrom, hongKongText, seedFirm } from '../../support/reminders.js';
import { SmtpSink } from '../../support/smtp-sink.js';

const OPERATOR = 'ops@hkscc.test';
const METRICS_TOKEN = 'metrics-token-for-the-reminders-test';

describe('reminders on two nodes', () => {
  let database: TestDatabase;
  let cluster: TestCluster;
  let port: number;
  let sink: SmtpSink | undefined;
  let firm: Awaited<ReturnType<typeof seedFirm>>;
  let other: Awaited<ReturnType<typeof seedFirm>>;
  const deadline = daysFrom(new Date(), 20);

  const node = (index: number) => cluster.nodes[index]!.server;
  const tickBoth = async () => {
    const [a, b] = await Promise.all([runReminderTick(node(0).reminders), runReminderTick(node(1).reminders)]);
    return { due: a.due, queued: a.queued + b.queued };
  };
  const mailSettled = async (timeoutMs = 20_000) => {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const depth = (await node(0).queries.jobs.depth()).find((row) => row.queue === 'mail');
      if (!depth || depth.queued + depth.active === 0) return;
      if (Date.now() > until) throw new Error(`mail still queued: ${JSON.stringify(depth)}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  const count = (to: string) => sink!.countTo(to);

  beforeAll(async () => {
    database = await createTestDatabase();
    port = await freePort();
    sink = await new SmtpSink().start(port);
    cluster = await startCluster(database.db, database.url, {
      smtp: { url: `smtp://127.0.0.1:${port}`, from: 'CCASS Authentication <no-reply@ccass.test>' },
      phases: { schedule: [{ phase: 'email-registration', from: hongKongText(daysFrom(new Date(), -30)) }] },
      deadlines: { emailRegistration: hongKongText(deadline) },
      reminders: { offsetsDays: [14, 7, 1], operatorEmails: [OPERATOR] },
      metrics: { token: METRICS_TOKEN },
    });
    firm = await seedFirm(node(0), cluster.config, 'B01234', cluster.clock);
    other = await seedFirm(node(1), cluster.config, 'C05678', cluster.clock);
    // C05678's user who has not activated has a live exception for the email deadline: not reminded.
    const excepted = (await node(0).queries.users.findByLogin('C05678', 'PENDING'))!;
    await node(0).queries.userExceptions.insert({ userId: excepted.id, kind: 'activation_deadline', until: daysFrom(new Date(), 60), reason: 'registration delayed', grantedBy: 'operator:test', at: cluster.clock.now() });
  });
  afterAll(async () => {
    await cluster.close();
    await sink?.stop();
    await database.drop();
  });

  it('sends nothing before the first offset', async () => {
    expect(await tickBoth()).toEqual({ due: 0, queued: 0 });
  });

  it('sends each reminder, digest and report once at an offset, however many nodes tick and however often', async () => {
    cluster.clock.advance(6 * DAY_SECONDS + 60); // 14 days before the deadline, and a minute
    const first = await tickBoth();
    // Per firm: one reminder (the user with an address who has not activated, but not the one
    // with an exception), two digests; one report.
    expect(first).toEqual({ due: 6, queued: 6 });
    await mailSettled();
    expect(count(firm.pending)).toBe(1);
    expect(count(other.pending)).toBe(0);
    for (const people of [firm, other]) {
      expect(count(people.da1)).toBe(1);
      expect(count(people.da2)).toBe(1);
      expect(count(people.noFactor)).toBe(0);
      expect(count(people.ready)).toBe(0);
    }
    expect(count(OPERATOR)).toBe(1);
    expect(sink!.messages).toHaveLength(6);

    const reminder = await sink!.mailTo(firm.pending);
    expect(reminder.subject).toMatch(/^Reminder: activate your CCASS login by .+ \/ 提示：請於.+前啟用您的中央結算系統登入$/);
    expect(reminder.text).toContain('HKSCC’s deadline for activating it is');
    expect(reminder.text).toContain('ask your Delegated Administrator to send you a new one');
    expect(reminder.text).toContain('（香港時間）');
    const digest = await sink!.mailTo(firm.da1);
    expect(digest.subject).toContain('2 users of B01234 are not ready');
    expect(digest.text).toContain('PENDING (User PENDING): Activation link expired');
    expect(digest.text).toContain('NOEMAIL (User NOEMAIL): No email registered');
    expect(digest.text).not.toContain('C05678');
    expect(digest.text).toContain(`${cluster.issuer}/dms/readiness`);
    const report = await sink!.mailTo(OPERATOR);
    expect(report.subject).toContain('14 days before the email registration deadline');
    expect(report.text).toContain('B01234 Participant B01234: 3 of 6 users ready');
    // One Message-ID per mail, derived from its cause.
    expect(new Set(sink!.messages.map((mail) => mail.messageId)).size).toBe(6);
    expect((await sink!.mailTo(other.da1)).text).toContain('NOEMAIL (User NOEMAIL)');
    expect((await sink!.mailTo(other.da1)).text).not.toContain('PENDING');

    // Later the same day, and days later within the same offset: nothing more.
    expect(await tickBoth()).toEqual({ due: 6, queued: 0 });
    cluster.clock.advance(3 * DAY_SECONDS);
    expect(await tickBoth()).toEqual({ due: 6, queued: 0 });
    await mailSettled();
    expect(sink!.messages).toHaveLength(6);
  });

  it('queues the next offset’s mails while the mail server is down and delivers every one, once, when it is back', async () => {
    await sink!.stop();
    cluster.clock.advance(4 * DAY_SECONDS); // 7 days before
    expect(await tickBoth()).toEqual({ due: 6, queued: 6 });
    // The mail workers try, fail and retry with backoff.
    const until = Date.now() + 10_000;
    while (Date.now() < until) {
      const depth = (await node(0).queries.jobs.depth()).find((row) => row.queue === 'mail');
      if (depth && depth.retrying > 0) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect((await node(0).queries.jobs.depth()).find((row) => row.queue === 'mail')?.retrying).toBeGreaterThan(0);
    sink = await new SmtpSink().start(port);
    await mailSettled(30_000);
    expect(count(firm.pending)).toBe(1);
    for (const people of [firm, other]) {
      expect(count(people.da1)).toBe(1);
      expect(count(people.da2)).toBe(1);
    }
    expect(count(OPERATOR)).toBe(1);
    expect(sink.messages).toHaveLength(6);
    expect(sink.messages.find((mail) => mail.to.includes(OPERATOR))?.subject).toContain('7 days before');
  });

  it('is ticked by pg-boss: the cron schedule installed by migrate, its job run by a node, its queue in the metrics', async () => {
    const schedules = (await database.db('pgboss.schedule').select('name', 'cron')) as Array<{ name: string; cron: string }>;
    expect(schedules).toEqual(expect.arrayContaining([{ name: 'reminders_tick', cron: '*/10 * * * *' }]));
    cluster.clock.advance(6 * DAY_SECONDS); // 1 day before
    const before = sink!.messages.length;
    await node(0).jobs.send(database.db, 'reminders_tick', {}, { id: randomUUID() });
    const until = Date.now() + 20_000;
    while (sink!.messages.length < before + 6) {
      if (Date.now() > until) throw new Error('the tick job queued nothing');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await mailSettled();
    expect(sink!.messages.slice(before).filter((mail) => mail.to.includes(OPERATOR))[0]?.subject).toContain('1 day before');
    expect(sink!.messages).toHaveLength(before + 6);
    const metrics = (await request(cluster.nodes[1]!.http).get('/metrics').set('Authorization', `Bearer ${METRICS_TOKEN}`).expect(200)).text;
    expect(metrics).toContain('ccass_auth_jobs{queue="reminders_tick",state="failed"} 0');
    expect(metrics).toMatch(/ccass_auth_jobs_oldest_queued_seconds\{queue="reminders_tick"\} 0/);
  });

  it('sends nothing from the deadline on', async () => {
    cluster.clock.advance(DAY_SECONDS);
    expect(await tickBoth()).toEqual({ due: 0, queued: 0 });
  });
});
