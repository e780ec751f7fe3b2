/**
 * Crash consistency of a DMS upload, tested by killing processes rather than by reasoning: the
 * server node handling a large upload is SIGKILLed at random points (with the mail it queued),
 * then the same file is uploaded again to the end. Afterwards every user has exactly the state
 * the file asks for, exactly one live activation link, and its mail reached the SMTP sink
 * under that link's one Message-ID.
 *
 * The points are random; the seed is printed, and CRASH_SEED=<seed> replays a run.
 */
import { addParticipant } from '../../src/directory/participants.js';
import { createLogger } from '../../src/observability/logger.js';
import { buildServer, type Server } from '../../src/app/server.js';
import { Browser } from '../support/browser.js';
import { TestClock } from '../support/clock.js';
import { KILLS, sleep, useCrashHarness, USERS } from '../support/crash.js';
import { signInToDms, type DmsSession } from '../support/dms.js';
import { seedUser, testConfig, type RunningTestServer } from '../support/server.js';

describe('a DMS upload killed at random points (SIGKILL), then uploaded again', () => {
  const harness = useCrashHarness();
  const { killPoint, restartNode, killNode, currentVariant, files, mailSettled, expectConverged } = harness;

  it('a DMS upload killed at random points (the server handling it, and the mail it queued) converges when the file is uploaded again', async () => {
    const participantId = 'K00002';
    const { users, rows } = files('UPLOAD');
    // Users and a DA, seeded in-process on the same database; the child node serves DMS.
    const seedingConfig = testConfig(harness.origin, harness.database.url);
    const seeding: Server = await buildServer(seedingConfig, harness.database.db, createLogger('silent'), { clock: new TestClock(), workers: false });
    await addParticipant(seeding.queries, { id: participantId, name: 'Upload Securities' }, { name: 'test' });
    for (const userId of users) await seeding.queries.users.insert({ participant_id: participantId, user_id: userId, display_name: `Upload ${userId}`, email: null });
    const da = await seedUser(seeding, seedingConfig, { participantId, userId: 'DAADMIN', email: 'daadmin@crash.example' });
    await seeding.queries.users.setRole(da.subject, 'da');
    await seeding.stop();

    await restartNode();
    // The child keeps real time; the DA's next code is the next time step's.
    const asServer = { issuer: harness.origin, clock: new TestClock(), config: seedingConfig } as unknown as RunningTestServer;
    const session: DmsSession = await signInToDms(asServer, da, new Browser());
    const csv = (variant: 'a' | 'b') => `user_id,email\n${rows(variant).map((row) => `${row.userId},${row.email}`).join('\n')}\n`;

    // How long a whole upload takes, to spread the kills over one and just after it (a later
    // upload changes every address, which takes longer than this first one).
    const started = Date.now();
    expect((await session.api('POST', '/dms/api/uploads', csv('b'))).status).toBe(200);
    const duration = Date.now() - started;

    const kills: string[] = [];
    for (let attempt = 0; attempt < KILLS; attempt += 1) {
      const variant = (await currentVariant(participantId)) === 'a' ? 'b' : 'a';
      const upload = session.api('POST', '/dms/api/uploads', csv(variant)).then(
        (response) => `answered ${response.status}`,
        () => 'cut off',
      );
      await sleep(killPoint(attempt, duration * 0.2, duration * 2));
      await killNode();
      const outcome = await upload;
      const applied = Number(((await harness.database.db('users').where({ participant_id: participantId }).whereLike('email', `%.${variant}@crash.example`).count({ n: '*' })) as Array<{ n: number }>)[0]?.n);
      kills.push(`${variant}: ${outcome} with ${applied} rows applied`);
      await restartNode();
    }
    console.log(`DMS upload (a whole one: ${duration} ms) kills: ${kills.join('; ')}`);
    for (const kill of kills) expect(kill).toMatch(new RegExp(`with (0|${USERS}) rows applied`));

    const final = await session.api('POST', '/dms/api/uploads', csv('a'));
    expect(final.status).toBe(200);
    expect(final.body.summary.rejected).toBe(0);
    expect(final.body.summary.changed + final.body.summary.unchanged).toBe(USERS);
    await mailSettled();
    await expectConverged(participantId, rows('a'));
  }, 240_000);
});
