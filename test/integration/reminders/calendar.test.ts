/**
 * The circular's calendar, run by configuration alone on two nodes (docs/runbook.md, "Run the
 * circular's calendar"): the phases, the two deadlines and the reminder days are written once
 * in the configuration, and as the (test) clock walks from the opening of email registration
 * to the cut-off, each date causes exactly what the runbook's table says — the mails of each
 * reminder day, once each though both nodes tick, and the doors each deadline closes. The
 * ticks are the ones pg-boss's cron makes in production: a `reminders_tick` job that
 * whichever node fetches runs.
 */
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { operatorActor } from '../../../src/kernel/actor.js';
import { ActivationDeadlinePassedError, registerDesignatedEmail, resendActivationLink } from '../../../src/enrolment/activation-links.js';
import { grantUserException } from '../../../src/directory/user-exceptions.js';
import { Browser, inputValue } from '../../support/browser.js';
import { startCluster, type TestCluster } from '../../support/cluster.js';
import { createTestDatabase, type TestDatabase } from '../../support/database.js';
import { activationLinkIn } from '../../support/dms.js';
import { passwordStep, startAuthorization } from '../../support/flows.js';
import { daysFrom, hongKongText, seedFirm } from '../../support/reminders.js';
import { seedUser } from '../../support/server.js';

const OPERATOR = 'migration@hkscc.test';
const PASSWORD = 'clear water bay sunset';

describe("the circular's calendar on two nodes", () => {
  let database: TestDatabase;
  let cluster: TestCluster;
  let firm: Awaited<ReturnType<typeof seedFirm>>;
  /** Registered on the first day; activates between the 14- and the 7-day reminders. */
  let prompt: { email: string; link: string };
  /** Registered on the first day; lets the link expire, is sent a new one, and never activates. */
  let laggard: { email: string; link: string };

  // Day 0 is now. Email registration opened yesterday; designated emails by day 15; the
  // parallel run from day 30; smartcards off (and the second-factor deadline) from day 50.
  const start = new Date();
  const day = (n: number) => daysFrom(start, n);
  const node = (index: number) => cluster.nodes[index]!.server;

  /** Moves the shared clock to a minute past the start of day `n`. */
  const goTo = (n: number) => cluster.clock.advance((day(n).getTime() + 60_000 - cluster.clock.now().getTime()) / 1000);

  const jobState = async (id: string) => ((await database.db('pgboss.job').where({ id }).first('state')) as { state: string } | undefined)?.state;
  const mailSettled = async () => {
    const until = Date.now() + 30_000;
    for (;;) {
      const depth = (await node(0).queries.jobs.depth()).find((row) => row.queue === 'mail');
      if (!depth || depth.queued + depth.active === 0) return;
      if (Date.now() > until) throw new Error(`mail still queued: ${JSON.stringify(depth)}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  /**
   * What the cron does every 10 minutes: a `reminders_tick` job. Two at once (as two ticks
   * of a retried or overlapping cron would be), run by whichever nodes fetch them; returns the
   * mails that arrived because of them.
   */
  const tick = async () => {
    const before = cluster.mail.messages.length;
    const ids = [randomUUID(), randomUUID()];
    await Promise.all(ids.map((id, index) => node(index).jobs.send(database.db, 'reminders_tick', {}, { id })));
    const until = Date.now() + 30_000;
    while ((await Promise.all(ids.map(jobState))).some((state) => state !== 'completed')) {
      if (Date.now() > until) throw new Error(`reminders_tick not completed: ${JSON.stringify(await Promise.all(ids.map(jobState)))}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await mailSettled();
    return cluster.mail.messages.slice(before);
  };
  /** Who got how many of `mails`, by address. */
  const recipients = (mails: ReadonlyArray<{ to: string }>) => {
    const counts: Record<string, number> = {};
    for (const mail of mails) {
      const to = /<?([^<>\s]+@[^<>\s]+)>?$/.exec(mail.to)?.[1] ?? mail.to;
      counts[to] = (counts[to] ?? 0) + 1;
    }
    return counts;
  };

  const status = async () => (await request(cluster.http).get('/status').expect(200)).body as { phase: string; methods: Record<string, boolean> };

  beforeAll(async () => {
    database = await createTestDatabase();
    cluster = await startCluster(database.db, database.url, {
      phases: {
        schedule: [
          { phase: 'email-registration', from: hongKongText(day(-1)) },
          { phase: 'parallel-run', from: hongKongText(day(30)) },
          { phase: '2fa-only', from: hongKongText(day(50)) },
        ],
      },
      // secondFactor unset: the start of 2fa-only.
      deadlines: { emailRegistration: hongKongText(day(15)) },
      reminders: { offsetsDays: [14, 7, 1], operatorEmails: [OPERATOR] },
      activation: { ttlHours: 168 },
    });
    firm = await seedFirm(node(0), cluster.config, 'B01234', cluster.clock);
    const invite = async (userId: string) => {
      await seedUser(node(1), cluster.config, { participantId: 'B01234', userId, status: 'pending', secondFactor: 'none' }, cluster.clock);
      const user = (await node(1).queries.users.findByLogin('B01234', userId))!;
      const email = `${userId.toLowerCase()}@b01234.test`;
      await registerDesignatedEmail(node(1).activation, user, email, operatorActor('test'));
      return { email, link: activationLinkIn(await cluster.mail.mailTo(email)) };
    };
    prompt = await invite('PROMPT');
    laggard = await invite('LAGGARD');
  });
  afterAll(async () => {
    await cluster?.close();
    await database?.drop();
  });

  it('day 0, email registration open: the activation links go out as DAs register; no reminder yet', async () => {
    expect((await status()).phase).toBe('email-registration');
    expect(recipients(cluster.mail.messages)).toEqual({ [prompt.email]: 1, [laggard.email]: 1 });
    expect(await tick()).toEqual([]);
  });

  it('14 days before the email deadline: a reminder to each user not activated, a digest to each DA, the report to the operators', async () => {
    goTo(1);
    const mails = await tick();
    expect(recipients(mails)).toEqual({ [firm.pending]: 1, [prompt.email]: 1, [laggard.email]: 1, [firm.da1]: 1, [firm.da2]: 1, [OPERATOR]: 1 });
    expect(mails.find((mail) => mail.to.includes(laggard.email))?.subject).toMatch(/^Reminder: activate your CCASS login by /);
    expect(mails.find((mail) => mail.to.includes(OPERATOR))?.subject).toContain('14 days before the email registration deadline');
    // The rest of that week: nothing more.
    goTo(5);
    expect(await tick()).toEqual([]);
  });

  it('7 and 1 days before: the same, to those still not activated (a new link sent in between)', async () => {
    // PROMPT activates in between, through the balancer (its requests alternate between nodes).
    const browser = new Browser();
    const form = await browser.follow(prompt.link);
    const activated = await browser.request(`${cluster.issuer}/activate/password`, { form: { csrf: inputValue(form.body, 'csrf'), password: PASSWORD, confirmation: PASSWORD } });
    expect(activated.status).toBe(303);

    goTo(8);
    let mails = await tick();
    expect(recipients(mails)).toEqual({ [firm.pending]: 1, [laggard.email]: 1, [firm.da1]: 1, [firm.da2]: 1, [OPERATOR]: 1 });
    expect(mails.find((mail) => mail.to.includes(laggard.email))?.text).toContain('Your activation link has expired');
    expect(mails.find((mail) => mail.to.includes(OPERATOR))?.subject).toContain('7 days before');

    // LAGGARD's link expired on day 7: their DA sends a new one.
    goTo(12);
    const user = (await node(0).queries.users.findByLogin('B01234', 'LAGGARD'))!;
    await resendActivationLink(node(0).activation, user, operatorActor('test'));
    laggard = { ...laggard, link: activationLinkIn(await cluster.mail.mailTo(laggard.email, 4)) };

    goTo(14);
    mails = await tick();
    expect(recipients(mails)).toEqual({ [firm.pending]: 1, [laggard.email]: 1, [firm.da1]: 1, [firm.da2]: 1, [OPERATOR]: 1 });
    expect(mails.find((mail) => mail.to.includes(laggard.email))?.text).toContain('Open the activation link we emailed to this address');
    expect(mails.find((mail) => mail.to.includes(OPERATOR))?.subject).toContain('1 day before');
  });

  it('the email deadline: an activation link no longer works, none is sent, and no more email reminders — but an exception lets one user through', async () => {
    goTo(15);
    const page = await new Browser().follow(laggard.link);
    expect(page.status).toBe(403);
    expect(page.body).toContain('<h1>The deadline for activating has passed</h1>');
    const laggardRow = async () => (await node(1).queries.users.findByLogin('B01234', 'LAGGARD'))!;
    await expect(resendActivationLink(node(1).activation, await laggardRow(), operatorActor('test'))).rejects.toBeInstanceOf(ActivationDeadlinePassedError);
    expect(await tick()).toEqual([]);
    expect((await status()).phase).toBe('email-registration');

    // An operator gives LAGGARD until day 20: the user is told, a new link goes out and opens.
    const sent = cluster.mail.messages.length;
    await grantUserException({ queries: node(0).queries, notices: node(0).notices, clock: cluster.clock }, { participantId: 'B01234', userId: 'LAGGARD' }, { kind: 'activation_deadline', until: day(20), reason: 'joined late' }, operatorActor('test'));
    await resendActivationLink(node(1).activation, await laggardRow(), operatorActor('test'));
    await mailSettled();
    const extra = cluster.mail.messages.slice(sent);
    expect(extra.map((mail) => mail.subject.split(' / ')[0])).toEqual(['An exception was given to your CCASS login', 'Set up your CCASS login']);
    const opened = await new Browser().follow(activationLinkIn(extra[1]!));
    expect(opened.status).toBe(200);
    expect(opened.body).toContain('name="password"');
  });

  it('the parallel run: password and one-time code for everyone, still no mail', async () => {
    goTo(30);
    expect((await status()).phase).toBe('parallel-run');
    const start = await startAuthorization(cluster.issuer);
    const codePage = await passwordStep(start, { participantId: 'B01234', userId: 'READY', password: 'a long enough test password' });
    expect(codePage.status).toBe(200);
    expect(codePage.body).toContain('name="code"');
    expect(await tick()).toEqual([]);
  });

  it('14, 7 and 1 days before the cut-off: a reminder to each activated user without a second factor, digests and the report', async () => {
    for (const [n, days] of [[36, 14], [43, 7], [49, 1]] as const) {
      goTo(n);
      const mails = await tick();
      expect(recipients(mails)).toEqual({ [firm.noFactor]: 1, [prompt.email]: 1, [firm.da1]: 1, [firm.da2]: 1, [OPERATOR]: 1 });
      expect(mails.find((mail) => mail.to.includes(firm.noFactor))?.subject).toMatch(/^Reminder: set up your one-time codes for CCASS by /);
      expect(mails.find((mail) => mail.to.includes(OPERATOR))?.subject).toContain(`${days} ${days === 1 ? 'day' : 'days'} before the second-factor deadline`);
    }
  });

  it('the cut-off: 2FA only, a user without a second factor is told enrolment has closed, and the calendar sends nothing more', async () => {
    goTo(50);
    expect((await status()).phase).toBe('2fa-only');
    const start = await startAuthorization(cluster.issuer);
    const refused = await passwordStep(start, { participantId: 'B01234', userId: 'NOFACTOR', password: 'a long enough test password' });
    expect(refused.status).toBe(403);
    expect(refused.body).toContain('<h1>The deadline for setting up one-time codes has passed</h1>');
    expect(await tick()).toEqual([]);

    // PROMPT, given until day 57 to set one up, is still led to enrol: their address proven by a code first.
    await grantUserException({ queries: node(1).queries, notices: node(1).notices, clock: cluster.clock }, { participantId: 'B01234', userId: 'PROMPT' }, { kind: 'second_factor_deadline', until: day(57), reason: 'on leave' }, operatorActor('test'));
    const excepted = await passwordStep(await startAuthorization(cluster.issuer), { participantId: 'B01234', userId: 'PROMPT', password: PASSWORD });
    expect(excepted.status).toBe(200);
    expect(excepted.body).toContain('name="code"');
    await mailSettled();
    expect(cluster.mail.messages.slice(-2).map((mail) => mail.subject.split(' / ')[0])).toEqual(['An exception was given to your CCASS login', expect.stringContaining('code')]);
    // Every mail of the whole calendar went out once: one Message-ID each.
    expect(new Set(cluster.mail.messages.map((mail) => mail.messageId)).size).toBe(cluster.mail.messages.length);
    expect(cluster.mail.messages).toHaveLength(2 + 6 + 5 + 1 + 5 + 2 + 5 * 3 + 2);
  });
});
