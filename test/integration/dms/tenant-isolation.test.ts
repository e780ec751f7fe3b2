/**
 * Tenant isolation: a DA of one participant can never list, read or change a user of another,
 * through the pages, the API, CSV rows or guessed IDs. Every DMS function is tried against a
 * user of another participant, and that user's row and mailbox are checked unchanged.
 */
import { type TestDatabase } from '../../support/database.js';
import { seedDa, signInToDms, type DmsSession } from '../../support/dms.js';
import { seedUser, type RunningTestServer, type SeededUser, useTestServer } from '../../support/server.js';

describe('DMS tenant isolation', () => {
  let database: TestDatabase;
  let running: RunningTestServer;
  let dms: DmsSession;
  let own: SeededUser;
  let other: SeededUser;
  let otherRowBefore: unknown;

  useTestServer((started) => ({ database, running } = started));
  beforeAll(async () => {
    const da = await seedDa(running, 'A00001', 'ADMIN');
    own = await seedUser(running.server, running.config, { participantId: 'A00001', userId: 'SHARED', email: 'own@a.example.com' }, running.clock);
    // Same user ID at another participant: only the participant tells them apart.
    other = await seedUser(running.server, running.config, { participantId: 'B00002', userId: 'SHARED', email: 'other@b.example.com' }, running.clock);
    await seedUser(running.server, running.config, { participantId: 'B00002', userId: 'ONLYB', status: 'pending', secondFactor: 'none' }, running.clock);
    await seedUser(running.server, running.config, { participantId: 'B00002', userId: 'ONLYB2', status: 'pending', secondFactor: 'none' }, running.clock);
    otherRowBefore = await running.server.queries.users.findByLogin('B00002', 'SHARED');
    dms = await signInToDms(running, da);
  });

  afterEach(async () => {
    // Whatever a test tried, the other participant's users are exactly as they were, and no mail went to them.
    expect(await running.server.queries.users.findByLogin('B00002', 'SHARED')).toEqual(otherRowBefore);
    expect(await running.server.queries.users.findByLogin('B00002', 'ONLYB')).toMatchObject({ email: null });
    await running.mailSettled();
    expect(running.mail.countTo('other@b.example.com')).toBe(0);
    await running.mailSettled();
    expect(running.mail.countTo('stolen@attacker.example.com')).toBe(0);
  });

  it('lists only the own participant, whatever the search', async () => {
    const list = await dms.api('GET', '/dms/api/users?search=SHARED&pageSize=200');
    expect(list.status).toBe(200);
    expect(list.body.participantId).toBe('A00001');
    expect(list.body.users.map((user: { userId: string }) => user.userId).sort()).toEqual(['SHARED']);
    expect(list.body.users[0].email).toBe('own@a.example.com');
    const everything = await dms.api('GET', '/dms/api/users?pageSize=200');
    expect(everything.body.users.map((user: { userId: string }) => user.userId)).not.toContain('ONLYB');
    const page = await dms.browser.request(`${running.issuer}/dms?q=ONLYB`);
    expect(page.status).toBe(200);
    expect(page.body).not.toContain('ONLYB</a>');
    expect(page.body).toContain('0 users matching');
  });

  it("cannot read another participant's user by a guessed ID (API and page answer as for a missing user)", async () => {
    const guessed = await dms.api('GET', '/dms/api/users/ONLYB');
    const missing = await dms.api('GET', '/dms/api/users/NOSUCHUSER');
    expect(guessed.status).toBe(404);
    expect(missing.status).toBe(404);
    expect(guessed.body.message).toBe('There is no user ONLYB in A00001.');
    expect((await dms.browser.request(`${running.issuer}/dms/users/ONLYB`)).status).toBe(404);
    // The subject UUID of another participant's user is not an ID DMS understands either.
    expect((await dms.api('GET', `/dms/api/users/${other.subject}`)).status).toBe(400);
  });

  // Every row has all four entries: jest.each passes `done` to a test whose row is shorter than its parameters.
  const apiChanges: Array<[string, string, string, unknown]> = [
    ['register an email', 'PUT', '/dms/api/users/ONLYB/email', { email: 'stolen@attacker.example.com' }],
    ['resend activation', 'POST', '/dms/api/users/ONLYB/activation', undefined],
    ['reset the second factor', 'POST', '/dms/api/users/ONLYB/second-factor/reset', undefined],
    ['lock', 'POST', '/dms/api/users/ONLYB/lock', undefined],
    ['unlock', 'POST', '/dms/api/users/ONLYB/unlock', undefined],
  ];
  it.each(apiChanges)('API: cannot %s for another participant', async (_name, method, path, body) => {
    const response = await dms.api(method, path, body);
    expect(response.status).toBe(404);
    expect(response.body).toMatchObject({ error: 'not_found' });
  });

  const pageChanges: Array<[string, string, Record<string, string>]> = [
    ['register an email', '/dms/users/ONLYB/email', { email: 'stolen@attacker.example.com' }],
    ['resend activation', '/dms/users/ONLYB/activation', {}],
    ['reset the second factor', '/dms/users/ONLYB/second-factor/reset', {}],
    ['lock', '/dms/users/ONLYB/lock', {}],
    ['unlock', '/dms/users/ONLYB/unlock', {}],
  ];
  it.each(pageChanges)('page: cannot %s for another participant', async (_name, path, fields) => {
    const response = await dms.browser.request(`${running.issuer}${path}`, { form: { csrf: dms.csrf, ...fields } });
    expect(response.status).toBe(404);
  });

  it("acts on the own participant's user of the same ID, never the other one", async () => {
    const locked = await dms.api('POST', '/dms/api/users/SHARED/lock');
    expect(locked.status).toBe(200);
    expect(locked.body.state).toBe('locked');
    expect((await running.server.queries.users.findByLogin('A00001', 'SHARED'))?.locked_until).not.toBeNull();
    expect((await dms.api('POST', '/dms/api/users/SHARED/unlock')).body.state).toBe('ready');
    expect(own.userId).toBe('SHARED');
  });

  it("rejects CSV rows naming another participant or its users, without revealing them", async () => {
    const csv = ['participant_id,user_id,email', 'B00002,ONLYB,stolen@attacker.example.com', 'A00001,ONLYB2,stolen@attacker.example.com', ''].join('\n');
    const report = await dms.api('POST', '/dms/api/uploads', csv);
    expect(report.status).toBe(200);
    expect(report.body.summary).toEqual({ registered: 0, changed: 0, unchanged: 0, resent: 0, rejected: 2 });
    expect(report.body.rows).toEqual([
      {
        line: 2,
        userId: 'ONLYB',
        outcome: 'rejected',
        problems: ['participant B00002 is not your firm: you can only register users of A00001'],
        problemCodes: [{ code: 'other_participant', participant: 'B00002', own: 'A00001' }],
      },
      { line: 3, userId: 'ONLYB2', outcome: 'rejected', problems: ['there is no user ONLYB2 in A00001'], problemCodes: [{ code: 'no_such_user', user: 'ONLYB2', participant: 'A00001' }] },
    ]);
  });

  it("shows only the own participant's audit trail", async () => {
    const trail = await dms.api('GET', '/dms/api/audit?limit=500');
    expect(trail.status).toBe(200);
    expect(trail.body.events.length).toBeGreaterThan(0);
    const rows = await database.db('audit_events').whereIn('id', (trail.body.events as Array<{ id: number }>).map((event) => event.id));
    expect(new Set(rows.map((row: { participant_id: string }) => row.participant_id))).toEqual(new Set(['A00001']));
    const otherTrail = await dms.api('GET', '/dms/api/audit?userId=ONLYB');
    expect(otherTrail.body.events).toEqual([]);
    const page = await dms.browser.request(`${running.issuer}/dms/audit?user=ONLYB`);
    expect(page.status).toBe(200);
    expect(page.body).not.toContain('B00002');
  });

  it('refuses every DMS function without a DA session', async () => {
    for (const [, method, path] of apiChanges) {
      const response = await fetch(`${running.issuer}${path}`, { method, headers: { accept: 'application/json' } });
      expect(response.status).toBe(401);
    }
    expect((await fetch(`${running.issuer}/dms/api/users`)).status).toBe(401);
    const page = await fetch(`${running.issuer}/dms/users/SHARED`, { redirect: 'manual' });
    expect(page.status).toBe(303);
    expect(page.headers.get('location')).toBe('/dms/login?return=%2Fdms%2Fusers%2FSHARED');
  });

  it('refuses changes without the session CSRF token', async () => {
    const response = await dms.api('POST', '/dms/api/users/SHARED/lock', undefined, { 'x-csrf-token': 'forged' });
    expect(response.status).toBe(403);
    const form = await dms.browser.request(`${running.issuer}/dms/users/SHARED/lock`, { form: { csrf: 'forged' } });
    expect(form.status).toBe(403);
    expect((await running.server.queries.users.findByLogin('A00001', 'SHARED'))?.locked_until).toBeNull();
  });

  it('does not let an ordinary user into DMS, even after a full 2FA login', async () => {
    const { signInToDms: signIn } = await import('../../support/dms.js');
    await expect(signIn(running, own)).resolves.toMatchObject({ home: { status: 403 } });
    const refusal = await database.db('audit_events').where({ type: 'dms.login', outcome: 'failure', user_id: 'SHARED', participant_id: 'A00001' }).first();
    expect(refusal.details).toEqual({ reason: 'not_a_da' });
  });
});
