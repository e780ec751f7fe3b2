/**
 * Attacks on sessions and tokens: session fixation, reuse of a session cookie or refresh token
 * after logout, and access that must end when a user's credentials or standing change
 * (password change, second-factor reset or change, lock, disable, smartcard withdrawn).
 * Also the AAL2 lifetimes: 30 minutes idle, 12 hours absolute.
 */
import request from 'supertest';
import { Browser, formAction, inputValue } from '../support/browser.js';
import { type TestDatabase } from '../support/database.js';
import { exchangeCode, followToCallback, passwordStep, startAuthorization, submitCode, type AuthorizationStart } from '../support/flows.js';
import { seedUser, TERMINAL, type RunningTestServer, type SeededUser, useTestServer } from '../support/server.js';
import { rfc6238 } from '../support/totp.js';
import { seedDa, signInToDms } from '../support/dms.js';
import { setUserEnabled, setUserPassword } from '../../src/directory/users.js';
import { daActor, lockFirmUser, resetFirmUserSecondFactor } from '../../src/dms/administration.js';
import { createSecurityNotices } from '../../src/mail/security-notices.js';

interface LoggedIn {
  browser: Browser;
  tokens: { id_token: string; access_token: string; refresh_token?: string };
}

describe('sessions and tokens under attack', () => {
  let database: TestDatabase;
  let running: RunningTestServer;
  let admin: SeededUser;

  useTestServer((started) => ({ database, running } = started), { lockout: { threshold: 3, durationSeconds: 600 } });
  beforeAll(async () => {
    admin = await seedUser(running.server, running.config, { participantId: 'B40004', userId: 'ADMIN' }, running.clock);
    await running.server.queries.users.setRole(admin.subject, 'da');
  });

  const code = (user: SeededUser) => rfc6238(user.totpSecret as Buffer, running.clock.now().getTime() / 1000);

  async function logIn(user: SeededUser, browser = new Browser(), extra: Record<string, string> = {}): Promise<LoggedIn> {
    const start = await startAuthorization(running.issuer, extra, browser);
    const codePage = await passwordStep(start, { participantId: user.participantId, userId: user.userId, password: user.password });
    expect(codePage.body).toContain('Enter your one-time code');
    const afterCode = await submitCode(start, codePage, code(user));
    running.clock.advance(30); // the next login needs the next time step
    const callback = await followToCallback(start, afterCode);
    return { browser, tokens: await exchangeCode(running.http, start, callback) };
  }

  /** What a silent authorization (prompt=none) with this browser's cookies gets: a code or an error. */
  async function silently(browser: Browser): Promise<string> {
    const start: AuthorizationStart = await startAuthorization(running.issuer, { prompt: 'none' }, browser);
    const callback = new URL(start.loginPage.url);
    return callback.searchParams.get('error') ?? (callback.searchParams.get('code') ? 'code' : 'nothing');
  }

  const refresh = (refreshToken: string) =>
    request(running.http).post('/token').auth(TERMINAL.clientId, TERMINAL.clientSecret).type('form').send({ grant_type: 'refresh_token', refresh_token: refreshToken });
  const introspect = (token: string) =>
    request(running.http).post('/token/introspection').auth(TERMINAL.clientId, TERMINAL.clientSecret).type('form').send({ token });
  const userinfo = (accessToken: string) => request(running.http).get('/me').set('authorization', `Bearer ${accessToken}`);

  async function sessionCookie(browser: Browser): Promise<string | undefined> {
    const cookies = await browser.jar.getCookies(running.issuer);
    return cookies.find((cookie) => cookie.key === '_session')?.value;
  }

  /** A browser that holds only a copy of another browser's session cookies (what a thief would have). */
  async function thiefWith(victim: Browser): Promise<Browser> {
    const thief = new Browser();
    for (const cookie of await victim.jar.getCookies(running.issuer)) {
      if (cookie.key.startsWith('_session')) await thief.jar.setCookie(cookie.clone() ?? cookie, running.issuer);
    }
    return thief;
  }

  it('gives a browser a new session identifier at every login: a copied or planted earlier cookie is worth nothing afterwards (session fixation)', async () => {
    const user = await seedUser(running.server, running.config, { participantId: 'B40004', userId: 'FIXATED' }, running.clock);
    const { browser } = await logIn(user);
    const before = await sessionCookie(browser);
    const copied = await thiefWith(browser); // taken (or planted) before the next login
    await logIn(user, browser, { prompt: 'login' });
    const after = await sessionCookie(browser);
    expect(after).toBeDefined();
    expect(after).not.toBe(before);
    // At least 126 bits: 21 characters of a 64-letter alphabet, from oidc-provider's CSPRNG (nanoid).
    expect(after).toMatch(/^[A-Za-z0-9_-]{21,}$/);
    expect(await silently(copied)).toBe('login_required');
    expect(await silently(browser)).toBe('code');
  });

  it('does not let a planted session of another account be taken over by the next login', async () => {
    const mallory = await seedUser(running.server, running.config, { participantId: 'B40004', userId: 'MALLORY' }, running.clock);
    const victim = await seedUser(running.server, running.config, { participantId: 'B40004', userId: 'VICTIM' }, running.clock);
    const { browser: attacker } = await logIn(mallory);
    const victimBrowser = await thiefWith(attacker); // the attacker's session cookie, planted
    const start = await startAuthorization(running.issuer, { prompt: 'login' }, victimBrowser);
    const codePage = await passwordStep(start, { participantId: victim.participantId, userId: victim.userId, password: victim.password });
    const afterCode = await submitCode(start, codePage, code(victim));
    running.clock.advance(30);
    // oidc-provider does not switch the planted session to another account: it ends it first
    // (a self-submitting form to its end-session endpoint), then logs the victim into a new one.
    const page = await start.browser.follow(new URL(afterCode.headers.get('location') as string, afterCode.url).toString(), {}, (next) =>
      next.toString().startsWith(TERMINAL.redirectUri),
    );
    expect(formAction(page.body)).toBe(`${running.issuer}/session/end/confirm`);
    expect(await database.db('oidc_payloads').where({ model: 'Session', account_id: victim.subject })).toHaveLength(0);
    const callback = await start.browser.follow(formAction(page.body), { form: { xsrf: inputValue(page.body, 'xsrf'), logout: 'yes' } }, (next) =>
      next.toString().startsWith(TERMINAL.redirectUri),
    );
    const tokens = await exchangeCode(running.http, start, new URL(callback.url));
    expect(tokens.id_token).toBeTruthy();
    // The attacker's cookie leads nowhere: neither to the victim's session nor to their own any more.
    expect(await silently(await thiefWith(attacker))).toBe('login_required');
    expect(await sessionCookie(victimBrowser)).not.toBe(await sessionCookie(attacker));
    expect(await database.db('oidc_payloads').where({ model: 'Session', account_id: victim.subject })).toHaveLength(1);
  });

  it('ends the session at logout: the old cookie, refresh token and access token no longer work', async () => {
    const user = await seedUser(running.server, running.config, { participantId: 'B40004', userId: 'LEAVING' }, running.clock);
    const { browser, tokens } = await logIn(user);
    const stolen = await thiefWith(browser);
    expect(await silently(await thiefWith(browser))).toBe('code');

    const confirm = await browser.follow(
      `${running.issuer}/session/end?${new URLSearchParams({ id_token_hint: tokens.id_token, post_logout_redirect_uri: TERMINAL.postLogoutRedirectUri })}`,
    );
    await browser.follow(new URL(formAction(confirm.body, 'op.logoutForm'), running.issuer).toString(), { form: { xsrf: inputValue(confirm.body, 'xsrf'), logout: 'yes' } }, (next) =>
      next.toString().startsWith(TERMINAL.postLogoutRedirectUri),
    );

    expect(await silently(stolen)).toBe('login_required');
    expect(await silently(browser)).toBe('login_required');
    expect((await refresh(tokens.refresh_token as string)).body).toMatchObject({ error: 'invalid_grant' });
    expect((await userinfo(tokens.access_token)).status).toBe(401);
    expect((await introspect(tokens.access_token)).body).toMatchObject({ active: false });
  });

  it('does not let a logout be forced from another site (the confirmation needs its xsrf token)', async () => {
    const user = await seedUser(running.server, running.config, { participantId: 'B40004', userId: 'STAYING' }, running.clock);
    const { browser, tokens } = await logIn(user);
    const confirm = await browser.follow(`${running.issuer}/session/end?${new URLSearchParams({ id_token_hint: tokens.id_token })}`);
    const forged = await browser.request(new URL(formAction(confirm.body, 'op.logoutForm'), running.issuer).toString(), { form: { logout: 'yes' } });
    expect(forged.status).toBe(400);
    expect(await silently(browser)).toBe('code');
  });

  type Change = (user: SeededUser) => Promise<unknown>;
  const da = () => daActor({ id: admin.subject, participant_id: admin.participantId, user_id: admin.userId });
  const firm = () => ({ ...running.server.activation, queries: running.server.queries });
  const notices = () => createSecurityNotices({ outbox: running.server.outbox, now: () => running.clock.now() });
  const changes: Array<[string, string, Change, string]> = [
    ['an operator sets a new password', 'password_change', (user) =>
      setUserPassword({ queries: running.server.queries, hasher: running.server.hasher, rules: running.config.password, notices: notices() }, user, 'a brand new passphrase 42', { name: 'operator:test' }),
      'Your CCASS password was changed'],
    ['the DA resets the second factor', 'second_factor_reset', (user) => resetFirmUserSecondFactor(firm(), da(), user.userId), 'Your CCASS one-time codes were reset'],
    ['the DA locks the login', 'lock', (user) => lockFirmUser(firm(), da(), user.userId), 'Your CCASS login was locked'],
    ['an operator disables the user', 'disable', (user) => setUserEnabled(running.server.queries, user, false, { name: 'operator:test' }, notices()), 'Your CCASS login was disabled'],
  ];

  it.each(changes)('ends every session, grant and token of the user when %s, and tells the user', async (_what, cause, change, subject) => {
    const userId = `U${cause.replace(/_/g, '').slice(0, 12).toUpperCase()}`;
    const email = `${userId.toLowerCase()}@example.com`;
    const user = await seedUser(running.server, running.config, { participantId: 'B40004', userId, email }, running.clock);
    const first = await logIn(user);
    const second = await logIn(user); // another device
    expect(await database.db('oidc_payloads').where({ account_id: user.subject })).not.toHaveLength(0);

    await change(user);

    for (const { browser, tokens } of [first, second]) {
      expect(await silently(browser)).toBe('login_required');
      expect((await refresh(tokens.refresh_token as string)).body).toMatchObject({ error: 'invalid_grant' });
      expect((await introspect(tokens.access_token)).body).toMatchObject({ active: false });
      expect((await userinfo(tokens.access_token)).status).toBe(401);
    }
    expect(await database.db('oidc_payloads').where({ account_id: user.subject })).toHaveLength(0);
    const revoked = await database.db('audit_events').where({ type: 'account.access_revoked', user_id: user.userId });
    expect(revoked).toHaveLength(1);
    expect(revoked[0].details).toMatchObject({ cause, oidc: { Session: 2, Grant: 2 } });
    const notice = await running.mail.mailTo(email);
    expect(notice.subject.split(' / ')[0]).toBe(subject);
    expect(notice.subject.split(' / ')[1]).toMatch(/[\u4e00-\u9fff]/);
    expect(notice.text).toContain(`user ${userId} of participant B40004`);
    expect(notice.text).toContain('Every session that was open with your login has been ended');
    expect(notice.text).not.toMatch(/https?:\/\//);
  });

  it('ends the DMS session of a Delegated Administrator whom another DA locks', async () => {
    const second = await seedDa(running, 'B40004', 'DEPUTY');
    const deputy = await signInToDms(running, second);
    expect((await deputy.api('GET', '/dms/api/users')).status).toBe(200);
    const boss = await signInToDms(running, admin);
    expect((await boss.api('POST', '/dms/api/users/DEPUTY/lock')).status).toBe(200);
    expect((await deputy.api('GET', '/dms/api/users')).status).toBe(401);
    const revoked = await database.db('audit_events').where({ type: 'account.access_revoked', user_id: 'DEPUTY' }).first();
    expect(revoked.details).toMatchObject({ cause: 'lock', dmsSessions: 1 });
  });

  it('ends the sessions of a user whose account locks after repeated failures', async () => {
    const user = await seedUser(running.server, running.config, { participantId: 'B40004', userId: 'TARGETED', email: 'targeted@example.com' }, running.clock);
    const { browser, tokens } = await logIn(user);
    // Someone else who knows the password guesses codes until the account locks.
    const start = await startAuthorization(running.issuer);
    let page = await passwordStep(start, { participantId: user.participantId, userId: user.userId, password: user.password });
    for (let guess = 0; guess < 3; guess += 1) page = await submitCode(start, page, code(user) === '000000' ? '111111' : '000000');
    expect(page.status).toBe(403);
    expect(await silently(browser)).toBe('login_required');
    expect((await refresh(tokens.refresh_token as string)).body).toMatchObject({ error: 'invalid_grant' });
    expect(await database.db('audit_events').where({ type: 'account.access_revoked', user_id: 'TARGETED' }).first()).toMatchObject({
      actor: 'system:lockout',
      details: expect.objectContaining({ cause: 'lock' }),
    });
    const notice = await running.mail.mailTo('targeted@example.com');
    expect(notice.subject).toBe('Your CCASS login was locked / 您的中央結算系統帳戶已被鎖定');
    expect(notice.text).toContain('How: after repeated failed attempts to log in');
    expect(notice.text).toMatch(/From address: (::ffff:)?127\.0\.0\.1/);
  });

  it('keeps the login that changes its own second factor, and ends the sessions opened with the old one', async () => {
    const user = await seedUser(running.server, running.config, { participantId: 'B40004', userId: 'SWITCHER', email: 'switcher@example.com' }, running.clock);
    const old = await logIn(user);
    const start = await startAuthorization(running.issuer, { prompt: 'login' });
    const codePage = await passwordStep(start, { participantId: user.participantId, userId: user.userId, password: user.password });
    const chooser = await start.browser.follow(new URL(
      (await start.browser.request(`${start.interactionUrl}/change-method`, { form: { csrf: inputValue(codePage.body, 'csrf') } })).headers.get('location') as string,
      start.interactionUrl,
    ).toString());
    expect(chooser.body).toContain('Enter your one-time code');
    const afterCode = await submitCode(start, chooser, code(user));
    running.clock.advance(30);
    const methods = await start.browser.follow(new URL(afterCode.headers.get('location') as string, start.interactionUrl).toString());
    const chosen = await start.browser.request(`${start.interactionUrl}/method`, { form: { csrf: inputValue(methods.body, 'csrf'), method: 'email' } });
    expect(chosen.status).toBe(303);
    const callback = await followToCallback(start, chosen);
    const fresh = await exchangeCode(running.http, start, callback);

    expect(await silently(old.browser)).toBe('login_required');
    expect((await refresh(old.tokens.refresh_token as string)).body).toMatchObject({ error: 'invalid_grant' });
    expect((await refresh(fresh.refresh_token as string)).status).toBe(200);
    expect(await silently(start.browser)).toBe('code');
  });

  describe('lifetimes', () => {
    const sessionOf = (user: SeededUser) =>
      database.db('oidc_payloads').where({ model: 'Session', account_id: user.subject }).first<{ expires_at: Date; payload: { exp: number; loginTs: number } }>();
    const secondsLeft = (row: { expires_at: Date }) => Math.round((row.expires_at.getTime() - Date.now()) / 1000);

    it('gives a session 30 minutes of idle time, renewed by use in the browser and by refreshes of its tokens', async () => {
      const user = await seedUser(running.server, running.config, { participantId: 'B40004', userId: 'IDLER' }, running.clock);
      const { browser, tokens } = await logIn(user);
      const row = await sessionOf(user);
      expect(secondsLeft(row as { expires_at: Date })).toBeGreaterThan(1790);
      expect(secondsLeft(row as { expires_at: Date })).toBeLessThanOrEqual(1800);

      // 29 minutes pass without activity…
      const shorten = () =>
        database.db('oidc_payloads').where({ model: 'Session', account_id: user.subject }).update({
          expires_at: new Date(Date.now() + 60_000),
          payload: database.db.raw(`jsonb_set(payload, '{exp}', to_jsonb(?::bigint))`, [Math.floor(Date.now() / 1000) + 60]),
        });
      await shorten();
      // …then the relying party refreshes (the user is working in it): a full idle window again.
      expect((await refresh(tokens.refresh_token as string)).status).toBe(200);
      expect(secondsLeft((await sessionOf(user)) as { expires_at: Date })).toBeGreaterThan(1790);
      expect((await sessionOf(user))?.payload.exp).toBeGreaterThan(Math.floor(Date.now() / 1000) + 1790);
      await shorten();
      // …or the browser uses the session (single sign-on to another application).
      expect(await silently(browser)).toBe('code');
      expect(secondsLeft((await sessionOf(user)) as { expires_at: Date })).toBeGreaterThan(1790);
    });

    it('ends a session after 30 minutes without activity: silent login and refresh both refused', async () => {
      const user = await seedUser(running.server, running.config, { participantId: 'B40004', userId: 'ASLEEP' }, running.clock);
      const { browser, tokens } = await logIn(user);
      // 30 minutes pass without activity: the session's end is now.
      await database.db('oidc_payloads').where({ model: 'Session', account_id: user.subject }).update({
        expires_at: new Date(Date.now() - 1000),
        payload: database.db.raw(`jsonb_set(payload, '{exp}', to_jsonb(?::bigint))`, [Math.floor(Date.now() / 1000) - 1]),
      });
      expect(await silently(browser)).toBe('login_required');
      expect((await refresh(tokens.refresh_token as string)).body).toMatchObject({ error: 'invalid_grant' });
    });

    it('never extends a session past 12 hours after the login, however active', async () => {
      const user = await seedUser(running.server, running.config, { participantId: 'B40004', userId: 'WORKAHOLIC' }, running.clock);
      const { browser } = await logIn(user);
      // The login was 11 h 50 min ago.
      const loginTs = Math.floor(Date.now() / 1000) - (12 * 3600 - 600);
      await database.db('oidc_payloads').where({ model: 'Session', account_id: user.subject }).update({
        payload: database.db.raw(`jsonb_set(payload, '{loginTs}', to_jsonb(?::bigint))`, [loginTs]),
      });
      expect(await silently(browser)).toBe('code');
      const left = secondsLeft((await sessionOf(user)) as { expires_at: Date });
      expect(left).toBeLessThanOrEqual(600);
      expect(left).toBeGreaterThan(590);
    });
  });
});
