/**
 * User enumeration: whether an account exists, is disabled, is locked or has no password yet
 * must not show in the answer to a login attempt — neither in the page nor in how long it
 * takes. Timing is compared as distributions against each other in the same run (medians
 * and quartiles of interleaved samples), never against absolute durations.
 */
import { performance } from 'node:perf_hooks';
import { inputValue, type Page } from '../support/browser.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { startAuthorization, type AuthorizationStart } from '../support/flows.js';
import { seedUser, startTestServer, type RunningTestServer } from '../support/server.js';
import { LOCKED_UNTIL_UNLOCKED } from '../../src/store/users.js';

type Category = 'wrongPassword' | 'unknownUser' | 'unknownParticipant' | 'disabled' | 'locked' | 'noPassword';

const FIELDS: Record<Category, { participantId: string; userId: string; password: string }> = {
  wrongPassword: { participantId: 'B30003', userId: 'REAL', password: 'not the password of REAL' },
  unknownUser: { participantId: 'B30003', userId: 'GHOST', password: 'not the password of REAL' },
  unknownParticipant: { participantId: 'Z99999', userId: 'REAL', password: 'not the password of REAL' },
  disabled: { participantId: 'B30003', userId: 'GONE', password: 'a long enough test password' },
  locked: { participantId: 'B30003', userId: 'SHUT', password: 'a long enough test password' },
  noPassword: { participantId: 'B30003', userId: 'FRESH', password: 'a long enough test password' },
};
const CATEGORIES = Object.keys(FIELDS) as Category[];

function quantile(sorted: number[], q: number): number {
  const position = (sorted.length - 1) * q;
  const low = Math.floor(position);
  const high = Math.ceil(position);
  return (sorted[low] as number) + ((sorted[high] as number) - (sorted[low] as number)) * (position - low);
}

describe('user enumeration', () => {
  let database: TestDatabase;
  let running: RunningTestServer;
  const starts = new Map<Category, AuthorizationStart>();

  beforeAll(async () => {
    database = await createTestDatabase();
    // The production argon2 cost (the defaults; tests otherwise use the cheapest), so that hashing dominates as it does in
    // production; locks and address limits out of the way of repeated sampling.
    running = await startTestServer(database.db, database.url, {
      password: { argon2: { memoryCost: 19456, timeCost: 2 } },
      lockout: { threshold: 100, durationSeconds: 900 },
      rateLimits: { loginFailures: { points: 100_000, durationSeconds: 60 } },
    });
    const { server, config, clock } = running;
    await seedUser(server, config, { participantId: 'B30003', userId: 'REAL' }, clock);
    await seedUser(server, config, { participantId: 'B30003', userId: 'GONE', status: 'disabled' }, clock);
    const shut = await seedUser(server, config, { participantId: 'B30003', userId: 'SHUT' }, clock);
    await server.queries.users.lock(shut.subject, LOCKED_UNTIL_UNLOCKED);
    await seedUser(server, config, { participantId: 'B30003', userId: 'FRESH', status: 'pending', secondFactor: 'none' });
    for (const category of CATEGORIES) starts.set(category, await startAuthorization(running.issuer));
  });
  afterAll(async () => {
    await running.close();
    await database.drop();
  });

  async function attempt(category: Category): Promise<{ page: Page; milliseconds: number }> {
    const start = starts.get(category) as AuthorizationStart;
    const began = performance.now();
    const page = await start.browser.request(`${start.interactionUrl}/login`, { form: { csrf: inputValue(start.loginPage.body, 'csrf'), ...FIELDS[category] } });
    return { page, milliseconds: performance.now() - began };
  }

  it('answers every kind of failure with the same status and the same page', async () => {
    const answers = new Map<string, Category[]>();
    for (const category of CATEGORIES) {
      const { page } = await attempt(category);
      const start = starts.get(category) as AuthorizationStart;
      const body = page.body
        .replaceAll(start.interactionUrl.split('/').pop() as string, 'UID')
        .replace(inputValue(page.body, 'csrf'), 'CSRF')
        .replace(/value="[^"]*" ?(autofocus)?>/g, 'value="X">');
      const key = `${page.status}\n${page.headers.get('content-type')}\n${body}`;
      answers.set(key, [...(answers.get(key) ?? []), category]);
    }
    expect([...answers.values()]).toEqual([CATEGORIES]);
    expect([...answers.keys()][0]).toMatch(/^401\n/);
  });

  it('takes as long for an unknown, disabled, locked or password-less account as for a wrong password', async () => {
    const samples = new Map<Category, number[]>(CATEGORIES.map((category) => [category, []]));
    // Each round's samples are compared with the same round's wrong password: load on the
    // machine (other test files run alongside) drifts over seconds, and a ratio within one
    // round cancels most of it. Warm up (JIT, connection pool), then interleave the
    // categories in a shuffled order per round, so that what drift is left falls on all alike.
    const ratios = new Map<Category, number[]>(CATEGORIES.map((category) => [category, []]));
    for (const category of CATEGORIES) await attempt(category);
    for (let round = 0; round < 30; round += 1) {
      const order = [...CATEGORIES].sort(() => Math.random() - 0.5);
      const took = new Map<Category, number>();
      for (const category of order) took.set(category, (await attempt(category)).milliseconds);
      for (const category of CATEGORIES) {
        samples.get(category)?.push(took.get(category) as number);
        ratios.get(category)?.push((took.get(category) as number) / (took.get('wrongPassword') as number));
      }
    }
    const summary = (values: number[]) => {
      const sorted = [...values].sort((a, b) => a - b);
      return { p25: quantile(sorted, 0.25), median: quantile(sorted, 0.5), p75: quantile(sorted, 0.75) };
    };
    const reference = summary(samples.get('wrongPassword') as number[]);
    for (const category of CATEGORIES) {
      const other = summary(samples.get(category) as number[]);
      const ratio = summary(ratios.get(category) as number[]).median;
      // Without the dummy hash an unknown user would answer in a small fraction of the time;
      // with extra work (a second hash, a lock's bookkeeping) a category would take longer.
      expect(`${category}: ${ratio > 0.75 && ratio < 1.33 ? 'within' : 'outside'} 0.75–1.33 at ${ratio.toFixed(2)}`).toMatch(/: within /);
      // The middle halves of the two distributions overlap.
      expect(other.p25).toBeLessThan(reference.p75);
      expect(reference.p25).toBeLessThan(other.p75);
    }
    // 150 argon2 logins: a few seconds on a quiet machine, far longer on a loaded one. The
    // verdict is a ratio within each round, so a slow machine changes the time, not the result.
  }, 120_000);
});
