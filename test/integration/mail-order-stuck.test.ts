/**
 * The mail queue sends an address's mails one at a time, in order (QUEUES.mail): so a mail that
 * can never be sent must not stay its address's first, or every later mail to it — a one-time
 * code a user is waiting for on the login page — waits behind it for the days its retries last.
 * A message the server refuses for good as such (a 5xx to DATA: too big, refused by a content
 * filter) is given up at once, as a 5xx to RCPT TO is; the next mail to the address goes out.
 * And a one-time code waits behind no other mail to its address (its own key): the code page
 * says what became of its first attempt.
 * Real PostgreSQL, a real SMTP server.
 */
import { codeDelivery } from '../../src/factors/email-otp.js';
import type { Server } from '../../src/app/server.js';
import type { MailKind } from '../../src/mail/mailer.js';
import { JOB_SCHEMA } from '../../src/store/job-schema.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { freePort } from '../support/ports.js';
import { jobsSettled, startTestServer, type RunningTestServer } from '../support/server.js';
import { SmtpSink } from '../support/smtp-sink.js';

const queueMail = (server: Server, to: string, subject: string, kind: MailKind = 'security-notice') =>
  server.queries.transaction((trx) => server.outbox.queue(trx.jobs, { kind, to, subject, text: `${subject}\n` }));

describe('a mail the server refuses for good at DATA does not hold up its address', () => {
  let database: TestDatabase;
  let running: RunningTestServer;
  let sink: SmtpSink;

  beforeAll(async () => {
    database = await createTestDatabase();
    const port = await freePort();
    sink = await new SmtpSink().start(port);
    running = await startTestServer(database.db, database.url, { smtp: { url: `smtp://127.0.0.1:${port}`, from: 'CCASS <no-reply@ccass.test>', firstAttemptWaitMs: 0 } });
  });
  afterAll(async () => {
    await running.close();
    await sink.stop();
    await database.drop();
  });

  it.each([552, 554])('gives up a message answered %i at DATA, and sends the next mail to that address (an activation link) at once', async (code) => {
    const server = running.server;
    const to = `refused-at-data-${code}@example.com`;
    sink.refuseMessage(`REFUSED-${code}`, code);
    const head = await queueMail(server, to, `REFUSED-${code} digest`);
    const otp = await queueMail(server, to, `CODE-${code}`, 'activation');
    expect(await server.outbox.firstAttempt(otp, 5000)).toBe('sent');
    await jobsSettled(server, 'mail', 30_000);
    expect(sink.messages.filter((mail) => mail.to.includes(to)).map((mail) => mail.subject)).toEqual([`CODE-${code}`]);
    const states = await database.db(`${JOB_SCHEMA}.job`).where({ name: 'mail' }).whereIn('id', [head, otp]).select('id', 'state', 'retry_count');
    expect(Object.fromEntries(states.map((job: { id: string; state: string; retry_count: number }) => [job.id === head ? 'head' : 'code', [job.state, job.retry_count]]))).toEqual({
      head: ['completed', 0],
      code: ['completed', 0],
    });
  }, 60_000);

  it('still retries a message answered 4xx at DATA (the server may take it later), holding the address’s next mail until it is sent', async () => {
    const server = running.server;
    const to = 'deferred-at-data@example.com';
    sink.refuseMessage('DEFERRED', 451);
    await queueMail(server, to, 'DEFERRED notice');
    const next = await queueMail(server, to, 'AFTER-DEFERRED');
    expect(await codeDelivery({ outbox: server.outbox, firstAttemptWaitMs: 2000 }, next)).toBe('sending');
    await new Promise((resolve) => setTimeout(resolve, 3000));
    expect(sink.countTo(to)).toBe(0);
    sink.acceptMessage('DEFERRED');
    await jobsSettled(server, 'mail', 60_000);
    expect(sink.messages.filter((mail) => mail.to.includes(to)).map((mail) => mail.subject)).toEqual(['DEFERRED notice', 'AFTER-DEFERRED']);
  }, 90_000);
});

describe('a one-time code is not queued behind an earlier mail to its address', () => {
  let database: TestDatabase;
  let running: RunningTestServer;
  let port: number;
  let sink: SmtpSink | undefined;

  beforeAll(async () => {
    database = await createTestDatabase();
    port = await freePort();
    // Nothing listens on `port` until the test starts the mail server there: the relay is down.
    running = await startTestServer(database.db, database.url, { smtp: { url: `smtp://127.0.0.1:${port}`, from: 'CCASS <no-reply@ccass.test>', firstAttemptWaitMs: 0 } });
  });
  afterAll(async () => {
    await running.close();
    await sink?.stop();
    await database.drop();
  });

  it('tries a code at once though an earlier mail to the address is waiting for a retry, so the code page tells the truth', async () => {
    const server = running.server;
    const to = 'code-behind@example.com';
    const notice = await queueMail(server, to, 'NOTICE');
    expect(await codeDelivery({ outbox: server.outbox, firstAttemptWaitMs: 5000 }, notice)).toBe('mail_unavailable');
    // The user's code (and the code they ask for again): each is tried when queued, and fails
    // like the notice — the page says the email service is not answering, not "on its way".
    const code = await queueMail(server, to, 'CODE-1', 'one-time-code');
    expect(await codeDelivery({ outbox: server.outbox, firstAttemptWaitMs: 5000 }, code)).toBe('mail_unavailable');
    const again = await queueMail(server, to, 'CODE-2', 'one-time-code');
    expect(await codeDelivery({ outbox: server.outbox, firstAttemptWaitMs: 5000 }, again)).toBe('mail_unavailable');

    sink = await new SmtpSink().start(port);
    await jobsSettled(server, 'mail', 120_000);
    const subjects = sink.messages.filter((mail) => mail.to.includes(to)).map((mail) => mail.subject);
    expect([...subjects].sort()).toEqual(['CODE-1', 'CODE-2', 'NOTICE']);
    expect(new Set(sink.messages.map((mail) => mail.messageId)).size).toBe(3);
  }, 180_000);
});
