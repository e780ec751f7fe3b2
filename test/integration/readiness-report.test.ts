/**
 * The migration readiness report: exact counts for participants with users in every state,
 * the login-time columns kept up to date by real logins, security keys (a key counts as a
 * second factor, and smartcard-only users without one are counted), the CLI (table, CSV,
 * JSON, bad options), DMS (a DA sees only their own firm, and which of its users have no
 * key) and one query however many users there are.
 */
import { createHash, randomBytes } from 'node:crypto';
import { parse } from 'csv-parse/sync';
import { readinessReport } from '../../src/reports/readiness-report.js';
import { cliRunner } from '../support/cli.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { nextTotp, seedDa, signInToDms } from '../support/dms.js';
import { followToCallback, passwordStep, startAuthorization, submitCode } from '../support/flows.js';
import { seedUser, type RunningTestServer, type SeededUser, useTestServer } from '../support/server.js';

const DAY = 24 * 3600 * 1000;

describe('migration readiness report', () => {
  let database: TestDatabase;
  let running: RunningTestServer;
  let alice: SeededUser;
  let da: SeededUser;

  const at = (user: SeededUser) => database.db('users').where({ participant_id: user.participantId, user_id: user.userId });
  const cli = (args: string[]) => cliRunner({ DATABASE_URL: database.url })(args);

  async function activationLink(user: SeededUser, used: boolean) {
    const now = running.clock.now();
    await database.db('activation_tokens').insert({
      user_id: user.subject,
      token_hash: createHash('sha256').update(randomBytes(32)).digest('base64url'),
      email: user.email ?? 'x@example.com',
      created_at: now,
      expires_at: new Date(now.getTime() + 3 * DAY),
      used_at: used ? now : null,
    });
  }

  async function securityKey(user: SeededUser, registeredWith: 'smartcard' | 'security_page' = 'smartcard') {
    await running.server.queries.webauthnCredentials.insert({
      user_id: user.subject,
      credential_id: randomBytes(16).toString('base64url'),
      public_key: Buffer.from('x'),
      sign_count: 0,
      transports: [],
      device_type: 'singleDevice',
      backed_up: false,
      aaguid: null,
      name: 'k',
      registered_with: registeredWith,
    });
  }

  useTestServer((started) => ({ database, running } = started));
  beforeAll(async () => {
    const seed = (participantId: string, userId: string, extra: Parameters<typeof seedUser>[2] extends infer T ? Partial<T> : never = {}) =>
      seedUser(running.server, running.config, { participantId, userId, email: `${userId.toLowerCase()}@example.com`, ...extra }, running.clock);

    // B00001: one user in each state.
    alice = await seed('B00001', 'ALICE'); // ready (TOTP), activated through a link
    await activationLink(alice, true);
    const bob = await seed('B00001', 'BOB', { secondFactor: 'email' }); // ready (email codes)
    const carol = await seed('B00001', 'CAROL', { status: 'pending', secondFactor: 'none' }); // link sent, not used
    await activationLink(carol, false);
    await seed('B00001', 'DAVE', { secondFactor: 'none' }); // password set by an operator, no second factor
    const erin = await seed('B00001', 'ERIN'); // ready but locked
    await at(erin).update({ locked_until: new Date(running.clock.now().getTime() + 3600_000) });
    await securityKey(erin, 'security_page'); // a key, but locked: not ready
    await securityKey(erin, 'security_page'); // two keys count once
    const frank = await seed('B00001', 'FRANK', { status: 'disabled' });
    await securityKey(frank); // disabled: not counted
    const kate = await seed('B00001', 'KATE', { secondFactor: 'none' }); // a key only (the smartcard bridge): ready
    await securityKey(kate);
    await seed('B00001', 'GINA', { email: undefined, status: 'pending', secondFactor: 'none' }); // no email
    const helen = await seed('B00001', 'HELEN', { status: 'pending', secondFactor: 'none' });

    // Smartcard logins: ALICE (2 days ago, but she logs in with 2FA below), CAROL (not ready),
    // BOB (smartcard 1 day ago, 2FA 40 days ago: only smartcard within the window),
    // HELEN (40 days ago: outside the window), KATE (smartcard 1 day ago, but she has a key).
    const daysAgo = (days: number) => new Date(running.clock.now().getTime() - days * DAY);
    await at(alice).update({ last_smartcard_login_at: daysAgo(2) });
    await at(carol).update({ last_smartcard_login_at: daysAgo(3) });
    await at(bob).update({ last_smartcard_login_at: daysAgo(1), last_two_factor_login_at: daysAgo(40) });
    await at(helen).update({ last_smartcard_login_at: daysAgo(40) });
    await at(kate).update({ last_smartcard_login_at: daysAgo(1) });

    // B00002: a DA and two ready users, one with a key. B00003: no users, and a name a spreadsheet would run.
    da = await seedDa(running, 'B00002', 'ADMIN');
    await seed('B00002', 'IVAN');
    await securityKey(await seed('B00002', 'JUDY'), 'security_page');
    await database.db('participants').insert({ id: 'B00003', name: '=HYPERLINK("http://evil.example","x")' });
  });

  it('records when a user last completed a password + code login', async () => {
    const before = running.clock.now();
    const start = await startAuthorization(running.issuer);
    const codePage = await passwordStep(start, { participantId: alice.participantId, userId: alice.userId, password: alice.password });
    const callback = await followToCallback(start, await submitCode(start, codePage, nextTotp(running, alice)));
    expect(callback.searchParams.get('code')).toBeTruthy();
    const row = await at(alice).first();
    expect(row.last_two_factor_login_at.getTime()).toBeGreaterThan(before.getTime());
    expect(row.last_two_factor_login_at.getTime()).toBeLessThanOrEqual(running.clock.now().getTime());
    expect(row.last_smartcard_login_at).not.toBeNull(); // the smartcard time stays as it was
  });

  it('counts every state per participant, with totals', async () => {
    const report = await readinessReport(running.server.queries, { now: running.clock.now() });
    expect(report.participants.map((row) => row.participant_id)).toEqual(['B00001', 'B00002', 'B00003']);
    expect(report.participants[0]).toEqual({
      participant_id: 'B00001',
      participant_name: 'Participant B00001',
      users: 8, // FRANK is disabled
      disabled: 1,
      email_registered: 7, // all but GINA
      activation_sent: 2, // ALICE, CAROL
      activated: 1, // ALICE
      password_set: 5, // ALICE, BOB, DAVE, ERIN, KATE
      totp: 2, // ALICE, ERIN
      email_otp: 1, // BOB
      security_key: 2, // ERIN (two keys), KATE; FRANK's is not counted (disabled)
      locked: 1, // ERIN
      ready: 3, // ALICE, BOB, KATE (a key and no code method)
      smartcard_only: 3, // BOB, CAROL, KATE (ALICE logged in with 2FA since; HELEN outside the window)
      smartcard_only_not_ready: 1, // CAROL
      smartcard_only_without_key: 2, // BOB, CAROL
    });
    expect(report.participants[1]).toMatchObject({ participant_id: 'B00002', users: 3, ready: 3, security_key: 1, smartcard_only: 0, smartcard_only_without_key: 0 });
    expect(report.participants[2]).toMatchObject({ participant_id: 'B00003', users: 0, ready: 0, security_key: 0 });
    expect(report.totals).toMatchObject({ users: 11, ready: 6, disabled: 1, security_key: 3, smartcard_only_not_ready: 1, smartcard_only_without_key: 2 });
  });

  it('says "ready" for a user with a security key and no code method, and "password set" without either', async () => {
    const { users } = running.server.queries;
    const now = running.clock.now();
    const state = async (userId: string) => (await users.listInParticipant('B00001', { userId, now, limit: 1, offset: 0 })).rows[0]?.readiness;
    expect(await state('KATE')).toBe('ready');
    expect(await state('DAVE')).toBe('password-set');
    expect(await users.readinessCounts('B00001', now)).toMatchObject({ ready: 3, 'password-set': 1, locked: 1, disabled: 1 });
    const filtered = await users.listInParticipant('B00001', { state: 'ready', now, limit: 50, offset: 0 });
    expect(filtered.rows.map((row) => row.user_id)).toEqual(['ALICE', 'BOB', 'KATE']);
  });

  it('narrows the window for "smartcard only" when asked', async () => {
    const report = await readinessReport(running.server.queries, { now: running.clock.now(), participantId: 'B00001', windowDays: 2 });
    expect(report.participants).toHaveLength(1);
    expect(report.participants[0]).toMatchObject({ smartcard_only: 2, smartcard_only_not_ready: 0, smartcard_only_without_key: 1 }); // BOB and KATE; BOB has no key
  });

  it('prints a table with a total row in the CLI', async () => {
    const result = await cli(['report', 'readiness']);
    expect(result.code).toBe(0);
    const lines = result.out.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^Migration readiness at .* Hong Kong time; "smartcard only" = last 30 days$/);
    expect(lines[1]).toMatch(
      /^PARTICIPANT\s+USERS\s+EMAIL\s+LINK SENT\s+ACTIVATED\s+PASSWORD\s+TOTP\s+EMAIL OTP\s+SECURITY KEY\s+READY\s+LOCKED\s+SMARTCARD ONLY\s+AT RISK\s+SMARTCARD NO KEY\s+DISABLED\s+READY %$/,
    );
    expect(lines[2]).toMatch(/^B00001\s+8\s+7\s+2\s+1\s+5\s+2\s+1\s+2\s+3\s+1\s+3\s+1\s+2\s+1\s+37%$/);
    expect(lines[4]).toMatch(/^B00003\s+0\s.*\s-$/);
    expect(lines[5]).toMatch(/^TOTAL\s+11\s/);
  });

  it('writes CSV that a spreadsheet opens safely', async () => {
    const result = await cli(['report', 'readiness', '--csv']);
    expect(result.code).toBe(0);
    const records = parse(result.out, { columns: true }) as Array<Record<string, string>>;
    expect(records).toHaveLength(3);
    expect(records[0]).toMatchObject({
      participant_id: 'B00001',
      users: '8',
      second_factor_totp: '2',
      second_factor_email: '1',
      security_key: '2',
      ready: '3',
      smartcard_only_not_ready: '1',
      smartcard_only_without_key: '2',
      window_days: '30',
    });
    expect(records[2]?.['participant_name']).toBe('\'=HYPERLINK("http://evil.example","x")');
  });

  it('reports one participant as JSON, and refuses bad options with the usual exit codes', async () => {
    const json = await cli(['report', 'readiness', '--participant', 'b00002', '--json']);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.out)).toMatchObject({ windowDays: 30, participants: [{ participant_id: 'B00002', users: 3, security_key: 1, smartcard_only_without_key: 0 }], totals: { users: 3 } });
    expect(await cli(['report', 'readiness', '--days', '0'])).toMatchObject({ code: 2 });
    expect(await cli(['report', 'readiness', '--participant', 'not valid!'])).toMatchObject({ code: 2 });
    expect(await cli(['report', 'readiness', '--participant', 'Z99999'])).toMatchObject({ code: 3 });
  });

  it("shows a DA their own firm's figures in DMS (page, CSV and API), and no other firm's", async () => {
    const dms = await signInToDms(running, da);
    const page = await dms.browser.request(`${running.issuer}/dms/readiness`);
    expect(page.status).toBe(200);
    expect(page.body).toContain('Readiness of B00002');
    expect(page.body).toContain('100% of your users are ready to log in with password and one-time code.');
    expect(page.body).not.toContain('B00001');
    expect(page.body).toContain('With a security key or passkey (phishing-resistant)');
    // Which users have no key: ADMIN and IVAN, not JUDY (she has one), and no other firm's users.
    const noKey = page.body.slice(page.body.indexOf('No security key yet'));
    expect(noKey).toContain('2 users without a security key');
    expect(noKey).toContain('href="/dms/users/ADMIN"');
    expect(noKey).toContain('href="/dms/users/IVAN"');
    expect(noKey).not.toContain('JUDY');
    expect(noKey).not.toMatch(/BOB|CAROL|DAVE/);

    const csv = await dms.browser.request(`${running.issuer}/dms/readiness.csv`);
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(csv.headers.get('content-disposition')).toMatch(/attachment; filename="readiness-B00002-\d{4}-\d{2}-\d{2}\.csv"/);
    const records = parse(csv.body, { columns: true }) as Array<Record<string, string>>;
    expect(records.map((record) => record['participant_id'])).toEqual(['B00002']);

    const api = await dms.api('GET', '/dms/api/readiness');
    expect(api.status).toBe(200);
    expect(api.body).toMatchObject({ participant_id: 'B00002', users: 3, ready: 3, security_key: 1, windowDays: 30 });
  });

  it('needs a DMS session', async () => {
    const response = await fetch(`${running.issuer}/dms/api/readiness`, { headers: { accept: 'application/json' }, redirect: 'manual' });
    expect(response.status).toBe(401);
  });
});

describe('migration readiness report at scale', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
    // 50 participants × 1,000 users, in every state, inserted set-wise.
    await database.db.raw(`insert into participants (id, name) select 'P' || lpad(n::text, 5, '0'), 'Participant ' || n from generate_series(1, 50) n`);
    await database.db.raw(`
      insert into users (participant_id, user_id, display_name, email, status, password_hash, second_factor, last_smartcard_login_at)
      select 'P' || lpad((1 + n % 50)::text, 5, '0'), 'U' || n, 'User ' || n,
        case when n % 10 = 0 then null else 'u' || n || '@example.com' end,
        case when n % 4 = 0 then 'pending' else 'active' end,
        case when n % 4 = 0 then null else '$argon2id$placeholder' end,
        case when n % 4 = 0 then null when n % 3 = 0 then 'email' when n % 3 = 1 then 'totp' else null end,
        case when n % 5 = 0 then now() - interval '1 day' else null end
      from generate_series(1, 50000) n`);
    await database.db.raw(`
      insert into activation_tokens (user_id, token_hash, email, created_at, expires_at, used_at)
      select id, md5(id::text), coalesce(email, 'x@example.com'), now(), now() + interval '3 days', case when status = 'active' then now() end
      from users where email is not null`);
    // Security keys for every 7th user (two for every 14th): some of them with no code method.
    await database.db.raw(`
      insert into webauthn_credentials (user_id, credential_id, public_key, device_type, backed_up, name, registered_with)
      select u.id, u.id::text || '-' || k, '\\x78', 'singleDevice', false, 'k', 'smartcard'
      from users u cross join generate_series(1, 2) k
      where substring(u.user_id from 2)::int % 7 = 0 and (k = 1 or substring(u.user_id from 2)::int % 14 = 0)`);
  });
  afterAll(async () => {
    await database.drop();
  });

  it('answers for 50,000 users with one query', async () => {
    const { createQueries } = await import('../../src/store/index.js');
    const queries = createQueries(database.db);
    const statements: string[] = [];
    const listener = (query: { sql: string }) => statements.push(query.sql);
    database.db.on('query', listener);
    const report = await readinessReport(queries, { now: new Date() });
    database.db.removeListener('query', listener);
    // One query for the counts; the live per-user exceptions are a second, read on their own index.
    expect(statements.filter((sql) => !sql.includes('user_exceptions'))).toHaveLength(1);
    expect(statements).toHaveLength(2);
    expect(report.participants).toHaveLength(50);
    expect(report.totals.users).toBe(50000);
    expect(report.totals.email_registered).toBe(45000);
    expect(report.totals.password_set).toBe(37500);
    const keyed = `exists (select 1 from webauthn_credentials c where c.user_id = users.id)`;
    const ready = await database.db.raw(`select count(*)::int as n from users where status = 'active' and email is not null and (second_factor is not null or ${keyed})`);
    expect(report.totals.ready).toBe(ready.rows[0].n);
    expect(report.totals.ready).toBeGreaterThan((await database.db.raw(`select count(*)::int as n from users where status = 'active' and email is not null and second_factor is not null`)).rows[0].n);
    expect(report.totals.security_key).toBe(Math.floor(50000 / 7));
    expect(report.totals.smartcard_only).toBe(10000);
    expect(report.totals.smartcard_only_without_key).toBe(10000 - Math.floor(50000 / 35));
  });
});
