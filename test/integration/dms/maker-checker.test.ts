/**
 * Maker-checker in DMS, through the JSON API against real PostgreSQL and a real SMTP sink: a
 * governed change waits as a request and changes nothing; only a different DA of the same firm
 * decides it; approval applies exactly what was previewed, or nothing when the user changed
 * (stale) or the request expired; the decision and the change commit together or not at all.
 */
import { setSoleDaExemption } from '../../../src/directory/participants.js';
import { formatHongKongTime } from '../../../src/kernel/hong-kong-time.js';
import { type TestDatabase } from '../../support/database.js';
import { latinSentences } from '../../support/latin-sentences.js';
import { seedDa, signInToDms, type DmsSession } from '../../support/dms.js';
import { seedUser, useTestServer, type RunningTestServer, type SeededUser } from '../../support/server.js';

describe('maker-checker in DMS', () => {
  let database: TestDatabase;
  let running: RunningTestServer;
  let maker: DmsSession;
  let checker: DmsSession;
  let stranger: DmsSession;
  let admin3: SeededUser;

  // Every action governed (the default), requests living one hour; DMS sessions outlive that, so the clock can pass it.
  useTestServer((started) => ({ database, running } = started), { makerChecker: { requestTtlHours: 1 }, dms: { sessionIdleMinutes: 240 } });
  beforeAll(async () => {
    const admin1 = await seedDa(running, 'C00001', 'ADMIN1');
    const admin2 = await seedDa(running, 'C00001', 'ADMIN2');
    admin3 = await seedDa(running, 'C00001', 'ADMIN3');
    for (const userId of ['U01', 'U02', 'U03', 'U04', 'U05', 'U06', 'U07', 'U08', 'U09']) {
      await seedUser(running.server, running.config, { participantId: 'C00001', userId, status: 'pending', secondFactor: 'none' }, running.clock);
    }
    await seedUser(running.server, running.config, { participantId: 'C00001', userId: 'T01', email: 't01@example.com' }, running.clock);
    const other = await seedDa(running, 'D00002', 'OTHER');
    await seedDa(running, 'D00002', 'OTHER2');
    maker = await signInToDms(running, admin1);
    checker = await signInToDms(running, admin2);
    stranger = await signInToDms(running, other);
  });

  const user = (userId: string, participantId = 'C00001') => running.server.queries.users.findByLogin(participantId, userId);
  async function mailCount() {
    await running.mailSettled();
    return running.mail.messages.length;
  }
  /** Who was mailed since `before` (a mail count): a new request mails the firm's other active DAs, and nobody else. */
  async function mailedSince(before: number) {
    await running.mailSettled();
    return running.mail.messages.slice(before).map((mail) => mail.to).sort();
  }
  const OTHER_DAS = ['admin2@c00001.example.com', 'admin3@c00001.example.com'];
  const auditTypes = async (request: string) =>
    (await database.db('audit_events').whereRaw(`details->>'request' = ?`, [request]).orderBy('id').select('type')).map((row: { type: string }) => row.type);

  it('records a governed change as a pending request that changes nothing and mails only the other DAs of the firm (202)', async () => {
    const mails = await mailCount();
    const proposed = await maker.api('PUT', '/dms/api/users/U01/email', { email: 'u01@example.com', reason: '  new   joiner\n' });
    expect(proposed.status).toBe(202);
    expect(proposed.body.changeRequest).toMatchObject({
      action: 'email',
      status: 'pending',
      userId: 'U01',
      maker: 'ADMIN1',
      reason: 'new joiner',
      effect: { action: 'email', userId: 'U01', email: 'u01@example.com', previous: null },
      description: 'Register u01@example.com as the designated email of user U01 (an activation link is sent to it).',
    });
    expect((await user('U01'))?.email).toBeNull();
    expect(await mailedSince(mails)).toEqual(OTHER_DAS);
  });

  it('a maker cannot approve (or reject) their own request', async () => {
    const { body } = await maker.api('POST', '/dms/api/users/U02/unlock');
    const approved = await maker.api('POST', `/dms/api/change-requests/${body.changeRequest.id}/approve`);
    expect(approved.status).toBe(403);
    expect(approved.body.reason).toBe('own_request');
    expect((await maker.api('POST', `/dms/api/change-requests/${body.changeRequest.id}/reject`)).body.reason).toBe('own_request');
    expect((await maker.api('GET', `/dms/api/change-requests/${body.changeRequest.id}`)).body.status).toBe('pending');
  });

  it('another DA sees the request in words of their language, approves it, and it is applied with its mail and both audit records', async () => {
    const { body } = await maker.api('PUT', '/dms/api/users/U03/email', { email: 'u03@example.com' });
    const id = body.changeRequest.id as string;
    const listed = await checker.api('GET', '/dms/api/change-requests', undefined, { 'accept-language': 'zh-Hant' });
    expect(listed.body.changeRequests.find((request: { id: string }) => request.id === id).description).toBe('將 u03@example.com 登記為用戶 U03 的指定電郵（並向該地址發出啟用連結）。');
    const approved = await checker.api('POST', `/dms/api/change-requests/${id}/approve`);
    expect(approved.status).toBe(200);
    expect(approved.body).toMatchObject({ status: 'approved', decidedBy: 'ADMIN2', maker: 'ADMIN1' });
    expect((await user('U03'))?.email).toBe('u03@example.com');
    const mail = await running.mail.mailTo('u03@example.com');
    // The user's mail names the change, not the DAs.
    expect(mail.text).not.toMatch(/ADMIN1|ADMIN2/);
    expect(await auditTypes(id)).toEqual(['change_request.create', 'change_request.approve']);
    const registered = await database.db('audit_events').where({ type: 'email.register', user_id: 'U03' }).first();
    expect(registered.actor).toBe('da:C00001/ADMIN2');
    // Decided once: a second approval is refused.
    expect((await checker.api('POST', `/dms/api/change-requests/${id}/approve`)).status).toBe(409);
  });

  it('refuses a stale approval: the user changed since the request, so nothing is applied and the request is recorded stale', async () => {
    const { body } = await maker.api('POST', '/dms/api/users/T01/lock', { reason: 'left the firm' });
    expect(body.changeRequest.status).toBe('pending');
    const t01 = await user('T01');
    await running.server.queries.users.setEmail(t01!.id, 't01.new@example.com');
    const approved = await checker.api('POST', `/dms/api/change-requests/${body.changeRequest.id}/approve`);
    expect(approved.status).toBe(409);
    expect(approved.body.reason).toBe('request_stale');
    expect((await user('T01'))?.locked_until).toBeNull();
    expect((await checker.api('GET', `/dms/api/change-requests/${body.changeRequest.id}`)).body.status).toBe('stale');
    expect(await auditTypes(body.changeRequest.id)).toEqual(['change_request.create', 'change_request.stale']);
  });

  it('a DA of another firm can neither see nor decide a request (404, as for any other firm\'s data)', async () => {
    const { body } = await maker.api('PUT', '/dms/api/users/U04/email', { email: 'u04@example.com' });
    const id = body.changeRequest.id as string;
    expect((await stranger.api('GET', `/dms/api/change-requests/${id}`)).status).toBe(404);
    expect((await stranger.api('POST', `/dms/api/change-requests/${id}/approve`)).status).toBe(404);
    expect((await stranger.api('POST', `/dms/api/change-requests/${id}/reject`)).status).toBe(404);
    expect((await stranger.api('GET', '/dms/api/change-requests')).body.changeRequests).toEqual([]);
    expect((await user('U04'))?.email).toBeNull();
    expect((await maker.api('GET', `/dms/api/change-requests/${id}`)).body.status).toBe('pending');
  });

  it('applies an approved CSV upload exactly as previewed, row by row', async () => {
    const mails = await mailCount();
    const csv = 'user_id,email\nU05,u05@example.com\nU06,u06@example.com\nNOBODY,x@example.com\nU07,not-an-address\nT01,t01.new@example.com\n';
    const proposed = await maker.api('POST', '/dms/api/uploads?reason=batch%201', csv);
    expect(proposed.status).toBe(202);
    const request = proposed.body.changeRequest;
    expect(request.effect.summary).toEqual({ registered: 2, changed: 0, unchanged: 1, rejected: 2 });
    expect(request.rows.map((row: { line: number; userId: string; outcome: string }) => [row.line, row.userId, row.outcome])).toEqual([
      [2, 'U05', 'registered'],
      [3, 'U06', 'registered'],
      [4, 'NOBODY', 'rejected'],
      [5, 'U07', 'rejected'],
      [6, 'T01', 'unchanged'],
    ]);
    expect((await user('U05'))?.email).toBeNull();
    expect(await mailedSince(mails)).toEqual(OTHER_DAS);

    const approved = await checker.api('POST', `/dms/api/change-requests/${request.id}/approve`);
    expect(approved.status).toBe(200);
    expect((await user('U05'))?.email).toBe('u05@example.com');
    expect((await user('U06'))?.email).toBe('u06@example.com');
    expect((await user('U07'))?.email).toBeNull();
    await running.mail.mailTo('u05@example.com');
    await running.mail.mailTo('u06@example.com');
    const upload = await database.db('audit_events').where({ type: 'dms.csv_upload', actor: 'da:C00001/ADMIN2' }).orderBy('id', 'desc').first();
    expect(upload.details).toMatchObject({ registered: 2, rejected: 2, unchanged: 1 });
  });

  it('refuses a CSV approval as stale when one row\'s user changed meanwhile, and applies none of its rows', async () => {
    const { body } = await maker.api('POST', '/dms/api/uploads', 'user_id,email\nU08,u08@example.com\nU09,u09@example.com\n');
    const u09 = await user('U09');
    await running.server.queries.users.setEmail(u09!.id, 'u09.direct@example.com');
    const approved = await checker.api('POST', `/dms/api/change-requests/${body.changeRequest.id}/approve`);
    expect(approved.body.reason).toBe('request_stale');
    expect((await user('U08'))?.email).toBeNull();
    expect((await user('U09'))?.email).toBe('u09.direct@example.com');
  });

  it('a user created meanwhile makes a rejected "no such user" row stale too', async () => {
    const { body } = await maker.api('POST', '/dms/api/uploads', 'user_id,email\nLATE1,late1@example.com\n');
    expect(body.changeRequest.rows[0].outcome).toBe('rejected');
    await running.server.queries.users.insert({ participant_id: 'C00001', user_id: 'LATE1', display_name: 'Late', email: null });
    expect((await checker.api('POST', `/dms/api/change-requests/${body.changeRequest.id}/approve`)).body.reason).toBe('request_stale');
    expect((await user('LATE1'))?.email).toBeNull();
  });

  it('an expired request does nothing: refused on approval, listed as expired', async () => {
    const { body } = await maker.api('PUT', '/dms/api/users/U08/email', { email: 'u08.late@example.com' });
    running.clock.advance(3600 + 1);
    expect((await checker.api('GET', `/dms/api/change-requests/${body.changeRequest.id}`)).body.status).toBe('expired');
    const approved = await checker.api('POST', `/dms/api/change-requests/${body.changeRequest.id}/approve`);
    expect(approved.status).toBe(409);
    expect(approved.body.reason).toBe('request_expired');
    expect((await user('U08'))?.email).toBeNull();
    expect(await auditTypes(body.changeRequest.id)).toEqual(['change_request.create', 'change_request.expire']);
  });

  it('a rejection changes nothing, and the request cannot be approved after', async () => {
    const t01 = await user('T01');
    const { body } = await maker.api('POST', '/dms/api/users/T01/second-factor/reset');
    expect(body.changeRequest.status).toBe('pending');
    const rejected = await checker.api('POST', `/dms/api/change-requests/${body.changeRequest.id}/reject`);
    expect(rejected.body.status).toBe('rejected');
    expect((await user('T01'))?.second_factor).toBe(t01?.second_factor);
    expect((await checker.api('POST', `/dms/api/change-requests/${body.changeRequest.id}/approve`)).body.reason).toBe('request_decided');
    expect(await auditTypes(body.changeRequest.id)).toEqual(['change_request.create', 'change_request.reject']);
  });

  it('is all-or-nothing: a failure while applying leaves neither the change nor the decision', async () => {
    const { body } = await maker.api('PUT', '/dms/api/users/U07/email', { email: 'u07@example.com' });
    const u07 = await user('U07');
    await database.db.raw(`create function pg_temp_refuse() returns trigger language plpgsql as $$
      begin if new.id = '${u07!.id}' then raise exception 'refused by the test'; end if; return new; end $$`);
    await database.db.raw('create trigger refuse_in_test before update on users for each row execute function pg_temp_refuse()');
    const mails = await mailCount();
    try {
      const failed = await checker.api('POST', `/dms/api/change-requests/${body.changeRequest.id}/approve`);
      expect(failed.status).toBeGreaterThanOrEqual(500);
    } finally {
      await database.db.raw('drop trigger refuse_in_test on users');
      await database.db.raw('drop function pg_temp_refuse()');
    }
    expect((await user('U07'))?.email).toBeNull();
    expect((await checker.api('GET', `/dms/api/change-requests/${body.changeRequest.id}`)).body.status).toBe('pending');
    expect(await auditTypes(body.changeRequest.id)).toEqual(['change_request.create']);
    expect(await mailCount()).toBe(mails);
    // Tried again, it goes through.
    expect((await checker.api('POST', `/dms/api/change-requests/${body.changeRequest.id}/approve`)).body.status).toBe('approved');
    expect((await user('U07'))?.email).toBe('u07@example.com');
  });

  it('two DAs approving at once apply the change once: one approves, the other finds it decided', async () => {
    const third = await signInToDms(running, admin3);
    await seedUser(running.server, running.config, { participantId: 'C00001', userId: 'R01', status: 'pending', secondFactor: 'none' }, running.clock);
    const { body } = await maker.api('PUT', '/dms/api/users/R01/email', { email: 'r01@example.com' });
    const id = body.changeRequest.id as string;
    const answers = await Promise.all([checker.api('POST', `/dms/api/change-requests/${id}/approve`), third.api('POST', `/dms/api/change-requests/${id}/approve`)]);
    expect(answers.map((answer) => answer.status).sort()).toEqual([200, 409]);
    expect(answers.find((answer) => answer.status === 409)?.body.reason).toBe('request_decided');
    await running.mailSettled();
    expect(running.mail.messages.filter((mail) => mail.to.includes('r01@example.com'))).toHaveLength(1);
    expect(await database.db('audit_events').where({ type: 'email.register', user_id: 'R01' })).toHaveLength(1);
  });

  it('a DA\'s grant of a dated exception waits, is applied with the user\'s notice on approval, and is stale if the user\'s exceptions changed', async () => {
    const until = new Date(running.clock.now().getTime() + 20 * 86_400_000);
    const proposed = await maker.api('POST', '/dms/api/users/T01/exceptions', { kind: 'smartcard_login', until: until.toISOString(), reason: 'card reader on order' });
    expect(proposed.status).toBe(202);
    expect(proposed.body.changeRequest).toMatchObject({ action: 'exception_grant', userId: 'T01', reason: 'card reader on order', effect: { kind: 'smartcard_login', until: until.toISOString() } });
    expect(proposed.body.changeRequest.description).toMatch(/^Give user T01 an exception until .+: Smartcard login after the cut-off$/);
    const t01 = await user('T01');
    expect(await running.server.queries.userExceptions.liveForUser(t01!.id, running.clock.now())).toEqual([]);
    const refused = await maker.api('POST', '/dms/api/users/T01/exceptions', { kind: 'forever', until: until.toISOString(), reason: 'x' });
    expect(refused.status).toBe(400);
    const mails = await mailCount();
    expect((await checker.api('POST', `/dms/api/change-requests/${proposed.body.changeRequest.id}/approve`)).body.status).toBe('approved');
    expect(await running.server.queries.userExceptions.liveForUser(t01!.id, running.clock.now())).toEqual([expect.objectContaining({ kind: 'smartcard_login', reason: 'card reader on order', granted_by: 'da:C00001/ADMIN2' })]);
    // The user's notice, and the maker's mail of the approval.
    expect(await mailedSince(mails)).toEqual(['admin1@c00001.example.com', 't01.new@example.com']);
    expect(running.mail.messages.filter((mail) => mail.to.includes('t01.new@example.com')).at(-1)?.text).not.toMatch(/ADMIN1|ADMIN2/);

    // Proposed again, then the operator grants one meanwhile: what the checker would approve is no longer what the user has.
    const again = await maker.api('POST', '/dms/api/users/T01/exceptions', { kind: 'smartcard_login', until: until.toISOString(), reason: 'longer' });
    await running.server.queries.userExceptions.end(t01!.id, 'smartcard_login', running.clock.now(), 'operator:test');
    expect((await checker.api('POST', `/dms/api/change-requests/${again.body.changeRequest.id}/approve`)).body.reason).toBe('request_stale');
  });

  describe('the pages', () => {
    const at = (path: string) => `${running.issuer}${path}`;

    it('a lock asked for on its page waits as a request, which the other DA approves from the request page, in Chinese', async () => {
      await seedUser(running.server, running.config, { participantId: 'C00001', userId: 'P01', email: 'p01@example.com' }, running.clock);
      const confirm = await maker.browser.request(at('/dms/users/P01/lock'));
      expect(confirm.body).toContain('name="reason"');
      const posted = await maker.browser.request(at('/dms/users/P01/lock'), { form: { csrf: maker.csrf, reason: 'on leave' } });
      expect(posted.status).toBe(303);
      const location = posted.headers.get('location') as string;
      expect(location).toMatch(/^\/dms\/approvals\/\d+\?done=proposed$/);
      const own = await maker.browser.request(at(location));
      expect(own.body).toContain('Your change is waiting for another Delegated Administrator of your firm to approve it.');
      expect(own.body).toContain('Lock user P01 until a Delegated Administrator or an operator unlocks them');
      expect(own.body).not.toContain('/approve"');
      expect((await user('P01'))?.locked_until).toBeNull();

      const id = /approvals\/(\d+)/.exec(location)?.[1] as string;
      const list = await checker.browser.request(at('/dms/approvals?lang=zh-Hant'));
      expect(list.body).toContain(`href="/dms/approvals/${id}"`);
      const chinese = await checker.browser.request(at(`/dms/approvals/${id}`));
      expect(chinese.body).toContain('鎖定用戶 P01，直至授權管理員或營運人員解鎖');
      expect(chinese.body).toContain('on leave');
      const approved = await checker.browser.request(at(`/dms/approvals/${id}/approve`), { form: { csrf: checker.csrf } });
      expect(approved.status).toBe(303);
      expect((await checker.browser.request(at(approved.headers.get('location') as string))).body).toContain('更改已批核並執行。');
      expect((await user('P01'))?.locked_until).not.toBeNull();
      await checker.browser.request(at('/dms/approvals?lang=en'));
    });

    it('refuses a decision without the session\'s token, and shows a stale refusal on the request\'s page', async () => {
      await seedUser(running.server, running.config, { participantId: 'C00001', userId: 'P02', status: 'pending', secondFactor: 'none' }, running.clock);
      const posted = await maker.browser.request(at('/dms/users/P02/email'), { form: { csrf: maker.csrf, email: 'p02@example.com' } });
      const id = /approvals\/(\d+)/.exec(posted.headers.get('location') as string)?.[1] as string;
      expect((await checker.browser.request(at(`/dms/approvals/${id}/approve`), { form: { csrf: 'forged' } })).status).toBe(403);
      expect((await checker.api('GET', `/dms/api/change-requests/${id}`)).body.status).toBe('pending');
      const p02 = await user('P02');
      await running.server.queries.users.setEmail(p02!.id, 'p02.other@example.com');
      const stale = await checker.browser.request(at(`/dms/approvals/${id}/approve`), { form: { csrf: checker.csrf } });
      expect(stale.status).toBe(409);
      expect(stale.body).toContain('has changed since this request was made, so it was not applied');
      expect(stale.body).toContain('Not applied: the user changed');
    });

    it('an exception given on the user\'s page waits, and is in force once the other DA approves it', async () => {
      await seedUser(running.server, running.config, { participantId: 'C00001', userId: 'P03', email: 'p03@example.com' }, running.clock);
      const userPage = await maker.browser.request(at('/dms/users/P03'));
      expect(userPage.body).toContain('action="/dms/users/P03/exceptions"');
      const posted = await maker.browser.request(at('/dms/users/P03/exceptions'), { form: { csrf: maker.csrf, kind: 'activation_deadline', until: formatHongKongTime(new Date(running.clock.now().getTime() + 30 * 86_400_000)).slice(0, 16).replace(' ', 'T'), reason: 'back from leave' } });
      expect(posted.status).toBe(303);
      // Too far ahead: refused on the user's page with the rule, nothing recorded.
      const tooFar = await maker.browser.request(at('/dms/users/P03/exceptions'), { form: { csrf: maker.csrf, kind: 'activation_deadline', until: '2999-01-01T18:00', reason: 'x' } });
      expect(tooFar.status).toBe(400);
      const id = /approvals\/(\d+)/.exec(posted.headers.get('location') as string)?.[1] as string;
      const seen = await checker.browser.request(at(`/dms/approvals/${id}`));
      expect(seen.body).toContain('Give user P03 an exception until');
      expect(seen.body).toContain('Activation after the email-registration deadline');
      const p03 = await user('P03');
      expect(await running.server.queries.userExceptions.liveForUser(p03!.id, running.clock.now())).toEqual([]);
      expect((await checker.browser.request(at(`/dms/approvals/${id}/approve`), { form: { csrf: checker.csrf } })).status).toBe(303);
      expect(await running.server.queries.userExceptions.liveForUser(p03!.id, running.clock.now())).toEqual([expect.objectContaining({ kind: 'activation_deadline', reason: 'back from leave' })]);
    });

    it('an upload from the browser form waits with its preview table, and the other DA sees the same rows', async () => {
      const form = new FormData();
      form.append('csrf', maker.csrf);
      form.append('reason', 'new desk');
      form.append('file', new Blob(['user_id,email\nU08,u08.form@example.com\nNOBODY,n@example.com\n'], { type: 'text/csv' }), 'emails.csv');
      const url = at('/dms/upload');
      const response = await fetch(url, { method: 'POST', body: form, redirect: 'manual', headers: { cookie: await maker.browser.jar.getCookieString(url) } });
      expect(response.status).toBe(303);
      const location = response.headers.get('location') as string;
      const seen = await checker.browser.request(at(location));
      expect(seen.body).toContain('<td>2</td><td>U08</td><td>u08.form@example.com</td><td>To register</td>');
      expect(seen.body).toContain('<td>3</td><td>NOBODY</td><td>—</td><td>Rejected: not applied</td>');
      expect(seen.body).toContain('new desk');
      expect((await user('U08'))?.email).toBeNull();
      // A DA of another firm: not found, as a page.
      expect((await stranger.browser.request(at(location.replace(/\?.*/, '')))).status).toBe(404);
    });
  });

  it('words every approval page, every status and its audit records in Traditional Chinese, with no English sentence', async () => {
    // The language chosen on the pages (a cookie), as a DA's switch sets it; set back to English after.
    const chinese = checker.browser;
    const makerChinese = maker.browser;
    await chinese.request(`${running.issuer}/dms/approvals?lang=zh-Hant`);
    await makerChinese.request(`${running.issuer}/dms/approvals?lang=zh-Hant`);
    const pending = (await maker.api('POST', '/dms/api/uploads', 'user_id,email\nU09,u09.zh@example.com\nT01,t01.new@example.com\nNOBODY,n@example.com\nU08,bad\n')).body.changeRequest.id as string;
    // Names and IDs, and the reasons the DAs typed (the audit trail shows them as written).
    const TYPED = ['CCASS', 'DMS', 'HKSCC', 'CSV', 'C00001', 'ADMIN1', 'ADMIN2', 'NOBODY', 'new desk', 'on leave', 'left the firm', 'new joiner', 'card reader on order', 'back from leave'];
    const pages = [
      await chinese.request(`${running.issuer}/dms/approvals`),
      await chinese.request(`${running.issuer}/dms/approvals/${pending}?done=proposed`),
      await makerChinese.request(`${running.issuer}/dms/approvals/${pending}`),
      // Its own approval refused, on the request's page.
      await makerChinese.request(`${running.issuer}/dms/approvals/${pending}/approve`, { form: { csrf: maker.csrf } }),
    ];
    expect((await chinese.request(`${running.issuer}/dms/approvals/${pending}/approve`, { form: { csrf: checker.csrf } })).status).toBe(303);
    pages.push(
      await chinese.request(`${running.issuer}/dms/approvals/${pending}?done=approved`),
      await chinese.request(`${running.issuer}/dms/approvals/999999`),
      await chinese.request(`${running.issuer}/dms/audit`),
    );
    for (const page of pages) {
      expect(page.body).toContain('<html lang="zh-Hant-HK">');
      expect({ url: page.url, english: latinSentences(page.body, TYPED) }).toEqual({ url: page.url, english: [] });
    }
    expect(pages[1]?.body).toContain('將更改（原為 u09.direct@example.com）');
    expect(pages[3]?.status).toBe(403);
    expect(pages[5]?.status).toBe(404);
    await chinese.request(`${running.issuer}/dms/approvals?lang=en`);
    await makerChinese.request(`${running.issuer}/dms/approvals?lang=en`);
  });

  describe('a firm with one active DA', () => {
    let sole: DmsSession;
    beforeAll(async () => {
      sole = await signInToDms(running, await seedDa(running, 'E00003', 'SOLE'));
      await seedUser(running.server, running.config, { participantId: 'E00003', userId: 'E01', status: 'pending', secondFactor: 'none' }, running.clock);
    });

    it('is refused a governed action while it has no exemption: nobody could approve it', async () => {
      const refused = await sole.api('PUT', '/dms/api/users/E01/email', { email: 'e01@example.com' });
      expect(refused.status).toBe(403);
      expect(refused.body.reason).toBe('second_da_needed');
      expect((await user('E01', 'E00003'))?.email).toBeNull();
    });

    it('is told so on the user\'s page, in its language, when it asks in the browser', async () => {
      const page = await sole.browser.request(`${running.issuer}/dms/users/E01/email`, { form: { csrf: sole.csrf, email: 'e01@example.com' }, headers: { 'accept-language': 'zh-HK' } });
      expect(page.status).toBe(403);
      expect(page.body).toContain('此項更改需由貴公司另一位授權管理員批核，但貴公司只有一位有效的授權管理員。');
      expect((await user('E01', 'E00003'))?.email).toBeNull();
    });

    it('acts directly with the operator\'s exemption, which is audited with its reason', async () => {
      await setSoleDaExemption(running.server.queries, { id: 'E00003', exempt: true, reason: 'sole proprietorship, application 2026/17' }, { name: 'operator:alice' });
      const exemption = await database.db('audit_events').where({ type: 'participant.sole_da_exempt', participant_id: 'E00003' }).first();
      expect(exemption).toMatchObject({ actor: 'operator:alice', details: { exempt: true, reason: 'sole proprietorship, application 2026/17', changed: true } });
      const direct = await sole.api('PUT', '/dms/api/users/E01/email', { email: 'e01@example.com' });
      expect(direct.status).toBe(200);
      expect((await user('E01', 'E00003'))?.email).toBe('e01@example.com');
      expect(await database.db('audit_events').where({ type: 'email.register', participant_id: 'E00003', actor: 'da:E00003/SOLE' }).first()).toBeTruthy();
    });
  });
});
