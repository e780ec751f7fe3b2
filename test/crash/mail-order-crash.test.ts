/**
 * Mail to one address in order (the mail queue is key_strict_fifo by recipient), with the node
 * sending the first mail SIGKILLed in the middle of it: the mail server holds the node at RCPT
 * TO, so the job is active when the node dies and the message is not yet accepted. The later
 * mails to that address must not go out meanwhile (the dead node's job holds the key); when the
 * job's heartbeat has expired a node sends the first mail again, then the later ones — each once,
 * in the order queued; another address's mail goes out once too.
 */
import { createLogger } from '../../src/observability/logger.js';
import { buildServer, type Server } from '../../src/app/server.js';
import { TestClock } from '../support/clock.js';
import { sleep, useCrashHarness } from '../support/crash.js';
import { testConfig } from '../support/server.js';

describe('mail to one address, with the node sending it SIGKILLed mid-send', () => {
  const harness = useCrashHarness();

  it('unblocks the address once the dead node’s heartbeat has expired, and sends its mails once each, in order', async () => {
    const x = 'held-x@crash.example';
    const y = 'other-y@crash.example';
    // Queued from a process without workers, on the same database (the child node sends).
    const queuing: Server = await buildServer(testConfig(harness.origin, harness.database.url), harness.database.db, createLogger('silent'), { clock: new TestClock(), workers: false });
    const queue = (to: string, subject: string) =>
      queuing.queries.transaction((trx) => queuing.outbox.queue(trx.jobs, { kind: 'security-notice', to, subject, text: `${subject}\n` }));
    const jobState = async (id: string) => (await harness.database.db('pgboss.job').where({ name: 'mail', id }).first('state', 'retry_count')) as { state: string; retry_count: number };
    try {
      await harness.restartNode();
      harness.sink.hold(x);
      const first = await queue(x, 'X-1');
      const second = await queue(x, 'X-2');
      const third = await queue(x, 'X-3');
      await queue(y, 'Y-1');

      const until = Date.now() + 30_000;
      while (harness.sink.heldCount(x) === 0 || (await jobState(first)).state !== 'active') {
        if (Date.now() > until) throw new Error('the first mail to x was never in flight');
        await sleep(50);
      }
      // The later mails to x wait behind it. (y's waits too, on this node: its worker takes its
      // next batch when the whole of this one is done — pg-boss's batch worker, not the key.)
      await sleep(2000);
      expect((await jobState(second)).state).toBe('created');
      expect(harness.sink.countTo(x)).toBe(0);

      await harness.killNode();
      const killedAt = Date.now();
      harness.sink.release(x);
      expect((await jobState(first)).state).toBe('active'); // held by a dead node
      await harness.restartNode();

      await harness.sink.mailTo(x, 1, 60_000);
      const unblockedAfter = Date.now() - killedAt;
      await harness.mailSettled(60_000);
      const toX = harness.sink.messages.filter((mail) => mail.to.includes(x));
      console.log(`first mail to x sent ${unblockedAfter} ms after its node was killed; x got ${toX.map((mail) => mail.subject).join(', ')}`);
      expect(toX.map((mail) => mail.subject)).toEqual(['X-1', 'X-2', 'X-3']);
      expect(toX.map((mail) => mail.messageId)).toEqual([first, second, third].map((id) => `<${id}@127.0.0.1>`));
      expect(harness.sink.countTo(y)).toBe(1);
      // The killed attempt counted: the first mail's job was retried once, after its heartbeat expired (10 s).
      expect(await jobState(first)).toEqual({ state: 'completed', retry_count: 1 });
    } finally {
      await queuing.stop();
    }
  }, 180_000);
});
