/**
 * The mails of maker-checker, through the DMS JSON API against real PostgreSQL and a real SMTP
 * sink: a new request is mailed once to each other active DA of the firm with a designated
 * email (not the maker, not another firm's DAs, not a disabled or pending DA), saying what is
 * asked, by whom, until when, with the approvals page as its only link and no address in it;
 * the maker hears of the approval, the rejection, the staleness or the expiry (recorded by the
 * request's own job when it is due, or by a DA who tries to decide it too late); a request that
 * is refused or whose transaction rolls back mails nobody and leaves no job.
 */
import { announcedHongKongTime } from '../../../src/i18n/locales.js';
import { JOB_SCHEMA } from '../../../src/store/job-schema.js';
import { type TestDatabase } from '../../support/database.js';
import { seedDa, signInToDms, type DmsSession } from '../../support/dms.js';
import { seedUser, useTestServer, type RunningTestServer, type SeededUser } from '../../support/server.js';
import type { ReceivedMail } from '../../support/smtp-sink.js';

const TOKEN = 'metrics-token-for-tests-0123456789abcdef';

describe('maker-checker mails', () => {
  let database: TestDatabase;
  let running: RunningTestServer;
  let maker: DmsSession;
  let checker: DmsSession;
  const address = (participantId: string, userId: string) => `${userId.toLowerCase()}@${participantId.toLowerCase()}.example.com`;
  const ADMIN1 = address('C00001', 'ADMIN1');
  const ADMIN2 = address('C00001', 'ADMIN2');
  const ADMIN3 = address('C00001', 'ADMIN3');
  const DISABLED = address('C00001', 'GONE');
  const PENDING = address('C00001', 'NEWDA');
  const OTHER_FIRM = [address('D00002', 'OTHER'), address('D00002', 'OTHER2')];

  useTestServer((started) => ({ database, running } = started), { makerChecker: { requestTtlHours: 1 }, dms: { sessionIdleMinutes: 240 }, metrics: { token: TOKEN } });
  beforeAll(async () => {
    const admin1 = await seedDa(running, 'C00001', 'ADMIN1');
    const admin2 = await seedDa(running, 'C00001', 'ADMIN2');
    await seedDa(running, 'C00001', 'ADMIN3');
    const gone = await seedDa(running, 'C00001', 'GONE');
    await running.server.queries.users.setStatus(gone.subject, 'disabled');
    const pending: SeededUser = await seedUser(running.server, running.config, { participantId: 'C00001', userId: 'NEWDA', email: PENDING, status: 'pending', secondFactor: 'none' });
    await running.server.queries.users.setRole(pending.subject, 'da');
    const noEmail = await seedUser(running.server, running.config, { participantId: 'C00001', userId: 'NOMAIL' }, running.clock);
    await running.server.queries.users.setRole(noEmail.subject, 'da');
    for (const userId of ['TRADER1', 'TRADER3', 'TRADER4', 'TRADER5', 'TRADER6']) {
      await seedUser(running.server, running.config, { participantId: 'C00001', userId, status: 'pending', secondFactor: 'none' }, running.clock);
    }
    await seedUser(running.server, running.config, { participantId: 'C00001', userId: 'TRADER2', email: 'trader2@example.com' }, running.clock);
    await seedDa(running, 'D00002', 'OTHER');
    await seedDa(running, 'D00002', 'OTHER2');
    maker = await signInToDms(running, admin1);
    checker = await signInToDms(running, admin2);
  });

  /** The mails to each address that arrived after `before` (a count of the sink's messages). */
  async function mailsSince(before: number): Promise<ReceivedMail[]> {
    await running.mailSettled();
    return running.mail.messages.slice(before);
  }
  const to = (mails: ReceivedMail[], recipient: string) => mails.filter((mail) => mail.to.includes(recipient));
  const approvals = () => `${running.issuer}/dms/approvals`;

  /** No address, and no link but the approvals page, in either language. */
  function expectNothingSecret(mail: ReceivedMail) {
    expect(mail.text).not.toContain('@');
    expect(mail.subject).not.toContain('@');
    expect([...mail.text.matchAll(/https?:\/\/\S+/g)].map((match) => match[0])).toEqual([approvals(), approvals()]);
    expect(mail.text).not.toMatch(/token=|activate/i);
  }

  it('mails a new request once to each other active DA of the firm, and to nobody else', async () => {
    const before = running.mail.messages.length;
    const proposed = await maker.api('PUT', '/dms/api/users/TRADER1/email', { email: 'trader1@example.com', reason: 'write to trader1@example.com' });
    expect(proposed.status).toBe(202);
    const request = proposed.body.changeRequest;
    const mails = await mailsSince(before);
    expect(to(mails, ADMIN2)).toHaveLength(1);
    expect(to(mails, ADMIN3)).toHaveLength(1);
    expect(mails).toHaveLength(2);
    for (const nobody of [ADMIN1, DISABLED, PENDING, ...OTHER_FIRM, 'trader1@example.com']) expect(to(mails, nobody)).toEqual([]);

    const mail = to(mails, ADMIN2)[0] as ReceivedMail;
    expect(mail.subject).toBe(`CCASS: change request ${request.id} of C00001 waits for your approval / 中央結算系統：C00001 的更改申請 ${request.id} 正等待您批核`);
    const expires = new Date(request.expiresAt);
    // What, who, until when, where — in English, then in Chinese.
    expect(mail.text).toContain('Dear User ADMIN2,');
    expect(mail.text).toContain(`On ${announcedHongKongTime(new Date(request.createdAt), 'en')}, ADMIN1, a Delegated Administrator of C00001, proposed change request ${request.id}:`);
    expect(mail.text).toContain('- Register a designated email for user TRADER1; the address is shown in DMS.');
    expect(mail.text).toContain(`If nobody approves or rejects it by ${announcedHongKongTime(expires, 'en')}, it expires and nothing is changed.`);
    expect(mail.text).toContain(`C00001 的授權管理員 ADMIN1 於${announcedHongKongTime(new Date(request.createdAt), 'zh-Hant')}提出更改申請 ${request.id}：`);
    expect(mail.text).toContain('- 為用戶 TRADER1 登記指定電郵；地址載於 DMS。');
    expect(mail.text).toContain(`如在${announcedHongKongTime(expires, 'zh-Hant')}前無人批核或拒絕，申請即告過期，不會作出任何更改。`);
    expect(announcedHongKongTime(expires, 'en')).toMatch(/\(Hong Kong time\)$/);
    // Neither the address nor the maker's reason (which could hold one).
    expectNothingSecret(mail);
    expectNothingSecret(to(mails, ADMIN3)[0] as ReceivedMail);
  });

  it('says what a change of address, a lock and a CSV upload ask for, with no address', async () => {
    const before = running.mail.messages.length;
    expect((await maker.api('PUT', '/dms/api/users/TRADER2/email', { email: 'trader2.new@example.com' })).status).toBe(202);
    expect((await maker.api('POST', '/dms/api/users/TRADER2/lock')).status).toBe(202);
    const csv = 'user_id,email\nTRADER3,trader3@example.com\nTRADER4,trader4@example.com\nTRADER2,trader2.csv@example.com\nNOBODY,x@example.com\n';
    const upload = await maker.api('POST', '/dms/api/uploads', csv);
    expect(upload.status).toBe(202);
    const mails = to(await mailsSince(before), ADMIN3);
    expect(mails).toHaveLength(3);
    const [change, lock, uploaded] = mails as [ReceivedMail, ReceivedMail, ReceivedMail];
    expect(change.text).toContain('- Change the designated email of user TRADER2; both addresses are shown in DMS.');
    expect(change.text).toContain('- 更改用戶 TRADER2 的指定電郵；新舊地址均載於 DMS。');
    expect(lock.text).toContain('- Lock user TRADER2 until a Delegated Administrator or an operator unlocks them: their sessions end.');
    expect(lock.text).toContain('- 鎖定用戶 TRADER2，直至授權管理員或營運人員解鎖：其所有工作階段會結束。');
    expect(uploaded.text).toContain('- Apply an upload of designated emails: 2 to register, 1 to change, 0 unchanged, 1 rejected.');
    expect(uploaded.text).toContain('- 執行一次指定電郵上載：登記 2 個、更改 1 個、0 個沒有更改、1 個不獲接納。');
    for (const mail of mails) expectNothingSecret(mail);
  });

  it('tells the maker of an approval (and only the maker), with the checker and the time', async () => {
    const { body } = await maker.api('POST', '/dms/api/users/TRADER2/second-factor/reset');
    await running.mailSettled();
    const before = running.mail.messages.length;
    const approved = await checker.api('POST', `/dms/api/change-requests/${body.changeRequest.id}/approve`);
    expect(approved.status).toBe(200);
    const all = await mailsSince(before);
    // The reset's own notice to the user, which names no DA; of the DAs, the maker alone.
    expect(all.map((mail) => mail.to).sort()).toEqual([ADMIN1, 'trader2@example.com']);
    expect(to(all, 'trader2@example.com')[0]?.text).not.toMatch(/ADMIN\d/);
    const mails = to(all, ADMIN1);
    const mail = mails[0] as ReceivedMail;
    expect(mail.subject).toBe(`CCASS: your change request ${body.changeRequest.id} was approved / 中央結算系統：您的更改申請 ${body.changeRequest.id} 已獲批核`);
    const at = new Date(approved.body.decidedAt);
    expect(mail.text).toContain(`ADMIN2 approved it on ${announcedHongKongTime(at, 'en')}, and it has been applied.`);
    expect(mail.text).toContain(`ADMIN2 已於${announcedHongKongTime(at, 'zh-Hant')}批核，更改已經執行。`);
    expect(mail.text).toContain('- Reset the second factor of user TRADER2');
    expectNothingSecret(mail);
  });

  it('tells the maker of a rejection, and of an approval refused as stale', async () => {
    const { body } = await maker.api('PUT', '/dms/api/users/TRADER6/email', { email: 'trader6@example.com' });
    await running.mailSettled();
    let before = running.mail.messages.length;
    expect((await checker.api('POST', `/dms/api/change-requests/${body.changeRequest.id}/reject`)).body.status).toBe('rejected');
    let mails = await mailsSince(before);
    expect(mails.map((mail) => mail.to)).toEqual([ADMIN1]);
    expect(mails[0]?.subject).toMatch(/^CCASS: your change request \d+ was rejected \/ 中央結算系統：您的更改申請 \d+ 已被拒絕$/);
    expect(mails[0]?.text).toContain('ADMIN2 rejected it on');
    expect(mails[0]?.text).toContain(': nothing was changed. Propose the change again if it is still needed.');
    expect(mails[0]?.text).toContain('- Register a designated email for user TRADER6');
    expectNothingSecret(mails[0] as ReceivedMail);

    const stale = await maker.api('POST', '/dms/api/users/TRADER6/lock');
    const trader6 = await running.server.queries.users.findByLogin('C00001', 'TRADER6');
    await running.server.queries.users.setEmail(trader6!.id, 'trader6.meanwhile@example.com');
    await running.mailSettled();
    before = running.mail.messages.length;
    expect((await checker.api('POST', `/dms/api/change-requests/${stale.body.changeRequest.id}/approve`)).body.reason).toBe('request_stale');
    mails = await mailsSince(before);
    expect(mails.map((mail) => mail.to)).toEqual([ADMIN1]);
    expect(mails[0]?.subject).toContain('was not applied');
    expect(mails[0]?.text).toContain('so it was not applied: nothing was changed.');
    expectNothingSecret(mails[0] as ReceivedMail);
  });

  it('tells the maker of an expiry when it is recorded (a DA deciding too late), once', async () => {
    const { body } = await maker.api('POST', '/dms/api/users/TRADER2/unlock');
    await running.mailSettled();
    running.clock.advance(3600 + 1);
    const before = running.mail.messages.length;
    // Read, the request shows as expired; nothing is recorded, and nobody is mailed.
    expect((await checker.api('GET', `/dms/api/change-requests/${body.changeRequest.id}`)).body.status).toBe('expired');
    expect(await mailsSince(before)).toEqual([]);
    expect((await checker.api('POST', `/dms/api/change-requests/${body.changeRequest.id}/approve`)).body.reason).toBe('request_expired');
    expect((await checker.api('POST', `/dms/api/change-requests/${body.changeRequest.id}/approve`)).body.reason).toBe('request_decided');
    const mails = await mailsSince(before);
    expect(mails.map((mail) => mail.to)).toEqual([ADMIN1]);
    const mail = mails[0] as ReceivedMail;
    expect(mail.subject).toContain('has expired / ');
    expect(mail.text).toContain(`Nobody approved or rejected it by ${announcedHongKongTime(new Date(body.changeRequest.expiresAt), 'en')}, so it has expired: nothing was changed.`);
    expect(mail.text).toContain(`在${announcedHongKongTime(new Date(body.changeRequest.expiresAt), 'zh-Hant')}前無人批核或拒絕，申請已過期`);
    expectNothingSecret(mail);
  });

  /** The request's expiry job, made due now: the database's clock is not the test's, so the job's time is moved instead. */
  async function expiryJobDue(request: string): Promise<void> {
    const { rows } = (await database.db.raw(`update ${JOB_SCHEMA}.job set start_after = now() where name = 'change_request_expiry' and data->>'request' = ? and state = 'created' returning id`, [request])) as { rows: unknown[] };
    expect(rows).toHaveLength(1);
  }
  async function jobDone(request: string): Promise<void> {
    const until = Date.now() + 15_000;
    for (;;) {
      const { rows } = (await database.db.raw(`select state from ${JOB_SCHEMA}.job where name = 'change_request_expiry' and data->>'request' = ?`, [request])) as { rows: Array<{ state: string }> };
      if (rows.every((row) => row.state === 'completed')) return;
      if (Date.now() > until) throw new Error(`expiry job of ${request}: ${JSON.stringify(rows)}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  it('records the expiry of a request nobody decides when its job is due, and tells the maker once', async () => {
    const { body } = await maker.api('POST', '/dms/api/users/TRADER4/lock');
    const request = body.changeRequest;
    // The job was made with the request, due when it expires.
    const { rows } = (await database.db.raw(`select start_after from ${JOB_SCHEMA}.job where name = 'change_request_expiry' and data->>'request' = ?`, [request.id])) as { rows: Array<{ start_after: Date }> };
    expect(rows.map((row) => row.start_after.toISOString())).toEqual([request.expiresAt]);
    await running.mailSettled();
    const before = running.mail.messages.length;
    running.clock.advance(3600 + 1);
    await expiryJobDue(request.id);
    await jobDone(request.id);
    const mails = await mailsSince(before);
    expect(mails.map((mail) => mail.to)).toEqual([ADMIN1]);
    expect(mails[0]?.subject).toBe(`CCASS: your change request ${request.id} has expired / 中央結算系統：您的更改申請 ${request.id} 已過期`);
    expect(mails[0]?.text).toContain(`Nobody approved or rejected it by ${announcedHongKongTime(new Date(request.expiresAt), 'en')}, so it has expired: nothing was changed.`);
    expect(mails[0]?.text).toContain('- Lock user TRADER4');
    expectNothingSecret(mails[0] as ReceivedMail);
    expect(await checker.api('GET', `/dms/api/change-requests/${request.id}`).then((answer) => answer.body)).toMatchObject({ status: 'expired', decidedBy: null });
    const audit = await database.db('audit_events').whereRaw(`details->>'request' = ?`, [request.id]).orderBy('id').select('type', 'actor');
    expect(audit).toEqual([
      { type: 'change_request.create', actor: 'da:C00001/ADMIN1' },
      { type: 'change_request.expire', actor: 'system:maker-checker' },
    ]);
    // Recorded once: a DA trying now finds it decided, and nobody is mailed again.
    expect((await checker.api('POST', `/dms/api/change-requests/${request.id}/approve`)).body.reason).toBe('request_decided');
    expect(await mailsSince(before + 1)).toEqual([]);
  });

  it('leaves a request decided before its expiry as it is when the job comes', async () => {
    const { body } = await maker.api('POST', '/dms/api/users/TRADER4/unlock');
    expect((await checker.api('POST', `/dms/api/change-requests/${body.changeRequest.id}/reject`)).body.status).toBe('rejected');
    await running.mailSettled();
    const before = running.mail.messages.length;
    running.clock.advance(3600 + 1);
    await expiryJobDue(body.changeRequest.id);
    await jobDone(body.changeRequest.id);
    expect(await mailsSince(before)).toEqual([]);
    expect((await checker.api('GET', `/dms/api/change-requests/${body.changeRequest.id}`)).body.status).toBe('rejected');
  });

  it('mails nobody for a request that is refused, or whose transaction rolls back', async () => {
    const before = running.mail.messages.length;
    const jobs = async () => Number(((await database.db.raw(`select count(*) as count from ${JOB_SCHEMA}.job where name = 'change_request_expiry'`)) as { rows: Array<{ count: string }> }).rows[0]?.count);
    const jobsBefore = await jobs();
    expect((await maker.api('PUT', '/dms/api/users/TRADER3/email', { email: 'not an address' })).status).toBe(400);
    expect((await maker.api('PUT', '/dms/api/users/NOBODY/email', { email: 'nobody@example.com' })).status).toBe(404);
    const requests = Number((await database.db('change_requests').count<{ count: string }[]>('* as count'))[0]?.count);
    // The commit itself fails, after the mails were queued in the transaction.
    await database.db.raw(`create function refuse_request_in_test() returns trigger language plpgsql as $$ begin raise exception 'refused by the test'; end $$`);
    await database.db.raw('create constraint trigger refuse_request_in_test after insert on change_requests deferrable initially deferred for each row execute function refuse_request_in_test()');
    try {
      expect((await maker.api('POST', '/dms/api/users/TRADER3/lock')).status).toBeGreaterThanOrEqual(500);
    } finally {
      await database.db.raw('drop trigger refuse_request_in_test on change_requests');
      await database.db.raw('drop function refuse_request_in_test()');
    }
    expect(Number((await database.db('change_requests').count<{ count: string }[]>('* as count'))[0]?.count)).toBe(requests);
    expect(await mailsSince(before)).toEqual([]);
    expect(await jobs()).toBe(jobsBefore);
  });

  it('counts the new kinds in the emails metric', async () => {
    const metrics = await fetch(`${running.issuer}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
    const text = await metrics.text();
    const sent = (kind: string) =>
      text
        .split('\n')
        .filter((line) => line.startsWith('ccass_auth_emails_total{') && line.includes(`kind="${kind}"`) && line.includes('outcome="sent"'))
        .reduce((sum, line) => sum + Number(line.split(' ').pop()), 0);
    // Two checkers for each of the ten requests made above; six outcomes told to the maker.
    expect(sent('change-request')).toBe(20);
    expect(sent('change-decision')).toBe(6);
  });
});
