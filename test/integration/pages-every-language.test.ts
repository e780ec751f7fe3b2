/**
 * Every page a browser can reach outside the login steps — oidc-provider's self-submitting
 * form, its logout pages and its errors, an unknown address, a body too large, a rate limit —
 * is this server's page, in the reader's language: with Accept-Language zh-HK not one English
 * sentence (CCASS, HKSCC, DMS, IDs and URLs are names, not sentences), the relying party
 * named in Chinese, and the CCASS Hotline's number on every error page.
 */
import request from 'supertest';
import { Browser, formAction, inputValue, type Page } from '../support/browser.js';
import { latinSentences } from '../support/latin-sentences.js';
import { followToCallback, passwordStep, startAuthorization, submitCode, type AuthorizationStart } from '../support/flows.js';
import { seedUser, TERMINAL, THIRD_PARTY, useTestServer, type RunningTestServer, type SeededUser } from '../support/server.js';
import { rfc6238 } from '../support/totp.js';

const HOTLINE = '(852) 2979 7111';
const TERMINAL_IN_CHINESE = '中央結算系統終端機';

/** Names and codes that are the same in every language. */
const ALLOWED = ['CCASS', 'HKSCC', 'DMS', TERMINAL.clientId, THIRD_PARTY.clientId];

function expectChinesePage(page: Page): void {
  expect(page.headers.get('content-type')).toMatch(/^text\/html/);
  expect(page.body).toContain('<html lang="zh-Hant-HK">');
  expect({ url: page.url, english: latinSentences(page.body, ALLOWED) }).toEqual({ url: page.url, english: [] });
}

function expectErrorPage(page: Page, title: string, message: string): void {
  expectChinesePage(page);
  expect(page.body).toContain(`<h1>${title}</h1>`);
  expect(page.body).toContain(message);
  expect(page.body).toMatch(/如就此致電中央結算系統熱線 \(852\) 2979 7111，請提供參考編號 [\w-]+。/);
}

describe('every page in the reader’s language', () => {
  let running: RunningTestServer;
  let user: SeededUser;
  const chinese = () => new Browser({}, { 'accept-language': 'zh-HK,zh;q=0.9,en;q=0.5' });

  useTestServer((started) => ({ running } = started), () => ({
    support: { hotline: HOTLINE },
    // One failed password from an address is the limit: the rate-limited page comes last.
    rateLimits: { loginFailures: { points: 1, durationSeconds: 900 } },
    oidc: {
      clients: [
        {
          client_id: TERMINAL.clientId,
          client_name: 'CCASS Terminal',
          'client_name#zh-Hant': TERMINAL_IN_CHINESE,
          client_secret: TERMINAL.clientSecret,
          redirect_uris: [TERMINAL.redirectUri],
          post_logout_redirect_uris: [TERMINAL.postLogoutRedirectUri],
          first_party: true,
        },
        { client_id: THIRD_PARTY.clientId, client_secret: THIRD_PARTY.clientSecret, redirect_uris: [THIRD_PARTY.redirectUri] },
      ],
    },
  }));
  beforeAll(async () => {
    user = await seedUser(running.server, running.config, { participantId: 'B01234', userId: 'PAGES', email: 'pages@example.com' }, running.clock);
  });

  /** Password and authenticator code in `start`; returns the answer to the code (a redirect onwards). */
  async function logIn(start: AuthorizationStart): Promise<Page> {
    const codePage = await passwordStep(start, { participantId: user.participantId, userId: user.userId, password: user.password });
    const afterCode = await submitCode(start, codePage, rfc6238(user.totpSecret as Buffer, running.clock.now().getTime() / 1000));
    running.clock.advance(30); // a code is accepted once: the next login uses the next time step
    expect(afterCode.status).toBe(303);
    return afterCode;
  }

  const follow = (browser: Browser, from: Page) => browser.follow(new URL(from.headers.get('location') as string, from.url).toString());

  describe('the self-submitting form (response_mode=form_post)', () => {
    let page: Page;
    let start: AuthorizationStart;

    beforeAll(async () => {
      start = await startAuthorization(running.issuer, { response_mode: 'form_post' }, chinese());
      page = await follow(start.browser, await logIn(start));
    });

    it('is our page, naming the relying party in Chinese, with a visible Continue button', () => {
      expect(page.status).toBe(200);
      expectChinesePage(page);
      expect(page.body).toContain(`<h1>正在帶您返回${TERMINAL_IN_CHINESE}</h1>`);
      expect(page.body).toContain(`<title>正在返回${TERMINAL_IN_CHINESE} · 中央結算系統身分認證</title>`);
      expect(page.body).toMatch(/<button type="submit" autofocus>繼續<\/button>/);
      expect(page.body).not.toContain('Submitting Callback');
    });

    it('posts the code and state to the callback', () => {
      expect(formAction(page.body, 'form-post')).toBe(TERMINAL.redirectUri);
      expect(inputValue(page.body, 'state')).toBe(start.state);
      expect(inputValue(page.body, 'code')).toMatch(/^[\w-]{20,}$/);
      expect(inputValue(page.body, 'iss')).toBe(running.issuer);
    });

    it('submits itself with a script of this server, under a CSP that allows no inline script', async () => {
      expect(page.body).toContain('<script src="/assets/form-post.js"></script>');
      expect(page.body).not.toMatch(/<script>/);
      const csp = page.headers.get('content-security-policy') ?? '';
      expect(/script-src ([^;]*)/.exec(csp)?.[1]).toBe("'self'");
      const script = await request(running.http).get('/assets/form-post.js').expect(200);
      expect(script.headers['content-type']).toMatch(/^application\/javascript/);
      expect(script.text).toContain("document.getElementById('form-post')");
      expect(script.text).toContain('form.submit()');
    });

    it('is in English for an English reader', async () => {
      const english = await startAuthorization(running.issuer, { response_mode: 'form_post' });
      const callback = await follow(english.browser, await logIn(english));
      expect(callback.body).toContain('<h1>Returning you to CCASS Terminal</h1>');
      expect(callback.body).toContain('<button type="submit" autofocus>Continue</button>');
    });
  });

  it('says it ends the previous login when another account logs in in the same browser', async () => {
    const other = await seedUser(running.server, running.config, { participantId: 'B01234', userId: 'OTHER' }, running.clock);
    const first = await startAuthorization(running.issuer, {}, chinese());
    await followToCallback(first, await logIn(first));
    const second = await startAuthorization(running.issuer, { prompt: 'login' }, first.browser);
    const codePage = await passwordStep(second, { participantId: other.participantId, userId: other.userId, password: other.password });
    const afterCode = await submitCode(second, codePage, rfc6238(other.totpSecret as Buffer, running.clock.now().getTime() / 1000));
    running.clock.advance(30);
    const page = await follow(second.browser, afterCode);
    expectChinesePage(page);
    expect(page.body).toContain('<h1>正在結束此瀏覽器先前的登入</h1>');
    expect(formAction(page.body, 'form-post')).toBe(`${running.issuer}/session/end/confirm`);
  });

  it('names the relying party in Chinese on the login page, and in English for an English reader', async () => {
    const zh = await startAuthorization(running.issuer, {}, chinese());
    expect(zh.loginPage.body).toContain(`<h1>登入${TERMINAL_IN_CHINESE}</h1>`);
    expect((await startAuthorization(running.issuer)).loginPage.body).toContain('<h1>Log in to CCASS Terminal</h1>');
  });

  describe('the consent page of a third-party client', () => {
    it('says what the client receives, one line per scope, in words', async () => {
      const start = await startAuthorization(running.issuer, { client_id: THIRD_PARTY.clientId, redirect_uri: THIRD_PARTY.redirectUri, scope: 'openid profile email' }, chinese());
      const consent = await follow(start.browser, await logIn(start));
      expect(consent.status).toBe(200);
      expectChinesePage(consent);
      expect(consent.body).toContain('<li>您的姓名</li>');
      expect(consent.body).toContain('<li>您的指定電郵地址</li>');
      expect(consent.body).not.toMatch(/<li>\s*(profile|email)\s*<\/li>/);
    });
  });

  describe('logout', () => {
    it('asks to confirm in Chinese, naming the relying party, then says it is done', async () => {
      const start = await startAuthorization(running.issuer, {}, chinese());
      await followToCallback(start, await logIn(start));
      const confirm = await start.browser.follow(`${running.issuer}/session/end?client_id=${TERMINAL.clientId}`);
      expect(confirm.status).toBe(200);
      expectChinesePage(confirm);
      expect(confirm.body).toContain('<h1>登出中央結算系統身分認證？</h1>');
      expect(confirm.body).toContain(`${TERMINAL_IN_CHINESE}要求將您登出。`);
      const xsrf = inputValue(confirm.body, 'xsrf');
      const done = await start.browser.follow(new URL(formAction(confirm.body, 'op.logoutForm'), running.issuer).toString(), { form: { xsrf, logout: 'yes' } });
      expect(done.status).toBe(200);
      expectChinesePage(done);
      expect(done.body).toContain('<h1>您已登出</h1>');

      // The same confirmation again: its secret is spent.
      const stale = await start.browser.request(new URL(formAction(confirm.body, 'op.logoutForm'), running.issuer).toString(), { form: { xsrf, logout: 'yes' } });
      expect(stale.status).toBe(400);
      expectErrorPage(stale, '要求不獲接納', '此登出頁面已逾時或已使用。');
    });

    it('names the relying party when only its part of the login ends', async () => {
      const start = await startAuthorization(running.issuer, {}, chinese());
      await followToCallback(start, await logIn(start));
      const confirm = await start.browser.follow(`${running.issuer}/session/end?client_id=${TERMINAL.clientId}`);
      // "No, stay logged in": the relying party's part ends, the login stays.
      const done = await start.browser.follow(new URL(formAction(confirm.body, 'op.logoutForm'), running.issuer).toString(), { form: { xsrf: inputValue(confirm.body, 'xsrf') } });
      expectChinesePage(done);
      expect(done.body).toContain(`<p>您已登出${TERMINAL_IN_CHINESE}。</p>`);
    });

    it('logs out a browser without a session through our self-submitting page', async () => {
      const browser = chinese();
      const page = await browser.follow(`${running.issuer}/session/end`);
      expect(page.status).toBe(200);
      expectChinesePage(page);
      expect(page.body).toContain('<h1>正在為您登出</h1>');
      expect(formAction(page.body, 'form-post')).toBe(`${running.issuer}/session/end/confirm`);
      expect(inputValue(page.body, 'logout')).toBe('yes');
      const done = await browser.follow(formAction(page.body, 'form-post'), { form: { xsrf: inputValue(page.body, 'xsrf'), logout: 'yes' } });
      expectChinesePage(done);
      expect(done.body).toContain('<h1>您已登出</h1>');
    });

    it('refuses a logout that would return to an address not registered, in Chinese', async () => {
      const page = await chinese().request(`${running.issuer}/session/end?client_id=${TERMINAL.clientId}&post_logout_redirect_uri=${encodeURIComponent('https://evil.example/')}`);
      expect(page.status).toBe(400);
      expectErrorPage(page, '登出未能繼續', '未能接受應用程式的登出要求');
      expect(/<main[\s\S]*<\/main>/.exec(page.body)?.[0]).not.toContain('post_logout_redirect_uri');
    });
  });

  describe('errors of authorization requests', () => {
    const authorize = (params: Record<string, string>) =>
      chinese().request(`${running.issuer}/auth?${new URLSearchParams({ response_type: 'code', scope: 'openid', code_challenge: 'x'.repeat(43), code_challenge_method: 'S256', ...params })}`);

    it('explains an unknown client by its error code, not with the library’s English', async () => {
      const page = await authorize({ client_id: 'no-such-client', redirect_uri: TERMINAL.redirectUri });
      expect(page.status).toBe(400);
      expectErrorPage(page, '登入未能繼續', '把您帶到此頁的應用程式並未在中央結算系統身分認證登記。');
      expect(page.body).not.toContain('client is invalid');
    });

    it('explains a callback address the client did not register', async () => {
      const page = await authorize({ client_id: TERMINAL.clientId, redirect_uri: 'https://evil.example/callback' });
      expect(page.status).toBe(400);
      expectErrorPage(page, '登入未能繼續', '要求返回一個並未為其登記的網址');
      expect(page.body).not.toContain('redirect_uri did not match');
    });

    it('explains a response type this service does not offer, or hands the error to the relying party on our page', async () => {
      const page = await authorize({ client_id: 'no-such-client', response_type: 'token', redirect_uri: TERMINAL.redirectUri });
      expect(page.status).toBe(400);
      expectErrorPage(page, '登入未能繼續', '把您帶到此頁的應用程式');
      // A known client with its registered callback hears of the error itself (RFC 6749 §4.1.2.1): here by a form post.
      const handed = await authorize({ client_id: TERMINAL.clientId, response_type: 'id_token', redirect_uri: TERMINAL.redirectUri, response_mode: 'form_post', state: 'st' });
      expect(handed.status).toBe(400);
      expectChinesePage(handed);
      expect(handed.body).toContain(`<h1>正在帶您返回${TERMINAL_IN_CHINESE}</h1>`);
      expect(formAction(handed.body, 'form-post')).toBe(TERMINAL.redirectUri);
      expect(inputValue(handed.body, 'error')).toBe('unsupported_response_type');
      expect(inputValue(handed.body, 'state')).toBe('st');
    });

    it('keeps the JSON errors of the endpoints for relying parties’ back ends as they were', async () => {
      const token = await request(running.http).post('/token').type('form').send({ grant_type: 'authorization_code', code: 'x', client_id: 'no-such-client' });
      expect(token.status).toBe(401);
      expect(token.body).toEqual({ error: 'invalid_client', error_description: 'client authentication failed' });
    });
  });

  describe('pages of any request', () => {
    it('answers an unknown address with a 404 page in Chinese', async () => {
      const page = await chinese().request(`${running.issuer}/no-such-page`);
      expect(page.status).toBe(404);
      expectErrorPage(page, '找不到頁面', '您要求的頁面不存在。');
      const api = await request(running.http).get('/no-such-page').set('accept', 'application/json');
      expect(api.status).toBe(404);
      expect(api.body).toMatchObject({ error: 'invalid_request' });
    });

    it('answers a body too large with a 413 page in Chinese', async () => {
      const page = await chinese().request(`${running.issuer}/interaction/some-login/login`, { form: { csrf: 'x', password: 'x'.repeat(64 * 1024) } });
      expect(page.status).toBe(413);
      expectErrorPage(page, '資料過多', '您提交的資料超出本服務接受的大小。');
      expect(page.body).not.toContain('request entity too large');
    });

    it('answers a form sent as JSON with a 415 page in Chinese', async () => {
      const page = await chinese().request(`${running.issuer}/interaction/some-login/login`, { method: 'POST', headers: { 'content-type': 'application/json' } });
      expect(page.status).toBe(415);
      expectErrorPage(page, '要求不獲接納', '此頁面只接受本服務的表格。');
    });

    it('answers too many failed logins from one network with a 429 page in Chinese', async () => {
      const start = await startAuthorization(running.issuer, {}, chinese());
      const wrong = { participantId: user.participantId, userId: user.userId, password: 'not the password at all' };
      await passwordStep(start, wrong);
      const limited = await passwordStep(start, wrong);
      expect(limited.status).toBe(429);
      expectErrorPage(limited, '請稍候', '來自您網絡的嘗試次數過多。');
    });
  });
});
