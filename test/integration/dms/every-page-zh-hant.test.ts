/**
 * Every DMS page and state, in Traditional Chinese, with no English sentence left on it:
 * the users list (every state), a user's page (every notice and error), the confirmations,
 * the upload form, a report with every row result and row problem, every whole-file refusal,
 * readiness, the audit trail with every event this server records for a firm, the logged-out
 * page and the sign-in refusals — through HTTP as a DA's browser sees them, and what HTTP cannot
 * reach (a refusal that needs a broken provider) through the same renderer. A page fails on
 * any run of two Latin words outside the names and IDs below (test/support/latin-sentences.ts).
 */
import { addPilotParticipant, clearPhasePin, pinPhase } from '../../../src/policy/phase-control.js';
import { addDelegatedAdministrator } from '../../../src/directory/delegated-administrators.js';
import { operatorActor } from '../../../src/kernel/actor.js';
import { activationDeadlineRefusal, DMS_REFUSAL_CODES, requestRefusal } from '../../../src/dms/refusals.js';
import { createRenderer } from '../../../src/web/render.js';
import { Browser, type Page } from '../../support/browser.js';
import { seedDa, signInToDms, type DmsSession } from '../../support/dms.js';
import { passwordStep, startAuthorization } from '../../support/flows.js';
import { latinSentences } from '../../support/latin-sentences.js';
import { seedUser, type RunningTestServer, type SeededUser, useTestServer } from '../../support/server.js';
import type { TestDatabase } from '../../support/database.js';

const FIRM = 'Z00001';
const CHINESE = { 'accept-language': 'zh-HK,zh;q=0.9' };
/** Proper names and tokens, and the fixture's IDs: what a Chinese page may show as it is. */
const ALLOW = ['CCASS', 'DMS', 'HKSCC', 'CSV', 'TOTP', 'UTF-8', 'NUL', 'KB', 'English', FIRM, 'D00002', 'ADMIN', 'ADMIN2', 'NOBODY9'];

describe('every DMS page in Traditional Chinese', () => {
  let database: TestDatabase;
  let running: RunningTestServer;
  let dms: DmsSession;
  let da: SeededUser;
  const users: Record<string, SeededUser> = {};
  /** Every page looked at, with where it came from, for the check at the end of each test. */
  let seen: Array<{ what: string; page: Page | { status: number; body: string } }> = [];

  useTestServer((started) => ({ database, running } = started), {
    phases: { refreshSeconds: 0 },
    dms: { csv: { maxBytes: 4096, maxRows: 20 } },
    // Far ahead: named on the readiness page, enforcing nothing here.
    deadlines: { emailRegistration: '2099-03-01T18:00', secondFactor: '2099-06-01T18:00' },
  });

  const url = (path: string) => `${running.issuer}${path}`;
  async function get(path: string, status = 200): Promise<Page> {
    const page = await dms.browser.request(url(path));
    expect({ path, status: page.status }).toEqual({ path, status });
    seen.push({ what: `GET ${path}`, page });
    return page;
  }
  async function post(path: string, form: Record<string, string>, status: number): Promise<Page> {
    const page = await dms.browser.request(url(path), { form });
    expect({ path, status: page.status }).toEqual({ path, status });
    seen.push({ what: `POST ${path}`, page });
    return page;
  }
  /** The browser form of the upload page, with any body and content type. */
  async function upload(body: NonNullable<RequestInit['body']>, status: number, headers: Record<string, string> = {}): Promise<string> {
    const target = url('/dms/upload');
    const response = await fetch(target, { method: 'POST', body, headers: { cookie: await dms.browser.jar.getCookieString(target), ...CHINESE, ...headers } });
    const html = await response.text();
    expect({ status: response.status, html: response.status === status ? '' : html }).toEqual({ status, html: '' });
    seen.push({ what: `upload (${status})`, page: { status, body: html } });
    return html;
  }
  function csvForm(csv: string | Buffer, extra: (form: FormData) => void = () => undefined): FormData {
    const form = new FormData();
    form.append('csrf', dms.csrf);
    form.append('file', new Blob([csv], { type: 'text/csv' }), 'emails.csv');
    extra(form);
    return form;
  }

  afterEach(() => {
    const english = seen.map(({ what, page }) => ({ what, sentences: latinSentences(page.body, ALLOW) })).filter((found) => found.sentences.length > 0);
    const notChinese = seen.filter(({ page }) => !page.body.includes('<html lang="zh-Hant-HK">')).map(({ what }) => what);
    seen = [];
    expect(english).toEqual([]);
    expect(notChinese).toEqual([]);
  });

  beforeAll(async () => {
    da = await seedDa(running, FIRM, 'ADMIN');
    const seed = async (userId: string, options: { email?: string; status?: 'active' | 'disabled' | 'pending'; secondFactor?: 'totp' | 'email' | 'none' }) => {
      users[userId] = await seedUser(running.server, running.config, { participantId: FIRM, userId, ...options }, running.clock);
    };
    await seed('S1', { email: 's1@example.com', status: 'disabled' }); // disabled
    await seed('S2', { email: 's2@example.com' }); // locked, below
    await seed('S3', {}); // no email, login set up
    await seed('S4', { email: 's4@example.com', status: 'pending', secondFactor: 'none' }); // no live link: "expired or never sent"
    await seed('S5', { status: 'pending', secondFactor: 'none' }); // activation sent, below
    await seed('S6', { email: 's6@example.com', secondFactor: 'none' }); // password set, no second factor
    await seed('S7', { email: 's7@example.com' }); // ready
    await seed('S8', { status: 'pending', secondFactor: 'none' }); // for the upload: registered
    await seed('S9', { email: 's9@example.com', status: 'pending', secondFactor: 'none' }); // for the upload: changed
    await seedUser(running.server, running.config, { participantId: 'D00002', userId: 'S1' }, running.clock);
    // Names as a firm writes them: Chinese (an English name would be two Latin words of data).
    await database.db('users').where({ participant_id: FIRM }).update({ display_name: database.db.raw("'陳' || user_id") });
    dms = await signInToDms(running, da, new Browser({}, CHINESE));
    expect(dms.home.status).toBe(200);
    expect((await dms.api('PUT', '/dms/api/users/S5/email', { email: 's5@example.com' })).status).toBe(200);
    expect((await dms.api('POST', '/dms/api/users/S2/lock')).status).toBe(200);
  });

  it('shows the users list, filtered by every state and by a search that finds nobody', async () => {
    const all = await get('/dms');
    for (const state of ['已停用', '已鎖定', '未登記電郵', '啟用連結已過期', '已發送啟用電郵', '已設定密碼，未設第二重認證', '準備就緒']) expect(all.body).toContain(state);
    for (const state of ['disabled', 'locked', 'no-email', 'activation-expired', 'activation-sent', 'password-set', 'ready']) {
      const page = await get(`/dms?state=${state}`);
      expect(page.body).toContain(`state-${state}`);
    }
    expect((await get('/dms?q=NOBODY9')).body).toContain('0 名符合的用戶');
  });

  it("shows every user's page, with every notice", async () => {
    for (const userId of ['S1', 'S2', 'S3', 'S4', 'S5', 'S6', 'S7', 'ADMIN']) await get(`/dms/users/${userId}`);
    for (const done of ['registered', 'registered-active', 'changed', 'changed-activation', 'unchanged', 'activation-sent', 'second-factor-reset', 'locked', 'unlocked']) {
      const page = await get(`/dms/users/S7?done=${done}`);
      expect(page.body).toContain('class="notice"');
    }
  });

  it("shows every error of a user's page, and the confirmations", async () => {
    const csrf = dms.csrf;
    await post('/dms/users/S7/email', { csrf, email: 'not an address' }, 400);
    await post('/dms/users/S3/activation', { csrf }, 400); // no email yet
    await post('/dms/users/S7/activation', { csrf }, 400); // already activated
    expect((await post('/dms/users/S5/activation', { csrf }, 429)).body).toMatch(/請等候 \d+ 秒/);
    await get('/dms/users/S6/second-factor/reset', 400); // no second factor
    await get('/dms/users/ADMIN/second-factor/reset', 403);
    await get('/dms/users/ADMIN/lock', 403);
    await post('/dms/users/S7/lock', { csrf: 'forged' }, 403);
    await get('/dms/users/NOBODY9', 404);
    await get('/dms/users/bad!id', 400);
    await get('/dms?state=nonsense', 400);
    await get('/dms/audit?type=DROP', 400);
    expect((await get('/dms/users/S7/second-factor/reset')).body).toContain('重設 S7 的第二重認證？');
    expect((await get('/dms/users/S7/lock')).body).toContain('鎖定 S7 的登入？');
    // Before registration opens: the same page says so.
    const phases = { queries: running.server.queries, clock: running.clock, plan: running.config.phases };
    await pinPhase(phases, { phase: 'smartcard-only' }, operatorActor('ops1'));
    try {
      expect((await post('/dms/users/S8/email', { csrf, email: 's8@example.com' }, 403)).body).toContain('雙重認證登記尚未開始');
      expect(await upload(csvForm('user_id,email\nS8,s8@example.com\n'), 403)).toContain('雙重認證登記尚未開始');
    } finally {
      await clearPhasePin(phases, operatorActor('ops1'));
    }
  });

  it('shows the upload form, a report with every result and row problem, and every file refused whole', async () => {
    await get('/dms/upload');
    const csv = [
      'participant_id,user_id,email',
      `${FIRM},S8,s8@example.com`, // registered
      `${FIRM},S9,s9-new@example.com`, // changed
      `${FIRM},S7,s7@example.com`, // unchanged
      `${FIRM},S4,s4@example.com`, // resent
      `${FIRM},S3,s3\u0000@example.com`, // a NUL
      `${FIRM},bad!id,x@example.com`, // user ID
      '!!,P1,p1@example.com', // participant ID
      `${FIRM},P2,broken`, // email
      `${FIRM},P3,=1@example.com`, // a formula
      'D00002,S1,s1@example.com', // another firm
      `${FIRM},NOBODY9,n@example.com`, // no such user
      `${FIRM},P4,a@example.com`, // listed twice...
      `${FIRM},P4,b@example.com`, // ...here again
      '',
    ].join('\n');
    const report = await upload(csvForm(csv), 200);
    for (const result of ['已登記', '已更改', '沒有更改', '已再次發送啟用電郵', '不獲接納']) expect(report).toContain(`<td>${result}</td>`);
    for (const problem of ['此行未有任何內容獲套用', '用戶編號「bad!id」無效', '參與者編號「!!」無效', '並非電郵地址', '與試算表公式相同', '並非貴公司', `${FIRM} 並無用戶 NOBODY9`, '出現於第 13, 14 行']) {
      expect(report).toContain(problem);
    }
    const refused: Array<[string, NonNullable<RequestInit['body']>, number, string, Record<string, string>?]> = [
      ['too large', csvForm(`user_id,email\nS8,${'x'.repeat(5000)}@example.com\n`), 413, '檔案大於 4 KB'],
      ['not UTF-8', csvForm(Buffer.from([...Buffer.from('user_id,email\nS8,'), 0xb3, 0xaf, ...Buffer.from('@example.com\n')])), 415, '檔案並非 UTF-8 文字'],
      ['an unclosed quote', csvForm('user_id,email\nS8,"s8@example.com\n'), 422, '有以引號開始的儲存格沒有結束引號'],
      ['a quote out of place', csvForm('user_id,email\nS8,s8"x"@example.com\n'), 422, '引號位置不正確'],
      ['a row too long', csvForm('user_id,email\nS8,s8@example.com,extra\n'), 422, '儲存格數目與標題列不同'],
      ['no rows', csvForm('user_id,email\n'), 422, '檔案沒有資料列'],
      ['a wrong header', csvForm('user_x,mail_y,mail_y\nS8,a@example.com,b\n'), 422, '標題列須列明欄位'],
      ['too many rows', csvForm(`user_id,email\n${Array.from({ length: 21 }, (_, index) => `R${index},r${index}@example.com`).join('\n')}\n`), 413, '每次上載最多 20 列'],
      ['no file', (() => { const form = new FormData(); form.append('csrf', dms.csrf); return form; })(), 400, '請選擇要上載的 CSV 檔案'],
      ['two files', csvForm('user_id,email\n', (form) => form.append('file', new Blob(['x']), 'second.csv')), 400, '請每次上載一個檔案'],
      ['a form without a boundary', 'x', 400, '上載的表格無效', { 'content-type': 'multipart/form-data' }],
      ['a form cut short', `--b\r\nContent-Disposition: form-data; name="csrf"\r\n\r\n${dms.csrf}\r\n--b\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n\r\nuser_id`, 400, '上載中斷', { 'content-type': 'multipart/form-data; boundary=b' }],
      ['not a form', 'user_id,email\n', 415, '請使用上載頁面的表格上載檔案', { 'content-type': 'text/csv' }],
    ];
    for (const [name, body, status, words, headers] of refused) {
      const html = await upload(body, status, headers);
      expect({ name, found: html.includes(words) }).toEqual({ name, found: true });
    }
  });

  it('shows readiness with the phases in words and the next switch in Hong Kong time', async () => {
    const phases = { queries: running.server.queries, clock: running.clock, plan: running.config.phases };
    await pinPhase(phases, { phase: 'email-registration', until: '2099-01-01T08:00' }, operatorActor('ops1'));
    try {
      const page = await get('/dms/readiness');
      expect(page.body).toContain('現行階段：電郵登記。');
      expect(page.body).toContain('由 2099年1月1日 上午8:00（香港時間）起：並行期（智能卡，或密碼及一次性密碼）。');
      expect(page.body).toContain('「只限密碼及一次性密碼」階段起將無法登入');
      expect(page.body).not.toContain('2fa-only');
      // The deadlines, and the one each not-ready count concerns.
      expect(page.body).toContain('<th scope="row">電郵登記：啟用指定電郵地址</th><td>2099年3月1日 18:00（香港時間）前</td><td>');
      expect(page.body).toContain('<th scope="row">第二重認證：設定一次性密碼</th><td>2099年6月1日 18:00（香港時間）前</td>');
      expect(page.body).toContain('<td>第二重認證：設定一次性密碼：2099年6月1日 18:00（香港時間）</td>');
    } finally {
      await clearPhasePin(phases, operatorActor('ops1'));
    }
  });

  it('shows the audit trail with every kind of event in words, and times in Hong Kong time', async () => {
    // More events of the firm: a wrong password, a refused DMS sign-in, an unlock, a reset, a DA, the pilot, one of a kind not known yet.
    const wrong = await startAuthorization(running.issuer);
    await passwordStep(wrong, { participantId: FIRM, userId: 'S7', password: 'not the password at all' });
    expect((await signInToDms(running, users['S7'] as SeededUser)).home.status).toBe(403);
    expect((await dms.api('POST', '/dms/api/users/S2/unlock')).status).toBe(200);
    expect((await dms.api('POST', '/dms/api/users/S7/second-factor/reset')).status).toBe(200);
    await addDelegatedAdministrator(running.server.activation, { participantId: FIRM, userId: 'ADMIN2', email: 'admin2@example.com', displayName: '王二' }, operatorActor('ops1'));
    await addPilotParticipant({ queries: running.server.queries, clock: running.clock, plan: running.config.phases }, FIRM, operatorActor('ops1'));
    await running.server.queries.audit.record({ type: 'made.up', outcome: 'success', actor: 'system:test', participantId: FIRM, details: { something: 'new' } });
    // A link refused past the email registration deadline (src/reminders/deadline-doors.ts): the reason and the deadline in words.
    await running.server.queries.audit.record({ type: 'activation.send', outcome: 'failure', actor: `da:${FIRM}/ADMIN`, participantId: FIRM, userId: 'S7', details: { reason: 'deadline_passed', deadline: '2023-03-31T16:00:00.000Z' } });

    const page = await get('/dms/audit');
    const types = (await database.db('audit_events').where({ participant_id: FIRM }).distinct('type')).map((row: { type: string }) => row.type).sort();
    expect(types).toEqual(
      expect.arrayContaining(['account.access_revoked', 'account.lock', 'account.unlock', 'activation.send', 'da.add', 'dms.csv_upload', 'dms.login', 'email.change', 'email.register', 'login', 'login.password', 'login.totp', 'participant.add', 'phase.pilot_add', 'second_factor.reset', 'user.add', 'user.disable', 'user.password.set']),
    );
    for (const words of ['登入 DMS', '上載 CSV', '登記指定電郵地址', '發送啟用電郵', '登入被鎖定', '重設第二重認證', '新增用戶', '香港結算設定密碼', '密碼錯誤', '並非授權管理員', '成功', '失敗', '授權管理員 ADMIN', '香港結算操作員 ops1', '其他事件（made.up）', '限期已過', '2023年4月1日']) {
      expect({ words, found: page.body.includes(words) }).toEqual({ words, found: true });
    }
    // Times in Hong Kong time in words, never an ISO string; details never as JSON.
    expect(page.body).toMatch(/\d{4}年\d{1,2}月\d{1,2}日 [上下]午\d{1,2}:\d{2}/);
    expect(page.body).not.toMatch(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/);
    expect(page.body).not.toContain('{&quot;');
    // Every type also filters, by its name in the list.
    for (const type of types.filter((name: string) => name !== 'made.up')) expect(page.body).toContain(`<option value="${type}">`);
    await get('/dms/audit?type=made.up');
  });

  it('shows the logged-out page and every sign-in refusal', async () => {
    const browser = new Browser({}, CHINESE);
    const visit = async (path: string, status: number) => {
      const page = await browser.request(url(path));
      expect({ path, status: page.status }).toEqual({ path, status });
      seen.push({ what: `GET ${path}`, page });
      return page;
    };
    await visit('/dms/logged-out', 200);
    // No sign-in under way in this browser.
    expect((await visit('/dms/callback?code=x&state=y', 403)).body).toContain('在另一瀏覽器開始');
    const stateOf = async () => new URL((await browser.request(url('/dms/login'))).headers.get('location') as string).searchParams.get('state') as string;
    const iss = encodeURIComponent(running.issuer);
    expect((await visit(`/dms/callback?error=access_denied&state=${await stateOf()}&iss=${iss}`, 403)).body).toContain('登入已取消或被拒絕');
    expect((await visit(`/dms/callback?code=bogus&state=${await stateOf()}&iss=${iss}`, 403)).body).toContain('未能完成您的 DMS 登入');
    const state = await stateOf();
    running.clock.advance(16 * 60);
    expect((await visit(`/dms/callback?code=bogus&state=${state}&iss=${iss}`, 403)).body).toContain('您的 DMS 登入已逾時');
    // An ordinary user after a full two-factor login.
    const user = await seedUser(running.server, running.config, { participantId: FIRM, userId: 'S10', email: 's10@example.com' }, running.clock);
    const refused = await signInToDms(running, user, new Browser({}, CHINESE));
    expect(refused.home.status).toBe(403);
    expect(refused.home.body).toContain('DMS 只供授權管理員使用');
    seen.push({ what: 'a user signing in to DMS', page: refused.home });
  });

  it('words every refusal DMS can give, on the error page and in the API', async () => {
    const render = createRenderer();
    for (const code of DMS_REFUSAL_CODES) {
      const refusal = requestRefusal(code, { user: 'S7', participant: FIRM, seconds: 30 });
      const body = render('error', { title: 'error.notAccepted', message: refusal.reason, requestId: 'r-1' }, { locale: 'zh-Hant', switchHref: '/dms?lang=en' });
      seen.push({ what: `refusal ${code}`, page: { status: refusal.status, body } });
    }
    // The refusal of a link past the email registration deadline names the deadline in words.
    const pastDeadline = activationDeadlineRefusal('S7', new Date('2023-03-31T16:00:00Z')).refusal;
    const pastDeadlineBody = render('error', { title: 'error.notAccepted', message: pastDeadline.reason, requestId: 'r-1' }, { locale: 'zh-Hant', switchHref: '/dms?lang=en' });
    expect(pastDeadlineBody).toContain('未有向 S7 發送啟用連結');
    seen.push({ what: 'refusal activation_deadline_passed, with its deadline', page: { status: pastDeadline.status, body: pastDeadlineBody } });
    const signIn = render('error', { title: 'dms.error.signInTitle', message: requestRefusal('two_factor_needed').reason, links: [{ href: '/dms', label: 'dms.error.openAgain' }] }, { locale: 'zh-Hant', switchHref: '/dms?lang=en' });
    seen.push({ what: 'the sign-in refusal two_factor_needed', page: { status: 403, body: signIn } });
    // The API's messages are for people too: in the request's language.
    const messages = [
      await dms.api('POST', '/dms/api/users/S7/lock', undefined, { ...CHINESE, 'x-csrf-token': 'forged' }),
      await dms.api('PUT', '/dms/api/users/S7/email', { wrong: 'shape' }, CHINESE),
      await dms.api('POST', '/dms/api/uploads', { not: 'csv' }, CHINESE),
      await dms.api('GET', '/dms/api/users/NOBODY9', undefined, CHINESE),
      await dms.api('POST', '/dms/api/uploads', 'user_id\n', CHINESE),
      await (async () => {
        const response = await fetch(url('/dms/api/users'), { headers: { accept: 'application/json', ...CHINESE } });
        return { status: response.status, body: (await response.json()) as { message: string } };
      })(),
    ];
    for (const { status, body } of messages) {
      expect(status).toBeGreaterThanOrEqual(400);
      expect({ message: body.message, english: latinSentences(body.message, [...ALLOW, 'X-CSRF-Token', 'GET', '/dms/api/session', 'JSON', 'email', 'Content-Type', 'text/csv', 'user_id,email']) }).toEqual({ message: body.message, english: [] });
    }
  });
});
