/**
 * The queue's figures for the operators (ccass_auth_jobs, ccass_auth_jobs_oldest_queued_seconds):
 * a job scheduled for later (a change request's expiry) counts as queued but has not waited
 * yet; a mail that keeps failing has waited since it was queued, however recently its last
 * retry was.
 */
import { randomUUID } from 'node:crypto';
import type { TestDatabase } from '../support/database.js';
import { seedUser, useTestServer, type RunningTestServer } from '../support/server.js';

describe('how long jobs have waited', () => {
  let database: TestDatabase;
  let running: RunningTestServer;
  useTestServer((started) => ({ database, running } = started));
  const depthOf = async (queue: string) => (await running.server.queries.jobs.depth()).find((row) => row.queue === queue)!;

  it('does not count a job scheduled for later as waiting, and counts a retried mail from when it was queued', async () => {
    const inThreeDays = new Date(Date.now() + 3 * 86_400_000);
    await running.server.queries.jobs.send('change_request_expiry', { participantId: 'B08888', request: '0' }, { id: randomUUID(), startAfter: inThreeDays });
    const scheduled = await depthOf('change_request_expiry');
    expect(scheduled.queued).toBe(1);
    expect(scheduled.oldestQueuedAt).toBeNull();

    const user = await seedUser(running.server, running.config, { participantId: 'B08888', userId: 'WAITING', email: 'waiting@example.com' }, running.clock);
    running.mail.refuse('waiting@example.com', 451);
    const before = new Date();
    await running.server.queries.transaction((queries) => running.server.outbox.queue(queries.jobs, { kind: 'security-notice', to: user.email!, subject: 'held', text: 'held' }));
    const until = Date.now() + 15_000;
    // Failed and retried: its next retry is due seconds after the last, not when it was queued.
    while (!(await database.db('pgboss.job').where({ name: 'mail', state: 'retry' }).where('retry_count', '>=', 1).first())) {
      if (Date.now() > until) throw new Error('the mail was not retried');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const mail = await depthOf('mail');
    expect(mail.oldestQueuedAt).not.toBeNull();
    expect(mail.oldestQueuedAt!.getTime()).toBeLessThanOrEqual(before.getTime() + 1000);
    running.mail.accept('waiting@example.com');
    await running.mail.mailTo('waiting@example.com', 1, 20_000);
  }, 60_000);
});
