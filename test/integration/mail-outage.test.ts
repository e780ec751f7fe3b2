/**
 * The mail server down: nothing that needs mail answers 500. A login that needs an emailed
 * code says what happened and what to do, the failure is audited and counted, and the code
 * goes out when the mail server is back — if its login still waits for it; a code whose login
 * ended is not sent late. The same holds for an activation link queued meanwhile.
 */
import request from 'supertest';
import { operatorActor } from '../../src/kernel/actor.js';
import { registerDesignatedEmail } from '../../src/enrolment/activation-links.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { passwordStep, startAuthorization, submitCode } from '../support/flows.js';
import { freePort } from '../support/ports.js';
import { seedUser, startTestServer, type RunningTestServer } from '../support/server.js';
import { codeIn, SmtpSink } from '../support/smtp-sink.js';

const TOKEN = 'metrics-token-for-the-mail-outage-test';

/** The value of one sample in Prometheus text format (0 when absent). */
function sample(text: string, name: string, labels: Record<string, string>): number {
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${name}{`) && wanted.every((label) => candidate.includes(label)));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

describe('the mail server down', () => {
  let database: TestDatabase;
  let running: RunningTestServer;
  let port: number;
  let mailServer: SmtpSink | undefined;

  beforeAll(async () => {
    database = await createTestDatabase();
    port = await freePort();
    // Nothing listens on `port` until a test starts the mail server there.
    running = await startTestServer(database.db, database.url, {
      smtp: { url: `smtp://127.0.0.1:${port}`, from: 'CCASS <no-reply@ccass.test>', firstAttemptWaitMs: 5000 },
      metrics: { token: TOKEN },
    });
  });
  afterEach(async () => {
    await mailServer?.stop();
    mailServer = undefined;
  });
  afterAll(async () => {
    await running.close();
    await database.drop();
  });

  const scrape = async () => (await request(running.http).get('/metrics').set('Authorization', `Bearer ${TOKEN}`).expect(200)).text;
  /** The mail queue's `retrying` gauge, read until it shows a job or `timeoutMs` passes. */
  const retryingMail = async (timeoutMs: number) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const retrying = sample(await scrape(), 'ccass_auth_jobs', { queue: 'mail', state: 'retrying' });
      if (retrying >= 1 || Date.now() > deadline) return retrying;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  let seq = 0;
  const emailUser = () => {
    seq += 1;
    return seedUser(running.server, running.config, { participantId: 'B05555', userId: `MAILDOWN${seq}`, email: `maildown${seq}@example.com`, secondFactor: 'email' }, running.clock);
  };

  it('tells the user the code is held up and what to do, audits and counts it, and sends the code once the server is back', async () => {
    const failedBefore = sample(await scrape(), 'ccass_auth_emails_total', { kind: 'one-time-code', outcome: 'failed' });
    const user = await emailUser();
    const start = await startAuthorization(running.issuer);
    const codePage = await passwordStep(start, { participantId: user.participantId, userId: user.userId, password: user.password });
    expect(codePage.status).toBe(200);
    expect(codePage.body).toContain('the email service is not answering');
    expect(codePage.body).toContain('It will be sent as soon as the service is back');
    expect(codePage.body).toContain('name="code"');

    const audit = await database.db('audit_events').where({ type: 'email_otp.send', user_id: user.userId }).orderBy('id', 'desc').first();
    expect(audit).toMatchObject({ outcome: 'failure' });
    expect(audit.details).toMatchObject({ reason: 'mail_unavailable', queued: true });
    expect(sample(await scrape(), 'ccass_auth_emails_total', { kind: 'one-time-code', outcome: 'failed' })).toBeGreaterThan(failedBefore);
    // The page answers as soon as the worker reports the failed attempt; pg-boss records the
    // job's retry moments later, when the handler's failure reaches it: wait for that, bounded.
    expect(await retryingMail(5000)).toBeGreaterThanOrEqual(1);

    mailServer = await new SmtpSink().start(port);
    const mail = await mailServer.mailTo(user.email as string, 1, 20_000);
    const done = await submitCode(start, codePage, codeIn(mail));
    expect(done.status).toBe(303);
    await running.mailSettled(20_000);
    expect(mailServer.countTo(user.email as string)).toBe(1);
  });

  it('does not send a code late when its login has ended meanwhile', async () => {
    const user = await emailUser();
    const start = await startAuthorization(running.issuer);
    const codePage = await passwordStep(start, { participantId: user.participantId, userId: user.userId, password: user.password });
    expect(codePage.body).toContain('the email service is not answering');
    // The code's lifetime passes before the mail server comes back.
    running.clock.advance(running.config.emailOtp.ttlSeconds + 1);
    mailServer = await new SmtpSink().start(port);
    await running.mailSettled(30_000);
    expect(mailServer.countTo(user.email as string)).toBe(0);
  });

  it('queues an activation link while the server is down and mails it once it is back, without a 500 anywhere', async () => {
    seq += 1;
    const pending = await seedUser(running.server, running.config, { participantId: 'B05555', userId: `NEWCOMER${seq}`, status: 'pending', secondFactor: 'none' }, running.clock);
    const user = await running.server.queries.users.findByLogin(pending.participantId, pending.userId);
    const result = await registerDesignatedEmail(running.server.activation, user!, `newcomer${seq}@example.com`, operatorActor('test'));
    expect(result).toMatchObject({ outcome: 'registered', activation: { queued: true } });
    await new Promise((resolve) => setTimeout(resolve, 500));
    mailServer = await new SmtpSink().start(port);
    const mail = await mailServer.mailTo(`newcomer${seq}@example.com`, 1, 20_000);
    expect(mail.subject).toContain('Set up your CCASS login');
  });
});
