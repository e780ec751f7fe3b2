/**
 * The outbox: mail is a job committed with the change that causes it, sent by a worker after
 * the commit. Nothing is sent for a change that rolled back; a queued link that was replaced
 * before it went out is not sent; what a job holds is sealed; a mail server's permanent
 * refusal is final and is not retried; every attempt at one mail carries one Message-ID.
 */
import { SMTPServer } from 'smtp-server';
import type { AddressInfo } from 'node:net';
import { operatorActor } from '../../src/kernel/actor.js';
import { registerDesignatedEmail } from '../../src/enrolment/activation-links.js';
import { type TestDatabase } from '../support/database.js';
import { activationLinkIn } from '../support/dms.js';
import { freePort } from '../support/ports.js';
import { seedUser, startTestServer, type RunningTestServer, useTestServer } from '../support/server.js';
import { codeIn, SmtpSink } from '../support/smtp-sink.js';
import { sendEmailOtp } from '../../src/factors/email-otp.js';

describe('the outbox', () => {
  let database: TestDatabase;
  let running: RunningTestServer;

  useTestServer((started) => ({ database, running } = started));

  let seq = 0;
  async function pendingUser() {
    seq += 1;
    const seeded = await seedUser(running.server, running.config, { participantId: 'B06666', userId: `PENDING${seq}`, status: 'pending', secondFactor: 'none' }, running.clock);
    return (await running.server.queries.users.findByLogin(seeded.participantId, seeded.userId))!;
  }

  it('sends nothing for a change that rolled back, though the mail was queued in it', async () => {
    const user = await pendingUser();
    const failure = new Error('the rest of the change failed');
    await expect(
      running.server.queries.transaction(async (queries) => {
        await running.server.outbox.queue(queries.jobs, { kind: 'security-notice', to: `${user.user_id.toLowerCase()}@example.com`, subject: 'rolled back', text: 'never' });
        throw failure;
      }),
    ).rejects.toBe(failure);
    await running.mailSettled();
    expect(running.mail.messages.filter((mail) => mail.subject === 'rolled back')).toHaveLength(0);
    expect(await database.db('pgboss.job').where({ name: 'mail' }).whereRaw("data->>'to' = ?", [`${user.user_id.toLowerCase()}@example.com`])).toHaveLength(0);
  });

  it('keeps the link and the code out of the job table: what a job carries is sealed', async () => {
    const user = await pendingUser();
    await registerDesignatedEmail(running.server.activation, user, 'sealed@example.com', operatorActor('test'));
    const link = activationLinkIn(await running.mail.mailTo('sealed@example.com'));
    const token = new URL(link).searchParams.get('token') as string;
    const sent = await sendEmailOtp(running.server.emailOtp, { id: user.id, email: 'sealed@example.com' }, 'interaction-sealed');
    expect(sent.queued).toBe(true);
    const code = codeIn(await running.mail.mailTo('sealed@example.com', 2));
    const jobs = JSON.stringify(await database.db('pgboss.job').where({ name: 'mail' }).select('data', 'output'));
    expect(jobs).toContain('sealed@example.com');
    expect(jobs).not.toContain(token);
    expect(jobs).not.toContain(`is: ${code}`);
    expect(jobs).not.toContain('Set up your CCASS login');
  });

  it('names each mail by its job: the Message-ID is the job id under the issuer host', async () => {
    const user = await pendingUser();
    await registerDesignatedEmail(running.server.activation, user, 'named@example.com', operatorActor('test'));
    const mail = await running.mail.mailTo('named@example.com');
    const [job] = await database.db('pgboss.job').where({ name: 'mail' }).whereRaw("data->>'to' = ?", ['named@example.com']).select('id');
    expect(mail.messageId).toBe(`<${job.id}@127.0.0.1>`);
  });

  describe('with the mail server away for a moment', () => {
    let port: number;
    let away: RunningTestServer;
    let sink: SmtpSink | undefined;
    beforeAll(async () => {
      port = await freePort();
      away = await startTestServer(database.db, database.url, { smtp: { url: `smtp://127.0.0.1:${port}`, from: 'CCASS <no-reply@ccass.test>' } });
      // Only this server's worker may send now: the first one is stopped for these tests.
      await running.server.jobs.stop();
    });
    afterAll(async () => {
      await sink?.stop();
      await away.close();
      await running.restart();
    });

    it('does not send a link replaced before its mail went out, and sends the one that replaced it', async () => {
      const user = await pendingUser();
      await registerDesignatedEmail(away.server.activation, user, 'first@example.com', operatorActor('test'));
      const refreshed = (await away.server.queries.users.findBySubject(user.id))!;
      await registerDesignatedEmail(away.server.activation, refreshed, 'second@example.com', operatorActor('test'));
      sink = await new SmtpSink().start(port);
      await away.mailSettled(20_000);
      expect(sink.countTo('first@example.com')).toBe(0);
      expect(sink.countTo('second@example.com')).toBe(1);
    });
  });

  describe('with a mail server that refuses a recipient for good (550)', () => {
    let refusing: SMTPServer;
    let strict: RunningTestServer;
    const accepted: string[] = [];
    let refuseSender = false;
    let senderRefusals = 0;
    beforeAll(async () => {
      refusing = new SMTPServer({
        authOptional: true,
        disabledCommands: ['STARTTLS', 'AUTH'],
        logger: false,
        onMailFrom: (_address, _session, callback) => {
          // Our side's fault (a wrong sender, a rotated password): refused now, fixed by an operator later.
          if (refuseSender) {
            senderRefusals += 1;
            return callback(Object.assign(new Error('sender not allowed'), { responseCode: 550 }));
          }
          return callback();
        },
        onRcptTo: (address, _session, callback) => {
          if (address.address.startsWith('nobody')) return callback(Object.assign(new Error('mailbox unavailable'), { responseCode: 550 }));
          accepted.push(address.address);
          return callback();
        },
        onData: (stream, _session, callback) => {
          stream.resume();
          stream.on('end', () => callback());
        },
      });
      await new Promise<void>((resolve) => refusing.listen(0, '127.0.0.1', resolve));
      const { port } = refusing.server.address() as AddressInfo;
      await running.server.jobs.stop();
      strict = await startTestServer(database.db, database.url, { smtp: { url: `smtp://127.0.0.1:${port}`, from: 'CCASS <no-reply@ccass.test>' } });
    });
    afterAll(async () => {
      await strict.close();
      await new Promise<void>((resolve) => refusing.close(() => resolve()));
      await running.restart();
    });

    it('gives the mail up at once instead of retrying it, and goes on with the others', async () => {
      await registerDesignatedEmail(strict.server.activation, await pendingUser(), 'nobody@example.com', operatorActor('test'));
      await registerDesignatedEmail(strict.server.activation, await pendingUser(), 'somebody@example.com', operatorActor('test'));
      await strict.mailSettled(20_000);
      const [job] = await database.db('pgboss.job').where({ name: 'mail' }).whereRaw("data->>'to' = ?", ['nobody@example.com']).select('state', 'retry_count');
      expect(job).toEqual({ state: 'completed', retry_count: 0 });
      expect(accepted).toEqual(['somebody@example.com']);
    });

    it('retries a mail the server refuses at MAIL FROM (a 5xx that is ours to fix, not the recipient\'s) until it is taken', async () => {
      refuseSender = true;
      await registerDesignatedEmail(strict.server.activation, await pendingUser(), 'patient@example.com', operatorActor('test'));
      for (let waited = 0; senderRefusals === 0 && waited < 5000; waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
      expect(senderRefusals).toBeGreaterThan(0);
      refuseSender = false;
      await strict.mailSettled(20_000);
      expect(accepted).toContain('patient@example.com');
      const token = await database.db('activation_tokens').where({ email: 'patient@example.com' }).first('mailed_at');
      expect(token.mailed_at).toBeInstanceOf(Date);
    });
  });
});
