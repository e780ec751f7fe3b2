/**
 * What a DA does to their own firm's users in DMS, and how the DMS session behaves:
 * register/change email, resend activation (throttled), reset a second factor (the user
 * re-enrols at the next login), lock/unlock, refusals on bad input, session expiry and logout.
 */
import { Browser } from '../../support/browser.js';
import { activationLinkIn, nextTotp, seedDa, signInToDms, type DmsSession } from '../../support/dms.js';
import { passwordStep, startAuthorization, submitCode } from '../../support/flows.js';
import { seedUser, type RunningTestServer, type SeededUser, useTestServer } from '../../support/server.js';
import { codeIn } from '../../support/smtp-sink.js';

describe('DMS administration', () => {
  let running: RunningTestServer;
  let da: SeededUser;
  let dms: DmsSession;

  useTestServer((started) => ({ running } = started));
  beforeAll(async () => {
    da = await seedDa(running, 'E00001', 'ADMIN');
    dms = await signInToDms(running, da);
  });

  let seq = 0;
  async function newUser(options: { pending?: boolean; email?: string } = {}): Promise<SeededUser> {
    seq += 1;
    return seedUser(
      running.server,
      running.config,
      { participantId: 'E00001', userId: `USER${seq}`, email: options.email, ...(options.pending ? { status: 'pending', secondFactor: 'none' } : {}) },
      running.clock,
    );
  }

  it('registers an email, refuses an invalid one with a clear 400, and says when nothing changed', async () => {
    const user = await newUser({ pending: true });
    const bad = await dms.api('PUT', `/dms/api/users/${user.userId}/email`, { email: 'not an email' });
    expect(bad.status).toBe(400);
    expect(bad.body).toEqual({ error: 'invalid_request', reason: 'invalid_email', message: 'That is not an email address: write it like name@example.com.', fields: { email: 'invalid_email' } });
    // A person reads the message in the request's language; scripts read the codes.
    const badInChinese = await dms.api('PUT', `/dms/api/users/${user.userId}/email`, { email: 'not an email' }, { 'accept-language': 'zh-HK' });
    expect(badInChinese.body).toMatchObject({ reason: 'invalid_email', message: '這不是電郵地址：請按 name@example.com 的格式填寫。' });
    expect((await dms.api('PUT', `/dms/api/users/${user.userId}/email`, { wrong: 'shape' })).status).toBe(400);
    expect((await dms.api('PUT', `/dms/api/users/${user.userId}/email`, 'not json', { 'content-type': 'text/plain' })).status).toBe(415);
    expect((await running.server.queries.users.findByLogin('E00001', user.userId))?.email).toBeNull();

    const ok = await dms.api('PUT', `/dms/api/users/${user.userId}/email`, { email: 'someone@example.com' });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ outcome: 'registered', activation: { queued: true }, user: { state: 'activation-sent', email: 'someone@example.com' } });
    const again = await dms.api('PUT', `/dms/api/users/${user.userId}/email`, { email: 'SOMEONE@example.com' });
    expect(again.body).toMatchObject({ outcome: 'unchanged', activation: 'not_needed' });
    await running.mailSettled();
    expect(running.mail.countTo('someone@example.com')).toBe(1);

    const page = await dms.browser.request(`${running.issuer}/dms/users/${user.userId}/email`, { form: { csrf: dms.csrf, email: 'nope' } });
    expect(page.status).toBe(400);
    expect(page.body).toContain('That is not an email address');
    // The page answering the post switches language on the user's page it belongs to.
    expect(page.body).toContain(`href="/dms/users/${user.userId}?lang=zh-Hant"`);
  });

  it('resends activation at most once a minute, and the older link stops working', async () => {
    const user = await newUser({ pending: true });
    await dms.api('PUT', `/dms/api/users/${user.userId}/email`, { email: `${user.userId.toLowerCase()}@example.com` });
    const first = activationLinkIn(await running.mail.mailTo(`${user.userId.toLowerCase()}@example.com`));
    const tooSoon = await dms.api('POST', `/dms/api/users/${user.userId}/activation`);
    expect(tooSoon.status).toBe(429);
    expect(Number(tooSoon.headers.get('retry-after'))).toBeGreaterThan(0);
    running.clock.advance(61);
    const resent = await dms.api('POST', `/dms/api/users/${user.userId}/activation`);
    expect(resent.status).toBe(200);
    const second = activationLinkIn(await running.mail.mailTo(`${user.userId.toLowerCase()}@example.com`, 2));
    expect(second).not.toBe(first);
    expect((await new Browser().follow(first)).status).toBe(410);
    expect((await new Browser().follow(second)).status).toBe(200);
  });

  it('does not resend activation to a user who has already activated', async () => {
    const user = await newUser({ email: 'active@example.com' });
    const response = await dms.api('POST', `/dms/api/users/${user.userId}/activation`);
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ reason: 'already_activated', message: `${user.userId} has already activated their login: an activation email is not needed.` });
  });

  it('tells both addresses when an activated user’s email changes, keeping their password', async () => {
    const user = await newUser({ email: 'old-address@example.com' });
    const response = await dms.api('PUT', `/dms/api/users/${user.userId}/email`, { email: 'new-address@example.com' });
    expect(response.body).toMatchObject({ outcome: 'changed', activation: 'not_needed', user: { state: 'ready', hasPassword: true } });
    expect((await running.mail.mailTo('old-address@example.com')).text).toContain('was changed to new-address@example.com');
    expect((await running.mail.mailTo('new-address@example.com')).text).toContain('Your password and login method are unchanged');
  });

  it('shows and resets a user whose only second factor is a security key (with recovery codes)', async () => {
    const user = await seedUser(running.server, running.config, { participantId: 'E00001', userId: `KEYONLY${(seq += 1)}`, email: 'keyonly@example.com', secondFactor: 'none' }, running.clock);
    await running.server.queries.webauthnCredentials.insert({
      user_id: user.subject,
      credential_id: `dms-key-${seq}`,
      public_key: Buffer.from('a stored key'),
      sign_count: 0,
      transports: [],
      device_type: 'singleDevice',
      backed_up: false,
      aaguid: null,
      name: 'Bridge key',
      registered_with: 'smartcard',
    });
    await running.server.queries.recoveryCodes.replaceSet(user.subject, ['k:one', 'k:two'], running.clock.now());
    const shown = await dms.api('GET', `/dms/api/users/${user.userId}`);
    expect(shown.body).toMatchObject({ state: 'ready', secondFactor: null, securityKeys: 1 });
    const page = await dms.browser.request(`${running.issuer}/dms/users/${user.userId}`);
    expect(page.body).toContain('Security key or passkey');

    const reset = await dms.api('POST', `/dms/api/users/${user.userId}/second-factor/reset`);
    expect(reset.status).toBe(200);
    expect(reset.body).toMatchObject({ state: 'password-set', secondFactor: null, securityKeys: 0 });
    expect(await running.server.queries.webauthnCredentials.countForUser(user.subject)).toBe(0);
    expect(await running.server.queries.recoveryCodes.countUnused(user.subject)).toBe(0);
    expect((await dms.api('POST', `/dms/api/users/${user.userId}/second-factor/reset`)).status).toBe(400);
  });

  it('resets a second factor: the next login asks for an emailed code and a new method', async () => {
    const user = await newUser({ email: 'lostphone@example.com' });
    const reset = await dms.api('POST', `/dms/api/users/${user.userId}/second-factor/reset`);
    expect(reset.status).toBe(200);
    expect(reset.body).toMatchObject({ state: 'password-set', secondFactor: null });
    expect(await running.server.queries.totpCredentials.find(user.subject)).toBeUndefined();
    expect((await dms.api('POST', `/dms/api/users/${user.userId}/second-factor/reset`)).status).toBe(400);

    const start = await startAuthorization(running.issuer);
    const codePage = await passwordStep(start, { participantId: user.participantId, userId: user.userId, password: user.password });
    expect(codePage.body).toContain('Enter the 6-digit code emailed');
    // The user was told of the reset, and got the login code (two mails of the queue, whichever is delivered first).
    await running.mail.mailTo('lostphone@example.com', 2);
    const mails = [await running.mail.mailTo('lostphone@example.com', 1), await running.mail.mailTo('lostphone@example.com', 2)];
    expect(mails.map((mail) => mail.subject).sort()).toEqual(['Your CCASS login code / 您的中央結算系統登入一次性密碼', 'Your CCASS one-time codes were reset / 您的中央結算系統一次性密碼設定已重設']);
    const codeMail = mails.find((mail) => mail.subject.startsWith('Your CCASS login code')) as (typeof mails)[number];
    const afterCode = await submitCode(start, codePage, codeIn(codeMail));
    const choose = await start.browser.follow(new URL(afterCode.headers.get('location') as string, afterCode.url).toString());
    expect(choose.body).toContain('How do you want to receive one-time codes?');
    const trail = await dms.api('GET', `/dms/api/audit?userId=${user.userId}&type=second_factor.reset`);
    expect(trail.body.events).toEqual([expect.objectContaining({ actor: 'da:E00001/ADMIN', outcome: 'success', details: { previous: 'totp', securityKeys: 0 } })]);
  });

  it('locks a user until unlocked: the login answers with the generic error', async () => {
    const user = await newUser({ email: 'locked@example.com' });
    const locked = await dms.api('POST', `/dms/api/users/${user.userId}/lock`);
    expect(locked.body).toMatchObject({ state: 'locked', lockedUntil: '9999-12-31T00:00:00.000Z' });
    running.clock.advance(24 * 3600);
    const start = await startAuthorization(running.issuer);
    const refused = await passwordStep(start, { participantId: user.participantId, userId: user.userId, password: user.password });
    expect(refused.status).toBe(401);
    dms = await signInToDms(running, da); // a day passed: the DMS session ended meanwhile
    const unlocked = await dms.api('POST', `/dms/api/users/${user.userId}/unlock`);
    expect(unlocked.body).toMatchObject({ state: 'ready', lockedUntil: null });
    const again = await startAuthorization(running.issuer);
    expect((await passwordStep(again, { participantId: user.participantId, userId: user.userId, password: user.password })).body).toContain('Open your authenticator app');
  });

  it('does not let a DA lock or reset themselves', async () => {
    expect((await dms.api('POST', '/dms/api/users/ADMIN/lock')).status).toBe(403);
    expect((await dms.api('POST', '/dms/api/users/ADMIN/second-factor/reset')).status).toBe(403);
    const page = await dms.browser.request(`${running.issuer}/dms/users/ADMIN`);
    expect(page.body).not.toContain('/second-factor/reset');
  });

  it('filters and searches the user list, with counts by state', async () => {
    const list = await dms.api('GET', '/dms/api/users?state=activation-sent');
    expect(list.status).toBe(200);
    expect(list.body.users.every((user: { state: string }) => user.state === 'activation-sent')).toBe(true);
    expect(list.body.counts['ready']).toBeGreaterThan(0);
    expect((await dms.api('GET', '/dms/api/users?state=nonsense')).status).toBe(400);
    const search = await dms.api('GET', `/dms/api/users?search=${encodeURIComponent('%')}`);
    expect(search.body.total).toBe(0); // "%" is a character to find, not a wildcard
    const page = await dms.browser.request(`${running.issuer}/dms?state=ready`);
    expect(page.status).toBe(200);
    expect(page.body).toContain('<option value="ready" selected>');
  });

  it('ends the DMS session after 30 idle minutes, and at logout', async () => {
    const session = await signInToDms(running, da);
    expect((await session.api('GET', '/dms/api/session')).status).toBe(200);
    running.clock.advance(31 * 60);
    expect((await session.api('GET', '/dms/api/session')).status).toBe(401);

    const fresh = await signInToDms(running, da);
    const logout = await fresh.browser.request(`${running.issuer}/dms/logout`, { form: { csrf: fresh.csrf } });
    expect(logout.status).toBe(303);
    expect(logout.headers.get('location')).toContain('/session/end?client_id=ccass-dms');
    expect((await fresh.api('GET', '/dms/api/session')).status).toBe(401);
    dms = await signInToDms(running, da);
  });

  it('drops the session of a DA who is no longer a DA', async () => {
    const other = await seedDa(running, 'E00001', 'ADMIN2');
    const session = await signInToDms(running, other);
    await running.server.queries.users.setRole(other.subject, 'user');
    expect((await session.api('GET', '/dms/api/users')).status).toBe(401);
  });

  it.each([
    ['GET', '/dms/api/users/%E0%A4%A', undefined, 400],
    ['GET', `/dms/api/users/${'X'.repeat(300)}`, undefined, 400],
    ['GET', '/dms/api/users?page=-1&pageSize=abc', undefined, 200],
    ['GET', '/dms/api/audit?type=DROP%20TABLE', undefined, 400],
    ['GET', '/dms/api/audit?userId=a%25b', undefined, 400],
    ['PUT', '/dms/api/users/USER1/email', { email: 'x'.repeat(20000) }, 413],
    ['PUT', '/dms/api/users/USER1/email', { email: ['a@example.com'] }, 400],
    ['POST', '/dms/api/uploads', { not: 'csv' }, 415],
  ])('answers bad input %s %s with a clear %i-class status', async (method, path, body, status) => {
    const response = await dms.api(method, path, body);
    expect(response.status).toBe(status);
    if (status >= 400) expect(response.body).toMatchObject({ error: expect.any(String), message: expect.any(String) });
  });

  it('sends a signed-out browser to the login and back to the page it asked for', async () => {
    const browser = new Browser();
    const loginPage = await browser.follow(`${running.issuer}/dms/audit?type=login`);
    const start = { browser, loginPage, interactionUrl: loginPage.url, codeVerifier: '', state: '', nonce: '' };
    const codePage = await passwordStep(start, { participantId: da.participantId, userId: da.userId, password: da.password });
    const afterCode = await submitCode(start, codePage, nextTotp(running, da));
    const landed = await browser.follow(new URL(afterCode.headers.get('location') as string, afterCode.url).toString());
    expect(new URL(landed.url).pathname + new URL(landed.url).search).toBe('/dms/audit?type=login');
    expect(landed.body).toContain('Audit trail of E00001');
    expect(landed.body).toContain('<option value="login" selected>Login</option>');
  });

  it('says what a registration did: a user whose login is set up gets no activation email, and the page says so', async () => {
    const user = await newUser();
    const posted = await dms.browser.request(`${running.issuer}/dms/users/${user.userId}/email`, { form: { csrf: dms.csrf, email: `${user.userId.toLowerCase()}-first@example.com` } });
    expect(posted.status).toBe(303);
    expect(posted.headers.get('location')).toBe(`/dms/users/${user.userId}?done=registered-active`);
    const page = await dms.browser.request(`${running.issuer}${posted.headers.get('location')}`);
    expect(page.body).toContain('The user has already set up their login, so no activation email was sent');
    expect(page.body).not.toContain('An activation email is on its way');
    const chinese = await dms.browser.request(`${running.issuer}${posted.headers.get('location')}`, { headers: { 'accept-language': 'zh-HK' } });
    expect(chinese.body).toContain('用戶已設定其登入，因此沒有發送啟用電郵');
    // The one mail is the notice: no activation link went out.
    await running.mailSettled();
    expect(running.mail.countTo(`${user.userId.toLowerCase()}-first@example.com`)).toBe(1);
    expect((await running.mail.mailTo(`${user.userId.toLowerCase()}-first@example.com`)).text).not.toContain('/activate?token=');
  });

  it('says when an activation email was sent moments ago, in the reader\'s language, and when to try again', async () => {
    const user = await newUser({ pending: true, email: 'soon@example.com' });
    const zh = { 'accept-language': 'zh-HK' };
    expect((await dms.browser.request(`${running.issuer}/dms/users/${user.userId}/activation`, { form: { csrf: dms.csrf } })).status).toBe(303);
    const tooSoon = await dms.browser.request(`${running.issuer}/dms/users/${user.userId}/activation`, { form: { csrf: dms.csrf }, headers: zh });
    expect(tooSoon.status).toBe(429);
    expect(Number(tooSoon.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(tooSoon.body).toMatch(/啟用電郵剛剛已發送。請等候 \d+ 秒後再發送。/);
    const api = await dms.api('POST', `/dms/api/users/${user.userId}/activation`, undefined, zh);
    expect(api.body).toMatchObject({ error: 'too_many_requests', reason: 'resend_too_soon', message: expect.stringMatching(/^啟用電郵剛剛已發送/) });
  });

  it('asks to confirm a reset and a lock, says what will happen, and acts only on the confirmed form', async () => {
    const user = await newUser({ email: 'confirm@example.com' });
    const userPage = await dms.browser.request(`${running.issuer}/dms/users/${user.userId}`);
    // One click on the user's page changes nothing: it leads to the question.
    expect(userPage.body).not.toMatch(/<form method="post" action="[^"]*\/(second-factor\/reset|lock)"/);
    expect(userPage.body).toContain(`<form method="get" action="/dms/users/${user.userId}/second-factor/reset">`);
    expect(userPage.body).toContain(`<form method="get" action="/dms/users/${user.userId}/lock">`);

    const confirmReset = await dms.browser.request(`${running.issuer}/dms/users/${user.userId}/second-factor/reset`);
    expect(confirmReset.status).toBe(200);
    expect(confirmReset.body).toContain(`Reset the second factor of ${user.userId}?`);
    expect(confirmReset.body).toContain('every session of this login ends');
    expect(confirmReset.body).toContain('A notice goes to confirm@example.com.');
    expect(confirmReset.body).toMatch(new RegExp(`<form method="post" action="/dms/users/${user.userId}/second-factor/reset">\\s*<input type="hidden" name="csrf" value="[^"]+">`));
    expect((await running.server.queries.users.findByLogin('E00001', user.userId))?.second_factor).toBe('totp');
    const reset = await dms.browser.request(`${running.issuer}/dms/users/${user.userId}/second-factor/reset`, { form: { csrf: dms.csrf } });
    expect(reset.headers.get('location')).toBe(`/dms/users/${user.userId}?done=second-factor-reset`);
    expect((await running.server.queries.users.findByLogin('E00001', user.userId))?.second_factor).toBeNull();
    // Asked again, the question is refused as the action would be.
    const again = await dms.browser.request(`${running.issuer}/dms/users/${user.userId}/second-factor/reset`);
    expect(again.status).toBe(400);
    expect(again.body).toContain(`${user.userId} has no second factor to reset.`);

    const confirmLock = await dms.browser.request(`${running.issuer}/dms/users/${user.userId}/lock`, { headers: { 'accept-language': 'zh-HK' } });
    expect(confirmLock.status).toBe(200);
    expect(confirmLock.body).toContain(`鎖定 ${user.userId} 的登入？`);
    expect((await running.server.queries.users.findByLogin('E00001', user.userId))?.locked_until).toBeNull();
    const locked = await dms.browser.request(`${running.issuer}/dms/users/${user.userId}/lock`, { form: { csrf: dms.csrf } });
    expect(locked.headers.get('location')).toBe(`/dms/users/${user.userId}?done=locked`);
    expect((await running.server.queries.users.findByLogin('E00001', user.userId))?.locked_until).not.toBeNull();

    const own = await dms.browser.request(`${running.issuer}/dms/users/ADMIN/lock`);
    expect(own.status).toBe(403);
    expect(own.body).toContain('You cannot lock your own login.');
    expect(own.body).not.toContain('action="/dms/users/ADMIN/lock"');
  });

  it('has the language switch on every DMS page, leading to the same page in the other language', async () => {
    const session = await signInToDms(running, da); // its own browser: the switch is remembered in a cookie
    const switchOf = (html: string) => (/<a href="([^"]+)"[^>]*id="language-switch"/.exec(html)?.[1] ?? '').replace(/&amp;/g, '&');
    const user = await newUser({ email: 'switch@example.com' });
    const paths = ['/dms', '/dms?state=ready&q=USER', `/dms/users/${user.userId}?done=registered`, `/dms/users/${user.userId}/lock`, '/dms/upload', '/dms/readiness', '/dms/audit?type=login', '/dms/logged-out'];
    for (const path of paths) {
      const english = await session.browser.request(`${running.issuer}${path}`);
      expect({ path, status: english.status }).toEqual({ path, status: 200 });
      const href = switchOf(english.body);
      expect({ path, href }).toEqual({ path, href: `${path}${path.includes('?') ? '&' : '?'}lang=zh-Hant` });
      const chinese = await session.browser.request(`${running.issuer}${href}`);
      expect({ path, lang: /<html lang="([^"]+)"/.exec(chinese.body)?.[1] }).toEqual({ path, lang: 'zh-Hant-HK' });
      expect({ path, back: switchOf(chinese.body) }).toEqual({ path, back: `${path}${path.includes('?') ? '&' : '?'}lang=en` });
      await session.browser.request(`${running.issuer}${switchOf(chinese.body)}`);
    }
  });

  it('names the readiness CSV by the day in Hong Kong, not in UTC', async () => {
    // 20:30 UTC is 04:30 the next morning in Hong Kong.
    const now = running.clock.now();
    const target = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate(), 20, 30));
    if (target.getTime() <= now.getTime()) target.setUTCDate(target.getUTCDate() + 1);
    running.clock.advance((target.getTime() - now.getTime()) / 1000);
    const session = await signInToDms(running, da);
    const csv = await session.browser.request(`${running.issuer}/dms/readiness.csv`);
    const hongKongDay = new Date(running.clock.now().getTime() + 8 * 3600_000).toISOString().slice(0, 10);
    expect(hongKongDay).not.toBe(running.clock.now().toISOString().slice(0, 10));
    expect(csv.headers.get('content-disposition')).toContain(`filename="readiness-E00001-${hongKongDay}.csv"`);
  });
});
