/**
 * Attacks on passwords and one-time codes: brute force on one account, password spraying
 * across many accounts from one address, OTP guessing and OTP replay. The defences: the
 * per-account lock (growing on repeat), per-address limits in PostgreSQL, and one-time use.
 */
import { Browser, inputValue, type Page } from '../support/browser.js';
import { type TestDatabase } from '../support/database.js';
import { passwordStep, startAuthorization, submitCode, submitLogin, type AuthorizationStart } from '../support/flows.js';
import { seedUser, startTestServer, type RunningTestServer, type SeededUser, useTestServer } from '../support/server.js';
import { rfc6238 } from '../support/totp.js';
import { unlockUser } from '../../src/directory/users.js';

const GENERIC = 'The participant ID, user ID or password is not correct.';

/** A browser whose requests come from `address` (any of 127.0.0.0/8 reaches the test server). */
const from = (address: string) => new Browser({ localAddress: address });

/** The page with what differs per interaction and per typed user taken out, to compare answers. */
function normalised(page: Page, start: AuthorizationStart): string {
  return page.body
    .replaceAll(start.interactionUrl.split('/').pop() as string, 'UID')
    .replace(inputValue(page.body, 'csrf'), 'CSRF')
    .replace(/value="[^"]*" ?(autofocus)?>/g, 'value="X">');
}

const code = (running: RunningTestServer, user: SeededUser) => rfc6238(user.totpSecret as Buffer, running.clock.now().getTime() / 1000);
const wrongCode = (right: string) => (right === '000000' ? '111111' : '000000');

describe('attacks on one account', () => {
  let database: TestDatabase;
  let running: RunningTestServer;

  useTestServer((started) => ({ database, running } = started), {
    lockout: { threshold: 5, durationSeconds: 60, growthFactor: 2, maxDurationSeconds: 600 },
    rateLimits: { loginFailures: { points: 100, durationSeconds: 900 }, otpFailures: { points: 100, durationSeconds: 900 } },
  });

  const login = (user: SeededUser, password: string, browser?: Browser) =>
    startAuthorization(running.issuer, {}, browser).then(async (start) => ({ start, page: await submitLogin(start, { participantId: user.participantId, userId: user.userId, password }) }));

  it('brute force on one password locks the account, and the lock answers exactly like a wrong password', async () => {
    const victim = await seedUser(running.server, running.config, { participantId: 'B10001', userId: 'VICTIM' }, running.clock);
    const answers = new Set<string>();
    for (let guess = 1; guess <= 5; guess += 1) {
      const { start, page } = await login(victim, `guess number ${guess} wrong`);
      expect(page.status).toBe(401);
      answers.add(normalised(page, start));
    }
    const row = await database.db('users').where({ user_id: 'VICTIM' }).first();
    expect(row.locked_until.getTime()).toBeGreaterThan(running.clock.now().getTime());

    // The right password, while locked: the same status and the same page as a wrong one.
    const { start, page } = await login(victim, victim.password);
    expect(page.status).toBe(401);
    expect(page.body).toContain(GENERIC);
    answers.add(normalised(page, start));
    expect(answers.size).toBe(1);

    const locks = await database.db('audit_events').where({ type: 'account.lock', user_id: 'VICTIM' });
    expect(locks).toHaveLength(1);
    expect(locks[0].details).toMatchObject({ after: 'password' });
    const reasons = (await database.db('audit_events').where({ type: 'login.password', user_id: 'VICTIM' }).orderBy('id')).map((event) => event.details.reason);
    expect(reasons).toEqual(['wrong_password', 'wrong_password', 'wrong_password', 'wrong_password', 'wrong_password', 'locked']);
  });

  it('makes each further lock longer until a successful login, then starts again from the first duration', async () => {
    const user = await seedUser(running.server, running.config, { participantId: 'B10001', userId: 'PATIENT' }, running.clock);
    const lockFor = async () => {
      for (let guess = 0; guess < 5; guess += 1) expect((await login(user, 'a patient wrong guess')).page.status).toBe(401);
      const row = await database.db('users').where({ user_id: 'PATIENT' }).first();
      return Math.round((row.locked_until.getTime() - running.clock.now().getTime()) / 1000);
    };
    expect(await lockFor()).toBe(60);
    running.clock.advance(61);
    expect(await lockFor()).toBe(120);
    running.clock.advance(61);
    expect((await login(user, user.password)).page.status).toBe(401); // still in the longer lock
    running.clock.advance(60);
    expect(await lockFor()).toBe(240);
    running.clock.advance(241);

    // A complete login resets the growth.
    const { start, page } = await login(user, user.password);
    expect(page.status).toBe(303);
    const codePage = await start.browser.follow(new URL(page.headers.get('location') as string, page.url).toString());
    expect((await submitCode(start, codePage, code(running, user))).status).toBe(303);
    running.clock.advance(30);
    expect(await database.db('users').where({ user_id: 'PATIENT' }).first()).toMatchObject({ failed_attempts: 0, lockout_count: 0, locked_until: null });
    expect(await lockFor()).toBe(60);
  });

  it('lets an operator unlock at once, with an audit record', async () => {
    const user = await seedUser(running.server, running.config, { participantId: 'B10001', userId: 'UNLOCKED' }, running.clock);
    for (let guess = 0; guess < 5; guess += 1) await login(user, 'wrong before unlock');
    expect((await login(user, user.password)).page.status).toBe(401);
    await unlockUser(running.server.queries, { participantId: 'B10001', userId: 'UNLOCKED' }, { name: 'operator:test' });
    expect((await login(user, user.password)).page.status).toBe(303);
    expect(await database.db('audit_events').where({ type: 'account.unlock', user_id: 'UNLOCKED' })).toHaveLength(1);
  });

  it('guessing the one-time code locks the account; the emailed code and the authenticator count together with the password', async () => {
    const user = await seedUser(running.server, running.config, { participantId: 'B10001', userId: 'OTPGUESS' }, running.clock);
    expect((await login(user, 'one wrong password')).page.status).toBe(401);
    const start = await startAuthorization(running.issuer);
    let page = await passwordStep(start, { participantId: user.participantId, userId: user.userId, password: user.password });
    const wrong = wrongCode(code(running, user));
    // One password failure + four wrong codes = five failures: locked at the fourth code.
    for (let attempt = 1; attempt <= 3; attempt += 1) {
      page = await submitCode(start, page, wrong);
      expect(page.status).toBe(401);
    }
    const lastForm = page;
    page = await submitCode(start, lastForm, wrong);
    expect(page.status).toBe(403);
    expect(page.body).toContain('Too many failed attempts');
    // Even the right code no longer completes this login: the lock ended it, back to the password step.
    const rightTooLate = await submitCode(start, lastForm, code(running, user));
    expect(rightTooLate.status).toBe(303);
    expect(new URL(rightTooLate.headers.get('location') as string, start.interactionUrl).toString()).toBe(start.interactionUrl);
    expect(await database.db('audit_events').where({ type: 'account.lock', user_id: 'OTPGUESS' })).toHaveLength(1);
    expect((await login(user, user.password)).page.status).toBe(401);
  });

  it('refuses an authenticator code replayed in another login within the same time step', async () => {
    const user = await seedUser(running.server, running.config, { participantId: 'B10001', userId: 'REPLAYED', email: 'replayed@example.com' }, running.clock);
    const first = await startAuthorization(running.issuer);
    const firstPage = await passwordStep(first, { participantId: user.participantId, userId: user.userId, password: user.password });
    const seen = code(running, user);
    expect((await submitCode(first, firstPage, seen)).status).toBe(303);

    // An attacker who watched the code (and knows the password) tries it in their own login.
    const attacker = await startAuthorization(running.issuer, {}, from('127.0.0.9'));
    const attackerPage = await passwordStep(attacker, { participantId: user.participantId, userId: user.userId, password: user.password });
    const replay = await submitCode(attacker, attackerPage, seen);
    expect(replay.status).toBe(401);
    expect(replay.body).toContain('already been used');
    const failures = await database.db('audit_events').where({ type: 'login.totp', user_id: 'REPLAYED', outcome: 'failure' });
    expect(failures.map((event) => event.details.reason)).toEqual(['replayed']);
    // The holder is told: their password and a code may both be known to someone else.
    const notice = await running.mail.mailTo('replayed@example.com');
    expect(notice.subject).toBe('A one-time code of yours was used twice / 您的一次性密碼被重複輸入');
    expect(notice.text).toContain('From address: 127.0.0.9');
    running.clock.advance(30);
  });
});

describe('attacks across accounts from one address', () => {
  let database: TestDatabase;
  let running: RunningTestServer;
  let users: SeededUser[];

  useTestServer((started) => ({ database, running } = started), {
    lockout: { threshold: 5, durationSeconds: 900 },
    rateLimits: { loginFailures: { points: 6, durationSeconds: 900 }, otpFailures: { points: 3, durationSeconds: 900 } },
  });
  beforeAll(async () => {
    users = [];
    for (let index = 1; index <= 8; index += 1) {
      users.push(await seedUser(running.server, running.config, { participantId: 'B20002', userId: `SPRAY${index}` }, running.clock));
    }
  });

  it('stops password spraying from one address before any account is locked, and only that address', async () => {
    const attacker = '127.0.0.20';
    const statuses: number[] = [];
    let refusal: Page | undefined;
    for (const user of users) {
      const start = await startAuthorization(running.issuer, {}, from(attacker));
      const page = await submitLogin(start, { participantId: user.participantId, userId: user.userId, password: 'Spring2026!' });
      statuses.push(page.status);
      if (page.status === 429) refusal = page;
    }
    // Six failures are allowed from one address; the seventh and eighth tries are not even checked.
    expect(statuses).toEqual([401, 401, 401, 401, 401, 401, 429, 429]);
    expect(refusal?.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(refusal?.body).toContain('Too many attempts from your network');
    expect(refusal?.body).not.toContain('SPRAY');
    const counted = await database.db('audit_events').where({ type: 'login.password', outcome: 'failure' }).count<{ count: number }[]>({ count: '*' });
    expect(counted[0]?.count).toBe(6);
    expect(await database.db('users').where('user_id', 'like', 'SPRAY%').whereNotNull('locked_until')).toHaveLength(0);
    const reached = await database.db('audit_events').where({ type: 'rate_limit.reached' });
    expect(reached).toHaveLength(1);
    expect(reached[0]).toMatchObject({ ip: attacker, details: { action: 'loginFailures' } });

    // A user at another address logs in as usual; from the blocked address even the right
    // password waits until the window ends (the limit is on the address, not the account).
    const colleague = await startAuthorization(running.issuer, {}, from('127.0.0.21'));
    expect((await submitLogin(colleague, { participantId: 'B20002', userId: 'SPRAY7', password: (users[6] as SeededUser).password })).status).toBe(303);
    const blocked = await startAuthorization(running.issuer, {}, from(attacker));
    expect((await submitLogin(blocked, { participantId: 'B20002', userId: 'SPRAY8', password: (users[7] as SeededUser).password })).status).toBe(429);

    const metrics = await (await fetch(`${running.issuer}/metrics`)).text();
    expect(metrics).toMatch(/ccass_auth_rate_limited_total\{action="loginFailures"\} 3/);
  });

  it('counts the limit across nodes: a second server on the same database refuses the same address', async () => {
    const second = await startTestServer(database.db, database.url, { rateLimits: running.config.rateLimits, lockout: running.config.lockout });
    try {
      const start = await startAuthorization(second.issuer, {}, from('127.0.0.20'));
      expect((await submitLogin(start, { participantId: 'B20002', userId: 'SPRAY1', password: 'Summer2026!' })).status).toBe(429);
    } finally {
      await second.close();
    }
  });

  it('stops one-time code guessing from one address across logins', async () => {
    const guesser = '127.0.0.30';
    const user = users[0] as SeededUser;
    const statuses: number[] = [];
    for (let round = 0; round < 2; round += 1) {
      const start = await startAuthorization(running.issuer, {}, from(guesser));
      let page = await passwordStep(start, { participantId: user.participantId, userId: user.userId, password: user.password });
      for (let attempt = 0; attempt < 2; attempt += 1) {
        page = await submitCode(start, page, wrongCode(code(running, user)));
        statuses.push(page.status);
        if (page.status === 429) break;
      }
    }
    expect(statuses).toEqual([401, 401, 401, 429]);
    // The account's own count is what it is (4 < 5): the address limit came first.
    expect(await database.db('users').where({ user_id: user.userId }).first()).toMatchObject({ locked_until: null });
  });
});
