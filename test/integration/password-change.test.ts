/**
 * A user changes their own password during a login: asked for on the code page, set once both
 * factors are proven, with the current password typed again. Other sessions end; the user is
 * told by email.
 */
import request from 'supertest';
import { Browser, inputValue, type Page } from '../support/browser.js';
import { type TestDatabase } from '../support/database.js';
import { exchangeCode, followToCallback, passwordStep, startAuthorization, submitCode, type AuthorizationStart } from '../support/flows.js';
import { seedUser, TERMINAL, type RunningTestServer, type SeededUser, useTestServer } from '../support/server.js';
import { rfc6238 } from '../support/totp.js';

describe('changing one’s own password', () => {
  let database: TestDatabase;
  let running: RunningTestServer;
  let seq = 0;

  useTestServer((started) => ({ database, running } = started), { lockout: { threshold: 3, durationSeconds: 600 } });

  const code = (user: SeededUser) => rfc6238(user.totpSecret as Buffer, running.clock.now().getTime() / 1000);
  async function newUser(): Promise<SeededUser> {
    seq += 1;
    return seedUser(running.server, running.config, { participantId: 'B90009', userId: `CHANGER${seq}`, email: `changer${seq}@example.com` }, running.clock);
  }

  /** Password, "Change my password", the authenticator code: the browser is on the new-password page. */
  async function toNewPasswordPage(user: SeededUser, browser = new Browser()): Promise<{ start: AuthorizationStart; page: Page }> {
    const start = await startAuthorization(running.issuer, {}, browser);
    const codePage = await passwordStep(start, { participantId: user.participantId, userId: user.userId, password: user.password });
    expect(codePage.body).toContain('Change my password');
    const asked = await start.browser.request(`${start.interactionUrl}/change-password`, { form: { csrf: inputValue(codePage.body, 'csrf') } });
    expect(asked.status).toBe(303);
    const reminded = await start.browser.follow(start.interactionUrl);
    expect(reminded.body).toContain('After this code you can set a new password.');
    const afterCode = await submitCode(start, reminded, code(user));
    running.clock.advance(30);
    expect(afterCode.status).toBe(303);
    const page = await start.browser.follow(new URL(afterCode.headers.get('location') as string, afterCode.url).toString());
    expect(page.body).toContain('Change your CCASS password');
    return { start, page };
  }
  const submit = (start: AuthorizationStart, page: Page, fields: { current: string; password: string; confirmation?: string }) =>
    start.browser.request(`${start.interactionUrl}/password`, { form: { csrf: inputValue(page.body, 'csrf'), confirmation: fields.password, ...fields } });

  it('sets the new password after both factors, completes the login, ends other sessions and tells the user', async () => {
    const user = await newUser();
    // A session elsewhere, opened with the old password.
    const other = await startAuthorization(running.issuer);
    const otherCode = await passwordStep(other, { participantId: user.participantId, userId: user.userId, password: user.password });
    const otherDone = await submitCode(other, otherCode, code(user));
    running.clock.advance(30);
    const otherTokens = await exchangeCode(running.http, other, await followToCallback(other, otherDone));

    const { start, page } = await toNewPasswordPage(user);
    const changed = await submit(start, page, { current: user.password, password: 'a completely new passphrase 7' });
    expect(changed.status).toBe(303);
    const tokens = await exchangeCode(running.http, start, await followToCallback(start, changed));
    expect(tokens.id_token).toBeTruthy();

    const refresh = (token: string) => request(running.http).post('/token').auth(TERMINAL.clientId, TERMINAL.clientSecret).type('form').send({ grant_type: 'refresh_token', refresh_token: token });
    expect((await refresh(otherTokens.refresh_token as string)).body).toMatchObject({ error: 'invalid_grant' });
    expect((await refresh(tokens.refresh_token as string)).status).toBe(200);

    const old = await startAuthorization(running.issuer);
    expect((await passwordStep(old, { participantId: user.participantId, userId: user.userId, password: user.password })).status).toBe(401);
    const fresh = await startAuthorization(running.issuer);
    expect((await passwordStep(fresh, { participantId: user.participantId, userId: user.userId, password: 'a completely new passphrase 7' })).body).toContain('Enter your one-time code');

    const audit = await database.db('audit_events').where({ user_id: user.userId }).whereIn('type', ['user.password.change', 'account.access_revoked']).orderBy('id');
    expect(audit.map((event) => [event.type, event.details.cause ?? event.details.by])).toEqual([
      ['user.password.change', 'user'],
      ['account.access_revoked', 'password_change'],
    ]);
    expect(JSON.stringify(audit)).not.toContain('passphrase');
    const notice = await running.mail.mailTo(user.email as string);
    expect(notice.subject).toBe('Your CCASS password was changed / 您的中央結算系統密碼已更改');
    expect(notice.text).toContain('How: by you');
  });

  it('needs the current password, and counts a wrong one towards the lock', async () => {
    const user = await newUser();
    const { start, page } = await toNewPasswordPage(user);
    const wrong = await submit(start, page, { current: 'not my current password', password: 'another new passphrase 8' });
    expect(wrong.status).toBe(401);
    expect(wrong.body).toContain('Your current password is not correct.');
    expect(await database.db('users').where({ user_id: user.userId }).first()).toMatchObject({ failed_attempts: 1 });
    await submit(start, wrong, { current: 'still not my password', password: 'another new passphrase 8' });
    const locked = await submit(start, wrong, { current: 'third wrong password', password: 'another new passphrase 8' });
    expect(locked.status).toBe(403);
    expect(locked.body).toContain('Too many failed attempts');
  });

  it('refuses a weak, mismatched or unchanged new password, changing nothing', async () => {
    const user = await newUser();
    const { start, page } = await toNewPasswordPage(user);
    const before = await database.db('users').where({ user_id: user.userId }).first('password_hash');
    for (const [fields, message] of [
      [{ current: user.password, password: 'password1234' }, 'The password is too common'],
      [{ current: user.password, password: 'a completely new passphrase 9', confirmation: 'a different passphrase 9' }, 'not the same'],
      [{ current: user.password, password: user.password }, 'different from your current one'],
    ] as const) {
      const refused = await submit(start, page, fields);
      expect(refused.status).toBe(400);
      expect(refused.body).toContain(message);
    }
    expect(await database.db('users').where({ user_id: user.userId }).first('password_hash')).toEqual(before);
  });

  it('cannot skip to the new password without the second factor', async () => {
    const user = await newUser();
    const start = await startAuthorization(running.issuer);
    const codePage = await passwordStep(start, { participantId: user.participantId, userId: user.userId, password: user.password });
    await start.browser.request(`${start.interactionUrl}/change-password`, { form: { csrf: inputValue(codePage.body, 'csrf') } });
    const skipped = await submit(start, codePage, { current: user.password, password: 'a sneaky new passphrase 10' });
    expect(skipped.status).toBe(400);
    expect((await running.server.hasher.verify((await database.db('users').where({ user_id: user.userId }).first()).password_hash, user.password))).toBe(true);
  });
});
