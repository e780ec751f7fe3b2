/**
 * Crash consistency of a CLI import, tested by killing processes rather than by reasoning: a
 * large import is SIGKILLed at random points (and the node sending its mail now and then with
 * it), then the same file is run again to the end. Afterwards every user has exactly the state
 * the file asks for, exactly one activation link was ever issued per user and is live, and its
 * mail reached the SMTP sink under that link's one Message-ID (a resend after a kill between
 * the server's "250 OK" and the job's completion carries the same Message-ID, as the one
 * duplicate SMTP allows).
 *
 * The points are random; the seed is printed, and CRASH_SEED=<seed> replays a run.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { KILLS, sleep, useCrashHarness, USERS } from '../support/crash.js';
import { exited, spawnSource } from '../support/processes.js';

describe('a CLI import killed at random points (SIGKILL), then run again', () => {
  const harness = useCrashHarness();
  const { killPoint, random, restartNode, currentVariant, files, mailSettled, expectConverged } = harness;

  it('a CLI import killed at random points (and the mail node with it) converges when the file is run again', async () => {
    const participantId = 'K00001';
    const { rows } = files('IMPORT');
    const fileOf = async (variant: 'a' | 'b') => {
      const file = path.join(harness.dir, `import-${variant}.csv`);
      await writeFile(file, `participant_id,user_id,display_name,email\n${rows(variant).map((row) => `${participantId},${row.userId},Import ${row.userId},${row.email}`).join('\n')}\n`);
      return file;
    };
    const fileA = await fileOf('a');
    const fileB = await fileOf('b');
    const env = { CONFIG_FILE: harness.configFile, CCASS_OPERATOR: 'crash-test' };
    expect((await exited(spawnSource('src/cli/main.ts', ['participant', 'add', participantId, '--name', 'Crash Securities'], env))).code).toBe(0);
    await restartNode();

    // How long a whole import takes here, so that the kills fall within one or just after it
    // (the commit, the mail): most attempts die part-way, some after the file committed.
    const started = Date.now();
    expect((await exited(spawnSource('src/cli/main.ts', ['user', 'import', fileB], env))).code).toBe(0);
    const duration = Date.now() - started;

    const kills: string[] = [];
    for (let attempt = 0; attempt < KILLS; attempt += 1) {
      // Always the file the database does not agree with yet: every attempt has all of it to do.
      const variant = (await currentVariant(participantId)) === 'a' ? 'b' : 'a';
      const importer = spawnSource('src/cli/main.ts', ['user', 'import', variant === 'a' ? fileA : fileB], env);
      const done = exited(importer);
      await sleep(killPoint(attempt, duration * 0.4, duration * 1.5));
      importer.kill('SIGKILL');
      const result = await done;
      const applied = Number(((await harness.database.db('users').where({ participant_id: participantId }).whereLike('email', `%.${variant}@crash.example`).count({ n: '*' })) as Array<{ n: number }>)[0]?.n);
      kills.push(`${variant}: ${result.signal ?? `exit ${result.code}`} with ${applied} rows applied`);
      // Half the time the node sending the mail dies too, mid-send or idle.
      if (random() < 0.5) await restartNode();
    }
    console.log(`CLI import (a whole run: ${duration} ms) kills: ${kills.join('; ')}`);
    // No kill can leave part of a file applied: the file is one transaction.
    for (const kill of kills) expect(kill).toMatch(new RegExp(`with (0|${USERS}) rows applied`));

    const final = await exited(spawnSource('src/cli/main.ts', ['user', 'import', fileA], env));
    expect({ code: final.code, err: final.err }).toEqual({ code: 0, err: '' });
    expect(final.out).toMatch(new RegExp(`added 0, (updated ${USERS}, unchanged 0|updated 0, unchanged ${USERS}), rejected 0`));
    await mailSettled();
    await expectConverged(participantId, rows('a'));
  }, 240_000);
});
