/**
 * Maker-checker across a deadline, through the DMS JSON API on real PostgreSQL: a designated
 * email proposed before the email registration deadline and approved after it sends no link —
 * and the refusal is not lost with the decision's rollback: it is audited, the request is
 * settled (not applied, with an outcome of its own: `deadline_passed`, with the deadline; its
 * audit record stays `change_request.stale` because `deadline_passed`), shown so on the DMS pages
 * and in the API, and the maker is told why, in both languages, once. And past the second-factor deadline, the page confirming a
 * reset says that the user cannot set up a new second factor without an exception.
 */
import { announcedHongKongTime } from '../../../src/i18n/locales.js';
import { type TestDatabase } from '../../support/database.js';
import { seedDa, signInToDms, type DmsSession } from '../../support/dms.js';
import { DAY_SECONDS, daysFrom, hongKongText } from '../../support/reminders.js';
import { seedUser, useTestServer, type RunningTestServer } from '../../support/server.js';
import type { ReceivedMail } from '../../support/smtp-sink.js';
import { latinSentences } from '../../support/latin-sentences.js';

describe('maker-checker: an address proposed before the email registration deadline, approved after it', () => {
  let database: TestDatabase;
  let running: RunningTestServer;
  const now = new Date();
  const deadline = daysFrom(now, 1);
  const F = 'G00001';
  const MAKER = 'maker@g00001.example.com';
  const LATE = 'late@g00001.example.com';
  let maker: DmsSession;
  let checker: DmsSession;
  let checkerDa: Awaited<ReturnType<typeof seedDa>>;
  let makerDa: Awaited<ReturnType<typeof seedUser>>;

  useTestServer((started) => ({ database, running } = started), {
    phases: { schedule: [{ phase: 'email-registration', from: hongKongText(daysFrom(now, -30)) }, { phase: 'parallel-run', from: hongKongText(daysFrom(now, -10)) }] },
    deadlines: { emailRegistration: hongKongText(deadline) },
    makerChecker: { actions: ['email', 'csv_upload'], requestTtlHours: 120 },
  });

  beforeAll(async () => {
    const da1 = await seedUser(running.server, running.config, { participantId: F, userId: 'MAKER', email: MAKER }, running.clock);
    makerDa = da1;
    await running.server.queries.users.setRole(da1.subject, 'da');
    checkerDa = await seedDa(running, F, 'CHECKER');
    await seedUser(running.server, running.config, { participantId: F, userId: 'LATE', status: 'pending', secondFactor: 'none' }, running.clock);
    maker = await signInToDms(running, da1);
  });

  it('refuses the approval, audits the refusal, settles the request and tells the maker why', async () => {
    const proposed = await maker.api('PUT', '/dms/api/users/LATE/email', { email: LATE });
    expect(proposed.status).toBe(202);
    const id = proposed.body.changeRequest.id as string;
    await running.mailSettled();
    running.clock.advance(2 * DAY_SECONDS);
    checker = await signInToDms(running, checkerDa);
    await running.mailSettled();
    const before = running.mail.messages.length;

    const approved = await checker.api('POST', `/dms/api/change-requests/${id}/approve`);
    expect(approved.status).toBe(403);
    expect(approved.body).toMatchObject({ reason: 'activation_deadline_passed' });
    expect(approved.body.message).toContain(announcedHongKongTime(deadline, 'en'));

    // Nothing applied, no link.
    const late = await running.server.queries.users.findByLogin(F, 'LATE');
    expect(late?.email).toBeNull();
    expect(await database.db('activation_tokens').where({ user_id: late?.id })).toHaveLength(0);

    // Settled: not pending any more, and not to be approved again — not applied because of the deadline, not "stale".
    expect((await checker.api('GET', `/dms/api/change-requests/${id}`)).body).toMatchObject({ status: 'deadline_passed', deadline: deadline.toISOString(), decidedBy: 'CHECKER' });
    const listed = (await checker.api('GET', '/dms/api/change-requests')).body.changeRequests.find((request: { id: string }) => request.id === id);
    expect(listed).toMatchObject({ status: 'deadline_passed', deadline: deadline.toISOString() });
    expect(await database.db('change_requests').where({ id }).select('outcome', 'outcome_deadline')).toEqual([{ outcome: 'deadline_passed', outcome_deadline: deadline }]);
    expect((await checker.api('POST', `/dms/api/change-requests/${id}/approve`)).body.reason).toBe('request_decided');

    // Audited: the refused link, and the request's end with the deadline as its reason.
    const refusals = await database.db('audit_events').where({ type: 'activation.send', outcome: 'failure', participant_id: F, user_id: 'LATE' }).select('actor', 'details');
    expect(refusals).toEqual([{ actor: `da:${F}/CHECKER`, details: { reason: 'deadline_passed', deadline: deadline.toISOString() } }]);
    const settled = await database.db('audit_events').whereRaw(`details->>'request' = ?`, [id]).orderBy('id').select('type', 'outcome', 'details');
    expect(settled.map((row: { type: string }) => row.type)).toEqual(['change_request.create', 'change_request.stale']);
    expect(settled[1]).toMatchObject({ outcome: 'failure', details: { because: 'deadline_passed', deadline: deadline.toISOString() } });

    // The maker is told, once, and why: the deadline, not "the user changed".
    await running.mailSettled();
    const mails = running.mail.messages.slice(before);
    expect(mails.map((mail) => mail.to)).toEqual([MAKER]);
    const mail = mails[0] as ReceivedMail;
    expect(mail.subject).toContain('was not applied: the activation deadline had passed');
    expect(mail.text).toContain(`HKSCC’s deadline for activating CCASS logins was ${announcedHongKongTime(deadline, 'en')}`);
    expect(mail.text).toContain(announcedHongKongTime(deadline, 'zh-Hant'));
    expect(mail.text).not.toContain('had changed since it was proposed');
    expect(mail.text).not.toContain('@');
    expect(running.mail.countTo(LATE)).toBe(0);
  });

  it('shows the request as not applied because of the deadline, naming it in Hong Kong time, on its page and in the list (English and Chinese)', async () => {
    const [request] = await database.db('change_requests').where({ outcome: 'deadline_passed', action: 'email' }).select('id');
    const id = String(request.id);
    const allow = ['CCASS', 'HKSCC', 'DMS', 'LATE', 'MAKER', 'CHECKER', F, LATE, 'User CHECKER'];
    for (const path of [`/dms/approvals/${id}`, '/dms/approvals']) {
      const english = await checker.browser.follow(`${running.issuer}${path}`);
      expect(english.status).toBe(200);
      expect(english.body).toContain(`Not applied: HKSCC’s deadline for activating CCASS logins was ${announcedHongKongTime(deadline, 'en').replace(/&/g, '&amp;')}`);
      expect(english.body).not.toContain('the user changed');
      const chinese = await checker.browser.request(`${running.issuer}${path}`, { headers: { 'accept-language': 'zh-HK' } });
      expect(chinese.body).toContain(`沒有執行：香港結算規定的中央結算系統登入啟用限期（${announcedHongKongTime(deadline, 'zh-Hant')}）已過`);
      expect(chinese.body).not.toContain('用戶已有變更');
      expect(latinSentences(chinese.body, allow)).toEqual([]);
    }
  });

  it('does not apply an upload one of whose previewed rows the deadline now refuses: nothing applied, settled, audited, the maker told', async () => {
    await seedUser(running.server, running.config, { participantId: F, userId: 'CSV1', status: 'pending', secondFactor: 'none' }, running.clock);
    const excepted = await seedUser(running.server, running.config, { participantId: F, userId: 'CSV2', status: 'pending', secondFactor: 'none' }, running.clock);
    await running.server.queries.userExceptions.insert({ userId: excepted.subject, kind: 'activation_deadline', until: daysFrom(now, 30), reason: 'on leave', grantedBy: 'operator:test', at: running.clock.now() });
    // Proposed while the deadline was still ahead (the clock moved back a little before it): both rows previewed as "to register".
    running.clock.advance(-2 * DAY_SECONDS);
    const csvMaker = await signInToDms(running, makerDa);
    const upload = await csvMaker.api('POST', '/dms/api/uploads', 'user_id,email\nCSV1,csv1@g00001.example.com\nCSV2,csv2@g00001.example.com\n');
    expect(upload.status).toBe(202);
    const id = (upload.body.changeRequest?.id ?? upload.body.id) as string;
    expect((upload.body.changeRequest ?? upload.body).effect.summary).toMatchObject({ registered: 2, rejected: 0 });
    await running.mailSettled();
    running.clock.advance(2 * DAY_SECONDS);
    const csvChecker = await signInToDms(running, checkerDa);
    await running.mailSettled();
    const before = running.mail.messages.length;

    const approved = await csvChecker.api('POST', `/dms/api/change-requests/${id}/approve`);
    expect(approved.status).toBe(403);
    expect(approved.body).toMatchObject({ reason: 'activation_deadline_passed' });
    expect(approved.body.message).toContain('CSV1');
    // Exactly the preview or nothing: the excepted row is not applied alone either.
    expect((await running.server.queries.users.findByLogin(F, 'CSV1'))?.email).toBeNull();
    expect((await running.server.queries.users.findByLogin(F, 'CSV2'))?.email).toBeNull();
    expect((await csvChecker.api('GET', `/dms/api/change-requests/${id}`)).body).toMatchObject({ status: 'deadline_passed', deadline: deadline.toISOString() });
    expect(await database.db('audit_events').where({ type: 'activation.send', outcome: 'failure', participant_id: F, user_id: 'CSV1' })).toHaveLength(1);
    const stale = await database.db('audit_events').where({ type: 'change_request.stale' }).whereRaw(`details->>'request' = ?`, [id]).select('details');
    expect(stale).toEqual([{ details: expect.objectContaining({ because: 'deadline_passed', deadline: deadline.toISOString() }) }]);
    await running.mailSettled();
    const mails = running.mail.messages.slice(before);
    expect(mails.map((mail) => mail.to)).toEqual([MAKER]);
    expect(mails[0]?.text).toContain(`HKSCC’s deadline for activating CCASS logins was ${announcedHongKongTime(deadline, 'en')}`);
  });

  it('shows the refusal’s reason in words in the firm’s audit trail (English and Chinese)', async () => {
    const english = await checker.api('GET', '/dms/api/audit?type=change_request.stale');
    expect(english.status).toBe(200);
    const page = await checker.browser.follow(`${running.issuer}/dms/audit?type=change_request.stale`);
    expect(page.body).toContain('The deadline had passed');
    const chinese = await checker.browser.request(`${running.issuer}/dms/audit?type=change_request.stale`, { headers: { 'accept-language': 'zh-HK' } });
    expect(chinese.body).toContain('限期已過');
    expect(chinese.body).not.toContain('because=');
  });
});

/**
 * A reset past the second-factor deadline leaves a user with no second factor, whom the login
 * then lets set up none (src/reminders/deadline-doors.ts) unless they have an exception: the
 * page that asks the DA to confirm the reset says so, instead of promising a new set-up; the
 * API's answer carries the same warning (`second_factor_deadline_passed`, the deadline, the words
 * in the request's language), and a pending reset's words promise no new method either.
 */
describe('resetting a second factor past the second-factor deadline', () => {
  let database: TestDatabase;
  let running: RunningTestServer;
  const now = new Date();
  const deadline = daysFrom(now, 1);
  const F = 'H00001';
  let dms: DmsSession;
  let da: Awaited<ReturnType<typeof seedDa>>;

  useTestServer((started) => ({ database, running } = started), {
    phases: { schedule: [{ phase: 'email-registration', from: hongKongText(daysFrom(now, -30)) }, { phase: 'parallel-run', from: hongKongText(daysFrom(now, -10)) }] },
    deadlines: { secondFactor: hongKongText(deadline) },
    makerChecker: { actions: ['second_factor_reset'] },
  });

  beforeAll(async () => {
    da = await seedDa(running, F, 'ADMIN');
    await database.db('participants').where({ id: F }).update({ sole_da_exempt: true });
    await seedUser(running.server, running.config, { participantId: F, userId: 'PHONE', email: 'phone@h00001.example.com' }, running.clock);
    const excepted = await seedUser(running.server, running.config, { participantId: F, userId: 'EXCEPTED', email: 'excepted@h00001.example.com' }, running.clock);
    await running.server.queries.userExceptions.insert({ userId: excepted.subject, kind: 'second_factor_deadline', until: daysFrom(now, 30), reason: 'new phone on order', grantedBy: 'operator:test', at: running.clock.now() });
  });

  const confirmPage = (userId: string, headers: Record<string, string> = {}) => dms.browser.request(`${running.issuer}/dms/users/${userId}/second-factor/reset`, { headers });

  it('before the deadline, says the user sets up a new second factor at the next login', async () => {
    dms = await signInToDms(running, da);
    const page = await confirmPage('PHONE');
    expect(page.status).toBe(200);
    expect(page.body).toContain('then sets up a new second factor');
    expect(page.body).not.toContain('cannot set up a new second factor');
  });

  it('past it, warns that the user cannot set up a new one without an exception, naming the deadline (English and Chinese)', async () => {
    running.clock.advance(2 * DAY_SECONDS);
    dms = await signInToDms(running, da);
    const page = await confirmPage('PHONE');
    expect(page.status).toBe(200);
    expect(page.body).not.toContain('then sets up a new second factor');
    expect(page.body).toContain('cannot set up a new second factor');
    expect(page.body).toContain(announcedHongKongTime(deadline, 'en').replace(/&/g, '&amp;'));
    expect(page.body).toContain('exception for the second-factor deadline');
    const chinese = await confirmPage('PHONE', { 'accept-language': 'zh-HK' });
    expect(chinese.body).toContain(announcedHongKongTime(deadline, 'zh-Hant'));
    expect(chinese.body).toContain('例外安排');
    expect(latinSentences(chinese.body, ['CCASS', 'HKSCC', 'DMS', 'PHONE', 'ADMIN', F, 'User PHONE', 'phone@h00001.example.com'])).toEqual([]);
  });

  it('warns the checker of a reset request too, on the request’s page, while it is pending', async () => {
    const second = await seedDa(running, F, 'ADMIN2');
    {
      const proposed = await dms.api('POST', '/dms/api/users/PHONE/second-factor/reset');
      expect(proposed.status).toBe(202);
      const checker = await signInToDms(running, second);
      const page = await checker.browser.follow(`${running.issuer}/dms/approvals/${proposed.body.changeRequest.id}`);
      expect(page.status).toBe(200);
      expect(page.body).toContain('cannot set up a new second factor');
      expect(page.body).toContain(announcedHongKongTime(deadline, 'en').replace(/&/g, '&amp;'));
      // What it does promises no new method either: the checker reads the deadline there too.
      expect(page.body).not.toContain('a new method.');
      expect(page.body).toContain('they cannot set up a new method after the reset');
      const chinese = await checker.browser.request(`${running.issuer}/dms/approvals/${proposed.body.changeRequest.id}`, { headers: { 'accept-language': 'zh-HK' } });
      expect(chinese.body).toContain(announcedHongKongTime(deadline, 'zh-Hant'));
      expect(chinese.body).toContain('否則重設後將不能設定新的方式');
      expect(latinSentences(chinese.body, ['CCASS', 'HKSCC', 'DMS', 'PHONE', 'ADMIN', 'ADMIN2', F, 'User ADMIN2'])).toEqual([]);
      const list = await checker.browser.request(`${running.issuer}/dms/approvals`);
      expect(list.body).toContain('they cannot set up a new method after the reset');

      // The API: the maker's 202 and the checker's read carry the warning as a code, the deadline and the words.
      const warning = { code: 'second_factor_deadline_passed', deadline: deadline.toISOString() };
      expect(proposed.body.changeRequest).toMatchObject({ warning });
      expect(proposed.body.changeRequest.warning.message).toContain(`HKSCC’s deadline for setting up one-time codes was ${announcedHongKongTime(deadline, 'en')}`);
      expect(proposed.body.changeRequest.description).not.toContain('a new method.');
      const read = await checker.api('GET', `/dms/api/change-requests/${proposed.body.changeRequest.id}`, undefined, { 'accept-language': 'zh-HK' });
      expect(read.body).toMatchObject({ status: 'pending', secondFactorDeadline: deadline.toISOString(), warning });
      expect(read.body.warning.message).toContain(announcedHongKongTime(deadline, 'zh-Hant'));
      expect(latinSentences(`${read.body.warning.message} ${read.body.description}`, ['CCASS', 'HKSCC', 'PHONE'])).toEqual([]);
      // The checker's mail of the request says the same.
      await running.mailSettled();
      const [mail] = running.mail.messages.filter((message) => message.to === `admin2@${F.toLowerCase()}.example.com` && message.subject.includes(`change request ${proposed.body.changeRequest.id} of ${F}`));
      expect(mail?.text).toContain('they cannot set up a new method after the reset');
    }
  });

  it('tells the user so in the reset’s notice, instead of promising a new set-up', async () => {
    await seedUser(running.server, running.config, { participantId: F, userId: 'NOTICED', email: 'noticed@h00001.example.com' }, running.clock);
    // A firm of one active DA (ADMIN2 disabled): the reset is direct.
    const admin2 = await running.server.queries.users.findByLogin(F, 'ADMIN2');
    await running.server.queries.users.setStatus(admin2!.id, 'disabled');
    await running.mailSettled();
    const before = running.mail.messages.length;
    const reset = await dms.api('POST', '/dms/api/users/NOTICED/second-factor/reset');
    expect(reset.status).toBe(200);
    // The API's answer warns of it as the confirming page does: a code, the deadline, the words in the request's language.
    expect(reset.body).toMatchObject({ userId: 'NOTICED', warning: { code: 'second_factor_deadline_passed', deadline: deadline.toISOString() } });
    expect(reset.body.warning.message).toContain(`HKSCC’s deadline for setting up one-time codes was ${announcedHongKongTime(deadline, 'en')}`);
    expect(reset.body.warning.message).toContain('unless NOTICED has an exception for the second-factor deadline');
    await running.mailSettled();
    const [notice] = running.mail.messages.slice(before).filter((mail) => mail.to.includes('noticed@h00001.example.com'));
    expect(notice?.text).toContain(`HKSCC’s deadline for setting up one-time codes was ${announcedHongKongTime(deadline, 'en')}`);
    expect(notice?.text).toContain('Ask your Delegated Administrator');
    expect(notice?.text).toContain(announcedHongKongTime(deadline, 'zh-Hant'));
  });

  it('warns in the request’s language through the API (Chinese)', async () => {
    await seedUser(running.server, running.config, { participantId: F, userId: 'CHINESE', email: 'chinese@h00001.example.com' }, running.clock);
    const reset = await dms.api('POST', '/dms/api/users/CHINESE/second-factor/reset', undefined, { 'accept-language': 'zh-HK' });
    expect(reset.status).toBe(200);
    expect(reset.body.warning).toMatchObject({ code: 'second_factor_deadline_passed', deadline: deadline.toISOString() });
    expect(reset.body.warning.message).toContain(announcedHongKongTime(deadline, 'zh-Hant'));
    expect(latinSentences(reset.body.warning.message, ['CCASS', 'HKSCC', 'CHINESE'])).toEqual([]);
  });

  it('after a reset through the page, says the user needs an exception rather than "will set up a new one" (English and Chinese)', async () => {
    await seedUser(running.server, running.config, { participantId: F, userId: 'PAGED', email: 'paged@h00001.example.com' }, running.clock);
    const done = await dms.browser.follow(`${running.issuer}/dms/users/PAGED/second-factor/reset`, { form: { csrf: dms.csrf } });
    expect(done.status).toBe(200);
    expect(done.body).not.toContain('the user will set up a new one at their next login');
    expect(done.body).toContain('the user can set up a new one only with an exception for that deadline');
    const chinese = await dms.browser.request(done.url, { headers: { 'accept-language': 'zh-HK' } });
    expect(chinese.body).toContain('用戶須獲得該限期的例外安排');
    expect(latinSentences(chinese.body, ['CCASS', 'HKSCC', 'DMS', 'PAGED', 'ADMIN', F, 'User PAGED', 'paged@h00001.example.com'])).toEqual([]);
  });

  it('says nothing of it for a user whose live exception lets them set up a new one', async () => {
    const page = await confirmPage('EXCEPTED');
    expect(page.status).toBe(200);
    expect(page.body).toContain('then sets up a new second factor');
    expect(page.body).not.toContain('cannot set up a new second factor');
    const reset = await dms.api('POST', '/dms/api/users/EXCEPTED/second-factor/reset');
    expect(reset.status).toBe(200);
    expect(reset.body).not.toHaveProperty('warning');
    const other = await seedUser(running.server, running.config, { participantId: F, userId: 'EXCEPTED2', email: 'excepted2@h00001.example.com' }, running.clock);
    await running.server.queries.userExceptions.insert({ userId: other.subject, kind: 'second_factor_deadline', until: daysFrom(now, 30), reason: 'new phone on order', grantedBy: 'operator:test', at: running.clock.now() });
    const paged = await dms.browser.follow(`${running.issuer}/dms/users/EXCEPTED2/second-factor/reset`, { form: { csrf: dms.csrf } });
    expect(paged.body).toContain('the user will set up a new one at their next login');
  });
});
