/**
 * Pages in English or Traditional Chinese: from the browser's Accept-Language, from the
 * relying party's ui_locales, or from the user's own choice (the switch on the page, which is
 * remembered and wins). Messages produced while logging in follow the page's language.
 */
import { Browser, inputValue } from '../support/browser.js';
import { startAuthorization, submitLogin } from '../support/flows.js';
import { seedUser, type RunningTestServer, type SeededUser, useTestServer } from '../support/server.js';

describe('languages', () => {
  let running: RunningTestServer;
  let user: SeededUser;
  const chinese = () => new Browser({}, { 'accept-language': 'zh-HK,zh;q=0.9,en;q=0.5' });

  useTestServer((started) => ({ running } = started));
  beforeAll(async () => {
    user = await seedUser(running.server, running.config, { participantId: 'B01234', userId: 'LANG', email: 'lang@example.com' }, running.clock);
  });

  it("shows the login page in the browser's language, with a switch to the other", async () => {
    const zh = await startAuthorization(running.issuer, {}, chinese());
    expect(zh.loginPage.body).toContain('<html lang="zh-Hant-HK">');
    expect(zh.loginPage.body).toContain('<h1>登入中央結算系統終端機</h1>');
    expect(zh.loginPage.body).toContain('<label for="participantId">參與者編號</label>');
    expect(zh.loginPage.body).toMatch(/<a href="\/interaction\/[\w-]+\?lang=en" lang="en" id="language-switch">English<\/a>/);

    const english = await startAuthorization(running.issuer);
    expect(english.loginPage.body).toContain('<html lang="en">');
    expect(english.loginPage.body).toContain('<h1>Log in to CCASS Terminal</h1>');
    expect(english.loginPage.body).toContain('id="language-switch">中文</a>');
  });

  it('follows the relying party\'s ui_locales unless the user chose a language', async () => {
    const start = await startAuthorization(running.issuer, { ui_locales: 'zh-Hant en' });
    expect(start.loginPage.body).toContain('<h1>登入中央結算系統終端機</h1>');
    // The user switches to English: remembered in a cookie, and it wins from then on.
    const switched = await start.browser.request(`${start.interactionUrl}?lang=en`);
    expect(switched.body).toContain('<h1>Log in to CCASS Terminal</h1>');
    const cookie = switched.headers.getSetCookie().find((header) => header.startsWith('ccass_lang='));
    expect(cookie).toMatch(/^ccass_lang=en; path=\/; expires=.*; samesite=lax; httponly$/i);
    const again = await startAuthorization(running.issuer, { ui_locales: 'zh-Hant' }, start.browser);
    expect(again.loginPage.body).toContain('<h1>Log in to CCASS Terminal</h1>');
  });

  it('says what went wrong in the page\'s language', async () => {
    const start = await startAuthorization(running.issuer, {}, chinese());
    const refused = await submitLogin(start, { participantId: user.participantId, userId: user.userId, password: 'not the password at all' });
    expect(refused.status).toBe(401);
    expect(refused.body).toContain('參與者編號、用戶編號或密碼不正確。');
    expect(inputValue(refused.body, 'userId')).toBe(user.userId);

    const expired = await chinese().request(`${running.issuer}/interaction/not-a-real-one`);
    expect(expired.status).toBe(400);
    expect(expired.body).toContain('<h1>您的登入已逾時</h1>');
  });

  it('refuses an unknown language choice quietly: the page stays as negotiated', async () => {
    const start = await startAuthorization(running.issuer, {}, chinese());
    const page = await start.browser.request(`${start.interactionUrl}?lang=xx-evil`);
    expect(page.status).toBe(200);
    expect(page.body).toContain('<h1>登入中央結算系統終端機</h1>');
    expect(page.headers.getSetCookie().some((header) => header.startsWith('ccass_lang='))).toBe(false);
  });
});
