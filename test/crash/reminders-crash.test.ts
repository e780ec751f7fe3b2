/**
 * Crash consistency of the reminders, tested by killing processes: `ccass-auth reminders run`
 * (what a node's cron tick runs) is SIGKILLed in the middle of its tick, twice, then run to the
 * end; then the server node sending the mails is SIGKILLed mid-send and started again. After
 * each kill every cause claimed has exactly its one mail job and no mail job is without its
 * cause; in the end every reminder and digest reached the SMTP sink under its cause's one
 * Message-ID — none lost, none sent as a second, different mail.
 *
 * The points are random; the seed is printed, and CRASH_SEED=<seed> replays a run.
 */
import { createQueries } from '../../src/store/index.js';
import { causeJobId } from '../../src/reminders/tick.js';
import { sleep, useCrashHarness } from '../support/crash.js';
import { exited, spawnSource, writeConfig } from '../support/processes.js';
import { daysFrom, hongKongText } from '../support/reminders.js';

const PARTICIPANT = 'R00001';
const USERS = 250;
/**
 * 250 reminders, the two DAs' own (they have not activated either) and their two digests: three
 * batches of the tick (BATCH_SIZE 100).
 */
const CAUSES = USERS + 4;

describe('reminders with the process ticking or sending them SIGKILLed', () => {
  const harness = useCrashHarness();

  beforeAll(async () => {
    // The harness's node configuration, with a deadline 5 days ahead and a reminder 7 days before it: due now.
    const port = Number(new URL(harness.origin).port);
    harness.configFile = writeConfig(harness.dir, 'node.yaml', {
      issuer: harness.origin,
      server: { host: '127.0.0.1', port, shutdownDelaySeconds: 0 },
      database: { url: harness.database.url, purgeIntervalSeconds: 0 },
      smtp: { url: harness.sink.url, from: 'CCASS <no-reply@ccass.test>' },
      jobs: { monitorIntervalSeconds: 1, pollingIntervalSeconds: 0.5, concurrency: 2 },
      phases: { schedule: [{ phase: 'email-registration', from: hongKongText(daysFrom(new Date(), -30)) }] },
      deadlines: { emailRegistration: hongKongText(daysFrom(new Date(), 5)) },
      reminders: { offsetsDays: [7] },
    });
    const queries = createQueries(harness.database.db);
    await queries.participants.insert({ id: PARTICIPANT, name: 'Reminder Securities' });
    for (let index = 0; index < USERS; index += 1) {
      await queries.users.insert({ participant_id: PARTICIPANT, user_id: `LATE${index}`, display_name: `Late ${index}`, email: `late${index}@crash.example` });
    }
    for (const userId of ['DA1', 'DA2']) {
      const da = await queries.users.insert({ participant_id: PARTICIPANT, user_id: userId, display_name: userId, email: `${userId.toLowerCase()}@crash.example`, role: 'da' });
      await queries.users.setStatus(da!.id, 'active');
    }
    // Each batch's claim takes a while, so that a kill falls inside the tick rather than after it.
    await harness.database.db.raw(`
      create function slow_reminder_claim() returns trigger language plpgsql as $$ begin perform pg_sleep(0.3); return null; end $$;
      create trigger slow_reminder_claim after insert on reminder_causes for each statement execute function slow_reminder_claim();`);
  });

  const claimed = async () => (await harness.database.db('reminder_causes').select('cause', 'mail_job_id')) as Array<{ cause: string; mail_job_id: string }>;
  const mailJobIds = async () => ((await harness.database.db('pgboss.job').where({ name: 'mail' }).select('id')) as Array<{ id: string }>).map((row) => row.id).sort();

  /** Every claimed cause has its one mail job, named after it; no mail job is without its cause. */
  async function expectCausesAndJobsAgree(): Promise<number> {
    const causes = await claimed();
    for (const row of causes) expect(row.mail_job_id).toBe(causeJobId(row.cause));
    expect(await mailJobIds()).toEqual(causes.map((row) => row.mail_job_id).sort());
    return causes.length;
  }

  function tick() {
    const child = spawnSource('src/cli/main.ts', ['reminders', 'run', '--json'], { CONFIG_FILE: harness.configFile, CCASS_OPERATOR: 'test-operator', LOG_LEVEL: 'silent' });
    return { child, exit: exited(child) };
  }

  it('claims and queues each cause once though the tick is killed twice, and delivers every mail once though the sender is killed', async () => {
    // Two ticks killed after a batch has committed, at a random moment of a later batch.
    for (const committed of [100, 200]) {
      const { child, exit } = tick();
      const until = Date.now() + 60_000;
      while ((await claimed()).length < committed) {
        if (Date.now() > until) throw new Error('the tick did not get going');
        await sleep(20);
      }
      await sleep(Math.round(harness.random() * 400));
      child.kill('SIGKILL');
      expect((await exit).signal).toBe('SIGKILL');
      const count = await expectCausesAndJobsAgree();
      console.log(`tick killed with ${count} of ${CAUSES} causes claimed`);
      expect(count).toBeLessThan(CAUSES);
    }

    const last = tick();
    const done = await last.exit;
    expect(done.code).toBe(0);
    const result = JSON.parse(done.out) as { due: number; queued: number; earlier: number };
    expect(result.due).toBe(CAUSES);
    expect(result.queued + result.earlier).toBe(CAUSES);
    expect(await expectCausesAndJobsAgree()).toBe(CAUSES);
    // A tick run again finds everything done.
    const again = JSON.parse((await tick().exit).out) as { queued: number };
    expect(again.queued).toBe(0);

    // The node that sends them is killed mid-send, then started again.
    await harness.restartNode();
    const until = Date.now() + 60_000;
    while (harness.sink.messages.length < 40) {
      if (Date.now() > until) throw new Error('no mail went out');
      await sleep(10);
    }
    await harness.killNode();
    const atKill = harness.sink.messages.length;
    console.log(`sender killed with ${atKill} of ${CAUSES} mails delivered`);
    await harness.restartNode();
    await harness.mailSettled();

    const expected = new Map((await claimed()).map((row) => [`<${row.mail_job_id}@127.0.0.1>`, row.cause]));
    const copies = new Map<string, number>();
    for (const mail of harness.sink.messages) {
      expect({ to: mail.to, cause: expected.has(mail.messageId) }).toEqual({ to: mail.to, cause: true });
      copies.set(mail.messageId, (copies.get(mail.messageId) ?? 0) + 1);
    }
    expect(copies.size).toBe(CAUSES);
    for (let index = 0; index < USERS; index += 1) {
      const to = `late${index}@crash.example`;
      expect({ to, ids: new Set(harness.sink.messages.filter((mail) => mail.to === to).map((mail) => mail.messageId)).size }).toEqual({ to, ids: 1 });
    }
    const resent = [...copies.values()].reduce((sum, count) => sum + count - 1, 0);
    console.log(`${CAUSES} mails delivered; ${resent} resend(s) of a mail already accepted (same Message-ID)`);
    // Only a mail in flight when the node died can go out twice (jobs.concurrency at once).
    expect(resent).toBeLessThanOrEqual(2);
  }, 180_000);
});
