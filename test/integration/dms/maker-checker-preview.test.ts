/**
 * An approved change request does what its preview said and what the direct action would do:
 * no more (a row previewed as already so is not applied, so mails no new link), and not while
 * the direct action would be refused (enrolment closed by an operator's pin meanwhile).
 */
import { type TestDatabase } from '../../support/database.js';
import { seedDa, signInToDms, type DmsSession } from '../../support/dms.js';
import { seedUser, useTestServer, type RunningTestServer } from '../../support/server.js';

describe('maker-checker: approval within the preview and the phase', () => {
  let database: TestDatabase;
  let running: RunningTestServer;
  let maker: DmsSession;
  let checker: DmsSession;

  useTestServer((started) => ({ database, running } = started), { makerChecker: { requestTtlHours: 1 }, dms: { sessionIdleMinutes: 240 } });
  beforeAll(async () => {
    const admin1 = await seedDa(running, 'C00001', 'ADMIN1');
    const admin2 = await seedDa(running, 'C00001', 'ADMIN2');
    // Registered email, not activated, no activation link outstanding.
    await seedUser(running.server, running.config, { participantId: 'C00001', userId: 'P01', email: 'p01@example.com', status: 'pending', secondFactor: 'none' }, running.clock);
    await seedUser(running.server, running.config, { participantId: 'C00001', userId: 'P02', status: 'pending', secondFactor: 'none' }, running.clock);
    await seedUser(running.server, running.config, { participantId: 'C00001', userId: 'P03', status: 'pending', secondFactor: 'none' }, running.clock);
    maker = await signInToDms(running, admin1);
    checker = await signInToDms(running, admin2);
  });
  const user = (userId: string) => running.server.queries.users.findByLogin('C00001', userId);
  async function mailCount() {
    await running.mailSettled();
    return running.mail.messages.length;
  }

  it('a CSV row previewed "unchanged" sends no activation mail when approved', async () => {
    const p01 = await user('P01');
    expect(p01?.password_hash).toBeNull();
    const proposed = await maker.api('POST', '/dms/api/uploads', 'user_id,email\nP01,p01@example.com\n');
    expect(proposed.status).toBe(202);
    expect(proposed.body.changeRequest.rows[0].outcome).toBe('unchanged');
    const before = await mailCount();
    const approved = await checker.api('POST', `/dms/api/change-requests/${proposed.body.changeRequest.id}/approve`);
    expect(approved.status).toBe(200);
    const upload = await database.db('audit_events').where({ type: 'dms.csv_upload', actor: 'da:C00001/ADMIN2' }).orderBy('id', 'desc').first();
    // The checker approved "unchanged"; what was done:
    expect(upload.details).toMatchObject({ unchanged: 1, resent: 0 });
    // Only the maker's mail of the approval.
    await mailCount();
    expect(running.mail.messages.slice(before).map((mail) => mail.to)).toEqual(['admin1@c00001.example.com']);
  });

  it('an approved CSV upload is refused while enrolment is closed, as the direct upload and the single-user email approval are', async () => {
    const single = await maker.api('PUT', '/dms/api/users/P03/email', { email: 'p03@example.com' });
    const csv = await maker.api('POST', '/dms/api/uploads', 'user_id,email\nP02,p02@example.com\n');
    expect(csv.status).toBe(202);
    // The operator pins the firm-wide phase back to smartcard-only (enrolment closed).
    await running.server.queries.phaseControls.setPin({ phase: 'smartcard-only', until: null, reason: 'rollback', set_by: 'operator', set_at: running.clock.now() });
    running.clock.advance(60);
    const direct = await maker.api('GET', '/dms/api/session');
    expect(direct.status).toBe(200);
    const singleApproval = await checker.api('POST', `/dms/api/change-requests/${single.body.changeRequest.id}/approve`);
    expect(singleApproval.body.reason).toBe('enrolment_closed');
    expect((await user('P03'))?.email).toBeNull();
    const csvApproval = await checker.api('POST', `/dms/api/change-requests/${csv.body.changeRequest.id}/approve`);
    expect([csvApproval.status, csvApproval.body.reason, (await user('P02'))?.email]).toEqual([singleApproval.status, 'enrolment_closed', null]);
    expect(singleApproval.status).toBe(403);
  });
});
