/**
 * A mail the mail server keeps refusing for days (a 4xx, or the relay unreachable) is given
 * up a day before the queue's retention would delete it unseen: logged and counted as
 * rejected, and no longer holding back its address's later mail (which goes out in order
 * behind it). Until then it is retried.
 */
import request from 'supertest';
import { GIVE_UP_AFTER_MS } from '../../src/mail/delivery.js';
import { seedUser, useTestServer, type RunningTestServer } from '../support/server.js';

const TOKEN = 'metrics-token-for-the-give-up-test';

describe('a mail not accepted for days', () => {
  let running: RunningTestServer;
  useTestServer((started) => ({ running } = started), { metrics: { token: TOKEN } });

  const rejected = async () => {
    const text = (await request(running.http).get('/metrics').set('Authorization', `Bearer ${TOKEN}`).expect(200)).text;
    const line = text.split('\n').find((candidate) => candidate.startsWith('ccass_auth_emails_total{') && candidate.includes('kind="security-notice"') && candidate.includes('outcome="rejected"'));
    return line ? Number(line.split(' ').at(-1)) : 0;
  };
  const jobOf = (id: string) => running.server.queries.jobs.pending('mail', id);

  it('is retried while young, given up (and counted) once old, and lets the next mail to its address go', async () => {
    const user = await seedUser(running.server, running.config, { participantId: 'B07777', userId: 'GIVEUP', email: 'giveup@example.com' }, running.clock);
    running.mail.refuse('giveup@example.com', 451);
    const queue = (subject: string) => running.server.queries.transaction((queries) => running.server.outbox.queue(queries.jobs, { kind: 'security-notice', to: user.email!, subject, text: subject }));
    const rejectedBefore = await rejected();

    const old = await queue('queued long ago');
    const next = await queue('queued after it');
    // Tried and refused: still waiting for a retry, and the next one waits behind it.
    const until = Date.now() + 10_000;
    while ((await running.server.queries.jobs.depth()).find((row) => row.queue === 'mail')!.retrying === 0) {
      if (Date.now() > until) throw new Error('the mail was not tried');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(await jobOf(old)).toBe(true);
    expect(await jobOf(next)).toBe(true);

    // Days later (both were queued at the same moment): the next refusal gives each up in turn.
    running.clock.advance(GIVE_UP_AFTER_MS / 1000 + 60);
    const deadline = Date.now() + 30_000;
    while ((await jobOf(old)) || (await jobOf(next))) {
      if (Date.now() > deadline) throw new Error('the old mails were not given up');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(await rejected()).toBe(rejectedBefore + 2);
    expect(running.mail.countTo('giveup@example.com')).toBe(0);

    // A mail queued now is young: retried, not given up, and sent once the mailbox accepts.
    const fresh = await queue('queued now');
    running.mail.accept('giveup@example.com');
    await running.mail.mailTo('giveup@example.com', 1, 20_000);
    await running.mailSettled();
    expect(await jobOf(fresh)).toBe(false);
    expect(running.mail.messages.filter((mail) => mail.to.includes('giveup@example.com')).map((mail) => mail.subject)).toEqual(['queued now']);
  }, 60_000);
});
