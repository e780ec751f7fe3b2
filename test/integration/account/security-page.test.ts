/**
 * The user's own security page (/account), through HTTP on real PostgreSQL: opened only by a
 * login made moments before (ASVS 5.0 V7.5.1), then sessions (one ended, or every other one:
 * V7.5.2), security keys (renamed, removed, never the last second factor), recovery codes,
 * password and code method — each change audited and notified in the one transaction, every
 * form refused without its CSRF token, nothing of another user reachable, every page in
 * Traditional Chinese without an English sentence. A user who has a security key and opened
 * the page with a code (a phishable login) may end sessions and rename or remove a key, but
 * registers no key, makes no recovery codes and changes neither password nor code method
 * until they log in again with the key.
 */
import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { Browser, inputValue, type Page } from '../../support/browser.js';
import { latinSentences } from '../../support/latin-sentences.js';
import { exchangeCode, followToCallback, passwordStep, startAuthorization, submitCode, type AuthorizationStart } from '../../support/flows.js';
import { seedUser, TERMINAL, useTestServer, type RunningTestServer, type SeededUser } from '../../support/server.js';
import { codeIn } from '../../support/smtp-sink.js';
import { base32Decode, rfc6238 } from '../../support/totp.js';
import { issueRecoveryCodes, useRecoveryCode } from '../../../src/factors/recovery-codes.js';
import { giveKey, SoftAuthenticator } from '../../support/soft-authenticator.js';
import { seedDa, signInToDms } from '../../support/dms.js';

const ALLOWED = ['CCASS', 'HKSCC', 'DMS', TERMINAL.clientId];

describe('a user’s own security page', () => {
  let running: RunningTestServer;
  let seq = 0;
  // Codes by email, as many as the logins of this file need (each test logs in a few times).
  useTestServer((started) => ({ running } = started), { emailOtp: { resendIntervalSeconds: 0, maxSendsPerWindow: 100 } });

  /** A user who receives codes by email (no clock moves: the freshness of a login is judged by the clock). */
  async function newUser(prefix = 'U'): Promise<SeededUser & { email: string }> {
    seq += 1;
    const userId = `${prefix}${seq}`;
    const user = await seedUser(running.server, running.config, { participantId: 'B01234', userId, email: `${userId.toLowerCase()}@example.com`, secondFactor: 'email' }, running.clock);
    return user as SeededUser & { email: string };
  }

  /** The next one-time code mailed to `email` after its `seen` first messages (notices go there too). */
  async function mailedCode(email: string, seen: number): Promise<string> {
    for (let count = seen + 1; ; count += 1) {
      try {
        return codeIn(await running.mail.mailTo(email, count));
      } catch (error) {
        if ((error as Error).message.startsWith('no message')) throw error;
      }
    }
  }

  /** Password and emailed code on the login page `start` shows; the answer to the code (a redirect onwards). */
  async function logIn(start: AuthorizationStart, user: SeededUser & { email: string }): Promise<Page> {
    const seen = running.mail.countTo(user.email);
    const codePage = await passwordStep(start, { participantId: user.participantId, userId: user.userId, password: user.password });
    expect(codePage.status).toBe(200);
    const afterCode = await submitCode(start, codePage, await mailedCode(user.email, seen));
    expect(afterCode.status).toBe(303);
    return afterCode;
  }

  const follow = (browser: Browser, from: Page) => browser.follow(new URL(from.headers.get('location') as string, from.url).toString());

  /** Opens /account in `browser`: the provider's login, then back to the page. */
  async function openAccount(user: SeededUser & { email: string }, browser = new Browser(), beforeReturn?: () => void): Promise<{ browser: Browser; page: Page }> {
    const loginPage = await browser.follow(`${running.issuer}/account`);
    expect(loginPage.url).toContain('/interaction/');
    const start: AuthorizationStart = { browser, loginPage, interactionUrl: loginPage.url, codeVerifier: '', state: '', nonce: '' };
    const afterCode = await logIn(start, user);
    beforeReturn?.();
    const page = await follow(browser, afterCode);
    return { browser, page };
  }

  /** A CCASS Terminal login of a user with a key and an authenticator app, by "use a code instead", with its refresh token. */
  async function terminalLoginWithCode(user: SeededUser): Promise<{ refreshToken: string }> {
    const start = await startAuthorization(running.issuer);
    const keyStep = await passwordStep(start, { participantId: user.participantId, userId: user.userId, password: user.password });
    await start.browser.request(`${start.interactionUrl}/another-way`, { form: { csrf: inputValue(keyStep.body, 'csrf'), way: 'totp' } });
    const codePage = await start.browser.follow(start.interactionUrl);
    const afterCode = await submitCode(start, codePage, rfc6238(user.totpSecret as Buffer, running.clock.now().getTime() / 1000));
    running.clock.advance(running.config.totp.period);
    const tokens = await exchangeCode(running.http, start, await followToCallback(start, afterCode));
    return { refreshToken: tokens.refresh_token as string };
  }

  /** A CCASS Terminal login of `user` in a browser of its own, with its refresh token. */
  async function terminalLogin(user: SeededUser & { email: string }): Promise<{ refreshToken: string }> {
    const start = await startAuthorization(running.issuer);
    const callback = await followToCallback(start, await logIn(start, user));
    const tokens = await exchangeCode(running.http, start, callback);
    return { refreshToken: tokens.refresh_token as string };
  }

  /** CCASS Terminal refreshes; on success it keeps the rotated token, so a later refusal is never mere reuse. */
  const refresh = async (terminal: { refreshToken: string }) => {
    const response = await request(running.http)
      .post('/token')
      .auth(TERMINAL.clientId, TERMINAL.clientSecret)
      .type('form')
      .send({ grant_type: 'refresh_token', refresh_token: terminal.refreshToken });
    if (response.status === 200) terminal.refreshToken = response.body.refresh_token;
    return response;
  };

  const post = (browser: Browser, path: string, page: Page, fields: Record<string, string> = {}) =>
    browser.request(`${running.issuer}${path}`, { form: { csrf: inputValue(page.body, 'csrf'), ...fields } });

  const audit = (user: SeededUser, type: string) => running.server.queries.audit.list({ participantId: user.participantId, userId: user.userId, type });

  /** A notice with this subject reached the user's address. */
  async function noticed(user: SeededUser & { email: string }, subject: string): Promise<boolean> {
    await running.mailSettled();
    return running.mail.messages.some((mail) => mail.to.includes(user.email) && mail.subject.includes(subject));
  }

  /**
   * A credential row as the store keeps one (the ceremonies themselves are tested in the
   * browser). Added once the page is open: a login of a user with a key asks for the key.
   */
  async function addKey(user: SeededUser, name: string, deviceType: 'singleDevice' | 'multiDevice' = 'singleDevice') {
    const key = await running.server.queries.webauthnCredentials.insert({
      user_id: user.subject,
      credential_id: randomBytes(16).toString('base64url'),
      public_key: randomBytes(77),
      sign_count: 0,
      transports: ['usb'],
      device_type: deviceType,
      backed_up: deviceType === 'multiDevice',
      aaguid: null,
      name,
      registered_with: 'login',
    });
    return key!;
  }

  describe('fresh reauthentication', () => {
    it('sends a signed-out browser to a new login, and opens the page after it', async () => {
      const user = await newUser();
      const { page } = await openAccount(user);
      expect(page.status).toBe(200);
      expect(page.url).toBe(`${running.issuer}/account`);
      expect(page.body).toContain('<h1>Your security settings</h1>');
      expect(page.headers.get('cache-control')).toBe('no-store');
      expect((await audit(user, 'account.login'))[0]).toMatchObject({ outcome: 'success', client_id: 'ccass-account' });
    });

    it('asks for a new login even when the browser is logged in already (prompt=login, max_age=0)', async () => {
      const user = await newUser();
      const start = await startAuthorization(running.issuer);
      await followToCallback(start, await logIn(start, user));
      const login = await start.browser.request(`${running.issuer}/account/login`);
      const url = new URL(login.headers.get('location') as string);
      expect(url.searchParams.get('prompt')).toBe('login');
      expect(url.searchParams.get('max_age')).toBe('0');
      const next = await start.browser.follow(url.toString());
      expect(next.url).toContain('/interaction/');
      expect(next.body).toContain('name="password"');
    });

    it('refuses a login that is not recent (auth_time older than five minutes)', async () => {
      const user = await newUser();
      const { browser, page } = await openAccount(user, new Browser(), () => running.clock.advance(6 * 60));
      running.clock.advance(-6 * 60);
      expect(page.status).toBe(403);
      expect(page.body).toContain('Your security settings open only right after you log in.');
      expect((await browser.request(`${running.issuer}/account`)).status).toBe(303);
      expect((await audit(user, 'account.login'))[0]).toMatchObject({ outcome: 'failure', details: { reason: 'login_not_fresh' } });
    });

    it('ends the page’s session after its short absolute lifetime', async () => {
      const user = await newUser();
      const { browser } = await openAccount(user);
      running.clock.advance(16 * 60);
      try {
        const answer = await browser.request(`${running.issuer}/account`);
        expect(answer.status).toBe(303);
        expect(answer.headers.get('location')).toBe('/account/login');
      } finally {
        running.clock.advance(-16 * 60);
      }
    });

    it('sets the session cookie HttpOnly, SameSite=Strict and kept to /account', async () => {
      const user = await newUser();
      const browser = new Browser();
      const loginPage = await browser.follow(`${running.issuer}/account`);
      const start: AuthorizationStart = { browser, loginPage, interactionUrl: loginPage.url, codeVerifier: '', state: '', nonce: '' };
      const afterCode = await logIn(start, user);
      const callback = await browser.follow(new URL(afterCode.headers.get('location') as string, afterCode.url).toString(), {}, (next) => next.pathname === '/account');
      const cookies = callback.headers.getSetCookie().filter((cookie) => cookie.startsWith('ccass_account='));
      expect(cookies[0]).toMatch(/path=\/account/i);
      expect(cookies[0]).toMatch(/httponly/i);
      expect(cookies[0]).toMatch(/samesite=strict/i);
    });
  });

  describe('sessions', () => {
    it('lists the user’s sessions and ends another one: its refresh token stops working', async () => {
      const user = await newUser();
      const terminal = await terminalLogin(user);
      const { browser, page } = await openAccount(user);
      expect(page.body).toContain('<td>CCASS Terminal</td>');
      expect(page.body).toContain('This browser');
      expect(page.body).toContain('127.0.0.1');
      const ends = [...page.body.matchAll(/action="\/account\/sessions\/([^/"]+)\/end"/g)].map((match) => decodeURIComponent(match[1] as string)).filter((uid) => uid !== 'others');
      expect(ends).toHaveLength(1);
      expect((await refresh(terminal)).status).toBe(200);

      const ended = await post(browser, `/account/sessions/${encodeURIComponent(ends[0] as string)}/end`, page);
      expect(ended.status).toBe(303);
      expect(ended.headers.get('location')).toBe('/account?done=session-ended');
      expect((await refresh(terminal)).body).toMatchObject({ error: 'invalid_grant' });
      const after = await browser.follow(`${running.issuer}/account?done=session-ended`);
      expect(after.body).toContain('The session was ended');
      expect(after.body).not.toContain(`/account/sessions/${encodeURIComponent(ends[0] as string)}/end`);
      expect(after.body).not.toContain('<td>CCASS Terminal</td>');
      expect((await audit(user, 'account.session.end'))[0]).toMatchObject({ outcome: 'success' });
      expect(await noticed(user, 'Sessions of your CCASS login were ended')).toBe(true);
    });

    it('signs out everywhere else: every other session, token and security page, but not this one', async () => {
      const user = await newUser();
      const terminal = await terminalLogin(user);
      const other = await openAccount(user);
      const { browser, page } = await openAccount(user);
      const answer = await post(browser, '/account/sessions/others/end', page);
      expect(answer.headers.get('location')).toBe('/account?done=signed-out-elsewhere');
      expect((await refresh(terminal)).body).toMatchObject({ error: 'invalid_grant' });
      expect((await other.browser.request(`${running.issuer}/account`)).status).toBe(303);
      const still = await browser.request(`${running.issuer}/account`);
      expect(still.status).toBe(200);
      // This browser's own login goes on: one session left, and it is this one.
      expect([...still.body.matchAll(/action="\/account\/sessions\/[^"]+\/end"/g)].map((match) => match[0])).toEqual(['action="/account/sessions/others/end"']);
      expect(still.body).toContain('This browser');
      expect((await audit(user, 'account.access_revoked'))[0]).toMatchObject({ details: { cause: 'sessions_ended' } });
      expect((await audit(user, 'account.sessions.end_others'))).toHaveLength(1);
    });

    it('ends nothing for a session id that is not the user’s', async () => {
      const owner = await newUser();
      const terminal = await terminalLogin(owner);
      const intruder = await newUser();
      const { browser, page } = await openAccount(intruder);
      const [session] = await running.server.queries.userAccess.sessionsOf({ id: owner.subject, participant_id: owner.participantId, user_id: owner.userId });
      const answer = await post(browser, `/account/sessions/${encodeURIComponent(session!.uid)}/end`, page);
      expect(answer.status).toBe(404);
      expect((await refresh(terminal)).status).toBe(200);
    });
  });

  describe('security keys', () => {
    it('lists a key with its dates and kind, and renames it (audited, notified)', async () => {
      const user = await newUser();
      const { browser } = await openAccount(user);
      const key = await addKey(user, 'Blue key', 'multiDevice');
      const page = await browser.request(`${running.issuer}/account`);
      expect(page.body).toContain('<h3 id="key-' + key.id + '">Blue key</h3>');
      expect(page.body).toContain('Passkey that may be synced to your other devices');
      expect(page.body).toContain('not used yet');
      const answer = await post(browser, `/account/keys/${key.id}/rename`, page, { name: '  Office laptop ' });
      expect(answer.headers.get('location')).toBe('/account?done=key-renamed');
      expect((await running.server.queries.webauthnCredentials.find(user.subject, key.id))?.name).toBe('Office laptop');
      expect((await audit(user, 'webauthn.rename'))[0]).toMatchObject({ details: { name: 'Office laptop', previous: 'Blue key' } });
      expect(await noticed(user, 'A security key of your CCASS login was renamed')).toBe(true);
      expect((await post(browser, `/account/keys/${key.id}/rename`, page, { name: '' })).status).toBe(400);
    });

    it('removes a key (audited, notified)', async () => {
      const user = await newUser();
      const { browser, page } = await openAccount(user);
      const key = await addKey(user, 'Old key');
      const answer = await post(browser, `/account/keys/${key.id}/remove`, page);
      expect(answer.headers.get('location')).toBe('/account?done=key-removed');
      expect(await running.server.queries.webauthnCredentials.listForUser(user.subject)).toEqual([]);
      expect((await audit(user, 'webauthn.remove'))[0]).toMatchObject({ outcome: 'success', details: { name: 'Old key' } });
      expect(await noticed(user, 'A security key was removed from your CCASS login')).toBe(true);
    });

    it('never removes the last second factor', async () => {
      const user = await newUser();
      const { browser, page } = await openAccount(user);
      const key = await addKey(user, 'Only key');
      // The user's codes are switched off: the key is all they have.
      await running.server.queries.users.setSecondFactor(user.subject, null);
      const answer = await post(browser, `/account/keys/${key.id}/remove`, page);
      expect(answer.status).toBe(409);
      expect(answer.body).toContain('role="alert"');
      expect(answer.body).toContain('This key is your only second factor');
      expect(await running.server.queries.webauthnCredentials.listForUser(user.subject)).toHaveLength(1);
      expect(await audit(user, 'webauthn.remove')).toEqual([]);
      // With a second key, one of them may go.
      await addKey(user, 'Spare key');
      expect((await post(browser, `/account/keys/${key.id}/remove`, page)).status).toBe(303);
    });

    it('answers 404 for another user’s key, and changes nothing', async () => {
      const owner = await newUser();
      const key = await addKey(owner, 'Owner key');
      const intruder = await newUser();
      const { browser, page } = await openAccount(intruder);
      expect((await post(browser, `/account/keys/${key.id}/rename`, page, { name: 'Mine now' })).status).toBe(404);
      expect((await post(browser, `/account/keys/${key.id}/remove`, page)).status).toBe(404);
      expect((await post(browser, '/account/keys/not-a-uuid/remove', page)).status).toBe(404);
      expect((await running.server.queries.webauthnCredentials.find(owner.subject, key.id))?.name).toBe('Owner key');
    });

    it('offers registration with the options for the browser script, and refuses a response that is no credential', async () => {
      const user = await newUser();
      const { browser } = await openAccount(user);
      const form = await browser.request(`${running.issuer}/account/keys/new`);
      expect(form.status).toBe(200);
      expect(form.body).toContain('data-webauthn="register"');
      expect(form.body).toContain('<script type="application/json" id="webauthn-options">');
      expect(form.body).toContain('<script src="/assets/webauthn.js"></script>');
      expect(form.body).toContain('id="webauthn-unsupported"');
      const options = JSON.parse(/<script type="application\/json" id="webauthn-options">([^<]*)<\/script>/.exec(form.body)?.[1] ?? '{}') as { challenge?: string; user?: { name?: string } };
      expect(options.challenge).toMatch(/^[\w-]{40,}$/);
      expect(options.user?.name).toBe(`B01234/${user.userId}`);
      const answer = await post(browser, '/account/keys', form, { name: 'New key', credential: '{"id":"x"}' });
      expect(answer.status).toBe(400);
      expect(answer.body).toContain('The key could not be registered.');
      expect(await running.server.queries.webauthnCredentials.listForUser(user.subject)).toEqual([]);
    });
  });

  describe('a user who has a security key', () => {
    /** A user with an authenticator app and an email address, and a security key (a software authenticator). */
    async function keyHolder(): Promise<{ user: SeededUser & { email: string }; key: SoftAuthenticator }> {
      seq += 1;
      const userId = `K${seq}`;
      const user = (await seedUser(running.server, running.config, { participantId: 'B01234', userId, email: `${userId.toLowerCase()}@example.com` }, running.clock)) as SeededUser & { email: string };
      const key = newAuthenticator();
      await giveKey(running.server.queries, user.subject, key);
      return { user, key };
    }

    const newAuthenticator = () => new SoftAuthenticator({ rpId: new URL(running.issuer).hostname, origin: new URL(running.issuer).origin });
    const totpNow = (user: SeededUser) => rfc6238(user.totpSecret as Buffer, running.clock.now().getTime() / 1000);
    const optionsIn = (page: Page) => JSON.parse(/<script type="application\/json" id="webauthn-options">([^<]*)<\/script>/.exec(page.body)?.[1] ?? 'null') as { challenge: string } | null;
    const isKeyStep = (page: Page) => /action="\/interaction\/[^"]+\/security-key"/.test(page.body) && page.body.includes('data-webauthn="authenticate"');

    /** /account, password, then "use a code instead" at the key step and the app's code: a code-level session. */
    async function openWithCode(user: SeededUser, browser = new Browser()): Promise<{ browser: Browser; page: Page }> {
      const loginPage = await browser.follow(`${running.issuer}/account`);
      const start: AuthorizationStart = { browser, loginPage, interactionUrl: loginPage.url, codeVerifier: '', state: '', nonce: '' };
      const keyStep = await passwordStep(start, { participantId: user.participantId, userId: user.userId, password: user.password });
      expect(isKeyStep(keyStep)).toBe(true);
      expect(keyStep.body).toMatch(/name="way" value="totp"/);
      const switched = await browser.request(`${start.interactionUrl}/another-way`, { form: { csrf: inputValue(keyStep.body, 'csrf'), way: 'totp' } });
      expect(switched.status).toBe(303);
      const codePage = await browser.follow(start.interactionUrl);
      const afterCode = await submitCode(start, codePage, totpNow(user));
      expect(afterCode.status).toBe(303);
      // The code's time step is used: the next code login needs the next one.
      running.clock.advance(running.config.totp.period);
      const page = await follow(browser, afterCode);
      expect(page.url).toBe(`${running.issuer}/account`);
      return { browser, page };
    }

    /** The page's "Log in again with your security key": password and key, no code offered; back on the page. */
    async function logInAgainWithKey(user: SeededUser, key: SoftAuthenticator, browser: Browser, page: Page): Promise<Page> {
      const href = /<a href="(\/account\/login\?with=security-key)">Log in again with your security key<\/a>/.exec(page.body)?.[1];
      expect(href).toBeDefined();
      const login = await browser.request(`${running.issuer}${href}`);
      const asked = new URL(login.headers.get('location') as string);
      expect(Object.fromEntries(['acr_values', 'prompt', 'max_age'].map((name) => [name, asked.searchParams.get(name)]))).toEqual({ acr_values: 'phr', prompt: 'login', max_age: '0' });
      const loginPage = await browser.follow(asked.toString());
      const start: AuthorizationStart = { browser, loginPage, interactionUrl: loginPage.url, codeVerifier: '', state: '', nonce: '' };
      const keyStep = await passwordStep(start, { participantId: user.participantId, userId: user.userId, password: user.password });
      expect(isKeyStep(keyStep)).toBe(true);
      // Only the key will do: no code, no recovery code.
      expect(keyStep.body).not.toMatch(/name="way" value="(totp|email|recovery)"/);
      const afterKey = await browser.request(`${start.interactionUrl}/security-key`, { form: { csrf: inputValue(keyStep.body, 'csrf'), credential: JSON.stringify(key.assert(optionsIn(keyStep) as { challenge: string })) } });
      expect(afterKey.status).toBe(303);
      const back = await follow(browser, afterKey);
      expect(back.url).toBe(`${running.issuer}/account`);
      return back;
    }

    /** What the refused changes would have changed. */
    async function factorsOf(user: SeededUser) {
      const row = await running.server.queries.users.findBySubject(user.subject);
      return {
        keys: (await running.server.queries.webauthnCredentials.listForUser(user.subject)).map((key) => key.id).sort(),
        recoveryCodes: await running.server.queries.recoveryCodes.summary(user.subject),
        passwordHash: row?.password_hash,
        failedAttempts: row?.failed_attempts,
        secondFactor: row?.second_factor,
        totp: (await running.server.queries.totpCredentials.find(user.subject))?.secret_ciphertext,
        enrolment: await running.server.queries.totpCredentials.findEnrolment(user.subject),
        challenges: Number((await running.server.db('webauthn_challenges').count<{ n: string }[]>('* as n'))[0]?.n),
      };
    }

    const refusedAudits = async (user: SeededUser) =>
      (await running.server.db('audit_events').where({ user_id: user.userId, outcome: 'failure' }).whereRaw(`details->>'reason' = 'needs_key_login'`).orderBy('id').select('type')).map((row: { type: string }) => row.type);

    it('opened with a code: registers no key, makes no recovery codes, changes neither password nor code method (403, nothing changed, audited)', async () => {
      const { user } = await keyHolder();
      const { browser, page } = await openWithCode(user);
      expect(page.body).toContain('Some changes need your security key');
      expect(page.body).toContain('href="/account/login?with=security-key"');
      const before = await factorsOf(user);
      const stranger = newAuthenticator();

      const newKey = await browser.request(`${running.issuer}/account/keys/new`);
      expect(newKey.status).toBe(403);
      expect(newKey.body).not.toContain('id="webauthn-options"');
      const registered = await post(browser, '/account/keys', page, { name: 'Attacker key', credential: JSON.stringify(stranger.register({ challenge: randomBytes(32).toString('base64url') })) });
      const codes = await post(browser, '/account/recovery-codes', page);
      const passwordForm = await browser.request(`${running.issuer}/account/password`);
      const password = await post(browser, '/account/password', page, { current: user.password, password: 'an attacker chosen long password', confirmation: 'an attacker chosen long password' });
      const toEmail = await post(browser, '/account/second-factor/email', page);
      const authenticator = await browser.request(`${running.issuer}/account/second-factor/authenticator`);
      const enrolTotp = await post(browser, '/account/second-factor/enrol-totp', page, { code: '123456' });
      for (const answer of [registered, codes, passwordForm, password, toEmail, authenticator, enrolTotp]) {
        expect({ url: answer.url, status: answer.status }).toEqual({ url: answer.url, status: 403 });
        expect(answer.body).toContain('That change needs a login with your security key');
        expect(answer.body).toContain('href="/account/login?with=security-key"');
      }
      expect(codes.body).not.toMatch(/\b[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}\b/);
      expect(authenticator.body).not.toContain('id="manual-key"');
      expect(await factorsOf(user)).toEqual(before);
      expect(await refusedAudits(user)).toEqual(['webauthn.register', 'recovery_codes.issue', 'user.password.change', 'second_factor.enrol', 'second_factor.enrol']);
      await running.mailSettled();
      expect(running.mail.messages.filter((mail) => mail.to.includes(user.email))).toEqual([]);
      expect((await browser.request(`${running.issuer}/account`)).status).toBe(200);
    });

    it('opened with a code: still ends sessions, renames and removes a key; removing every key opens nothing more', async () => {
      const { user } = await keyHolder();
      const terminal = await terminalLoginWithCode(user);
      const { browser, page } = await openWithCode(user);
      const [key] = await running.server.queries.webauthnCredentials.listForUser(user.subject);
      expect((await post(browser, `/account/keys/${key!.id}/rename`, page, { name: 'Lost key' })).headers.get('location')).toBe('/account?done=key-renamed');
      const ends = [...page.body.matchAll(/action="\/account\/sessions\/([^/"]+)\/end"/g)].map((match) => decodeURIComponent(match[1] as string)).filter((uid) => uid !== 'others');
      expect(ends).toHaveLength(1);
      expect((await post(browser, `/account/sessions/${encodeURIComponent(ends[0] as string)}/end`, page)).headers.get('location')).toBe('/account?done=session-ended');
      expect((await refresh(terminal)).body).toMatchObject({ error: 'invalid_grant' });
      expect((await post(browser, '/account/sessions/others/end', page)).headers.get('location')).toBe('/account?done=signed-out-elsewhere');
      expect((await post(browser, `/account/keys/${key!.id}/remove`, page)).headers.get('location')).toBe('/account?done=key-removed');
      expect(await running.server.queries.webauthnCredentials.listForUser(user.subject)).toEqual([]);

      // The key is gone, but this session was opened with a code while the user had it: removing it
      // and registering the phisher's own is no way around the rule. A new login is asked for.
      const after = await browser.request(`${running.issuer}/account`);
      expect(after.body).toContain('href="/account/login">Log in again</a>');
      const codes = await post(browser, '/account/recovery-codes', after);
      expect(codes.status).toBe(403);
      expect(codes.body).toContain('That change needs a new login');
      expect((await browser.request(`${running.issuer}/account/keys/new`)).status).toBe(403);
      expect(await running.server.queries.recoveryCodes.summary(user.subject)).toBeUndefined();
    });

    it('after logging in again with the key: registers a key, makes recovery codes, switches the code method and changes the password', async () => {
      const { user, key } = await keyHolder();
      const { browser, page: codePage } = await openWithCode(user);
      const page = await logInAgainWithKey(user, key, browser, codePage);
      expect(page.body).not.toContain('Some changes need your security key');
      // The code-level session of this browser was replaced by the key's.
      expect(await running.server.db('account_sessions').where({ user_id: user.subject }).select('phishing_resistant')).toEqual([{ phishing_resistant: true }]);
      expect((await post(browser, '/account/recovery-codes', codePage)).status).toBe(403); // the old session's form: its session ended

      const form = await browser.request(`${running.issuer}/account/keys/new`);
      expect(form.status).toBe(200);
      const spare = newAuthenticator();
      const added = await post(browser, '/account/keys', form, { name: 'Spare key', credential: JSON.stringify(spare.register(optionsIn(form) as { challenge: string })) });
      expect(added.headers.get('location')).toBe('/account?done=key-added');
      expect(await running.server.queries.webauthnCredentials.listForUser(user.subject)).toHaveLength(2);

      const codes = await post(browser, '/account/recovery-codes', page);
      expect(codes.status).toBe(200);
      expect(new Set([...codes.body.matchAll(/\b([0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4})\b/g)].map((match) => match[1])).size).toBe(10);

      expect((await post(browser, '/account/second-factor/email', page)).headers.get('location')).toBe('/account?done=method-email');
      expect((await running.server.queries.users.findBySubject(user.subject))?.second_factor).toBe('email');
      const enrol = await browser.request(`${running.issuer}/account/second-factor/authenticator`);
      expect(enrol.status).toBe(200);
      const secret = base32Decode(/id="manual-key">([^<]+)</.exec(enrol.body)?.[1]?.replace(/\s/g, '') ?? '');
      const toApp = await post(browser, '/account/second-factor/enrol-totp', enrol, { code: rfc6238(secret, running.clock.now().getTime() / 1000) });
      expect(toApp.headers.get('location')).toBe('/account?done=method-totp');

      const changed = await post(browser, '/account/password', page, { current: user.password, password: 'a brand new long password', confirmation: 'a brand new long password' });
      expect(changed.headers.get('location')).toBe('/account?done=password-changed');
      const row = await running.server.queries.users.findBySubject(user.subject);
      expect(await running.server.hasher.verify(row!.password_hash!, 'a brand new long password')).toBe(true);
      expect(await refusedAudits(user)).toEqual([]);
      expect((await audit(user, 'account.login')).filter((event) => event.outcome === 'success')).toHaveLength(2);
    });

    it('opened with the key at once (the sign-in prefers phr to 2FA): every change is open', async () => {
      const { user, key } = await keyHolder();
      const browser = new Browser();
      const login = await browser.request(`${running.issuer}/account/login`);
      expect(new URL(login.headers.get('location') as string).searchParams.get('acr_values')).toBe('phr urn:hkscc:ccass:acr:2fa');
      const loginPage = await browser.follow(new URL(login.headers.get('location') as string).toString());
      const start: AuthorizationStart = { browser, loginPage, interactionUrl: loginPage.url, codeVerifier: '', state: '', nonce: '' };
      const keyStep = await passwordStep(start, { participantId: user.participantId, userId: user.userId, password: user.password });
      const afterKey = await browser.request(`${start.interactionUrl}/security-key`, { form: { csrf: inputValue(keyStep.body, 'csrf'), credential: JSON.stringify(key.assert(optionsIn(keyStep) as { challenge: string })) } });
      const page = await follow(browser, afterKey);
      expect(page.url).toBe(`${running.issuer}/account`);
      expect(page.body).not.toContain('Some changes need your security key');
      expect((await post(browser, '/account/recovery-codes', page)).status).toBe(200);
      expect((await browser.request(`${running.issuer}/account/keys/new`)).status).toBe(200);
    });

    it('a user without a key registers their first from a code login (the bootstrap); from then on the key is asked for', async () => {
      const user = await newUser();
      const { browser, page } = await openAccount(user);
      expect(page.body).not.toContain('Some changes need your security key');
      const form = await browser.request(`${running.issuer}/account/keys/new`);
      expect(form.status).toBe(200);
      const first = newAuthenticator();
      const added = await post(browser, '/account/keys', form, { name: 'First key', credential: JSON.stringify(first.register(optionsIn(form) as { challenge: string })) });
      expect(added.headers.get('location')).toBe('/account?done=key-added');
      const now = await browser.follow(`${running.issuer}/account?done=key-added`);
      expect(now.body).toContain('href="/account/login?with=security-key"');
      expect((await post(browser, '/account/recovery-codes', now)).status).toBe(403);
      expect(await running.server.queries.recoveryCodes.summary(user.subject)).toBeUndefined();
    });
  });

  describe('recovery codes', () => {
    it('shows a new set once, uncached, with a download; the old set stops working', async () => {
      const user = await newUser();
      const { browser, page } = await openAccount(user);
      expect(page.body).toContain('You have no recovery codes.');
      const first = await post(browser, '/account/recovery-codes', page);
      expect(first.status).toBe(200);
      expect(first.headers.get('cache-control')).toBe('no-store');
      const codes = [...first.body.matchAll(/\b([0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4})\b/g)].map((match) => match[1] as string);
      expect(new Set(codes).size).toBe(10);
      expect(first.body).toContain('download="ccass-recovery-codes.txt"');
      expect(first.body).toContain(`href="data:text/plain;charset=utf-8,${encodeURIComponent(codes[0] as string)}`);

      const second = await post(browser, '/account/recovery-codes', page);
      const newCodes = [...second.body.matchAll(/\b([0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4})\b/g)].map((match) => match[1] as string);
      expect(await useRecoveryCode(running.server.recoveryCodes, user.subject, codes[0] as string)).toBe('rejected');
      expect(await useRecoveryCode(running.server.recoveryCodes, user.subject, newCodes[0] as string)).toBe('accepted');
      const overview = await browser.request(`${running.issuer}/account`);
      expect(overview.body).toContain('9 of 10 codes are left');
      expect(await audit(user, 'recovery_codes.issue')).toHaveLength(2);
      expect(await noticed(user, 'New recovery codes for your CCASS login')).toBe(true);
      // Never stored in clear.
      const stored = await running.server.db('recovery_codes').where({ user_id: user.subject }).select('code_hash');
      expect(JSON.stringify(stored)).not.toContain((newCodes[1] as string).replace(/-/g, ''));
    });
  });

  describe('password', () => {
    it('needs the current password; a new one ends the other sessions, not this one', async () => {
      const user = await newUser();
      const terminal = await terminalLogin(user);
      const { browser } = await openAccount(user);
      const form = await browser.request(`${running.issuer}/account/password`);
      const wrong = await post(browser, '/account/password', form, { current: 'not the password at all', password: 'a brand new long password', confirmation: 'a brand new long password' });
      expect(wrong.status).toBe(401);
      expect(wrong.body).toContain('Your current password is not correct.');
      expect((await audit(user, 'user.password.change'))[0]).toMatchObject({ outcome: 'failure', details: { reason: 'wrong_password' } });
      expect((await refresh(terminal)).status).toBe(200);

      const changed = await post(browser, '/account/password', form, { current: user.password, password: 'a brand new long password', confirmation: 'a brand new long password' });
      expect(changed.headers.get('location')).toBe('/account?done=password-changed');
      const row = await running.server.queries.users.findBySubject(user.subject);
      expect(await running.server.hasher.verify(row!.password_hash!, 'a brand new long password')).toBe(true);
      expect((await refresh(terminal)).body).toMatchObject({ error: 'invalid_grant' });
      expect((await browser.request(`${running.issuer}/account`)).status).toBe(200);
      expect((await audit(user, 'user.password.change'))[0]).toMatchObject({ outcome: 'success' });
      expect(await noticed(user, 'Your CCASS password was changed')).toBe(true);
    });
  });

  describe('how codes come', () => {
    it('switches from email codes to an authenticator app and back', async () => {
      const user = await newUser();
      const { browser, page } = await openAccount(user);
      const enrol = await browser.request(`${running.issuer}/account/second-factor/authenticator`);
      expect(enrol.status).toBe(200);
      expect(enrol.body).toContain('action="/account/second-factor/enrol-totp"');
      const enrolment = await running.server.queries.totpCredentials.findEnrolment(user.subject);
      expect(enrolment).toBeDefined();
      const wrong = await post(browser, '/account/second-factor/enrol-totp', enrol, { code: '000000' });
      expect(wrong.status).toBe(400);
      expect((await running.server.queries.users.findBySubject(user.subject))?.second_factor).toBe('email');

      // The secret from the page's key, as a user would type it into the app.
      const manualKey = /id="manual-key">([^<]+)</.exec(enrol.body)?.[1]?.replace(/\s/g, '') ?? '';
      const key = base32Decode(manualKey);
      const ok = await post(browser, '/account/second-factor/enrol-totp', enrol, { code: rfc6238(key, running.clock.now().getTime() / 1000) });
      expect(ok.headers.get('location')).toBe('/account?done=method-totp');
      expect((await running.server.queries.users.findBySubject(user.subject))?.second_factor).toBe('totp');
      expect((await audit(user, 'second_factor.enrol'))[0]).toMatchObject({ details: { method: 'totp', previous: 'email' } });
      expect(await noticed(user, 'Your CCASS one-time code method was changed')).toBe(true);

      const back = await post(browser, '/account/second-factor/email', page);
      expect(back.headers.get('location')).toBe('/account?done=method-email');
      expect((await running.server.queries.users.findBySubject(user.subject))?.second_factor).toBe('email');
      expect(await running.server.queries.totpCredentials.find(user.subject)).toBeUndefined();
    });
  });

  describe('forms', () => {
    it('refuses every change without the session’s CSRF token, and changes nothing', async () => {
      const user = await newUser();
      const terminal = await terminalLogin(user);
      const { browser } = await openAccount(user);
      const key = await addKey(user, 'Kept key');
      for (const [path, fields] of [
        ['/account/sessions/others/end', {}],
        [`/account/keys/${key.id}/rename`, { name: 'Forged' }],
        [`/account/keys/${key.id}/remove`, {}],
        ['/account/recovery-codes', {}],
        ['/account/password', { current: user.password, password: 'a forged long password', confirmation: 'a forged long password' }],
        ['/account/second-factor/enrol-totp', { code: '123456' }],
        ['/account/logout', {}],
      ] as const) {
        for (const csrf of ['', 'forged-token']) {
          const answer = await browser.request(`${running.issuer}${path}`, { form: { csrf, ...fields } });
          expect({ path, status: answer.status }).toEqual({ path, status: 403 });
        }
      }
      expect((await running.server.queries.webauthnCredentials.find(user.subject, key.id))?.name).toBe('Kept key');
      expect(await running.server.queries.recoveryCodes.summary(user.subject)).toBeUndefined();
      expect((await refresh(terminal)).status).toBe(200);
      expect((await browser.request(`${running.issuer}/account`)).status).toBe(200);
    });

    it('does nothing for a form of another user’s session (its token is bound to that session)', async () => {
      const one = await openAccount(await newUser());
      const other = await newUser();
      const second = await openAccount(other);
      const answer = await second.browser.request(`${running.issuer}/account/recovery-codes`, { form: { csrf: inputValue(one.page.body, 'csrf') } });
      expect(answer.status).toBe(403);
      expect(await running.server.queries.recoveryCodes.summary(other.subject)).toBeUndefined();
    });
  });

  describe('in Traditional Chinese', () => {
    it('shows every page without an English sentence', async () => {
      const user = await newUser();
      await terminalLogin(user);
      const browser = new Browser({}, { 'accept-language': 'zh-HK,zh;q=0.9' });
      const { page: first } = await openAccount(user, browser);
      const allowed = [...ALLOWED, user.userId, user.participantId, user.email, '127.0.0.1'];
      // The forms of a user without a key (any login opens them)…
      const pages: Page[] = [first];
      pages.push(await browser.request(`${running.issuer}/account/keys/new`));
      pages.push(await browser.request(`${running.issuer}/account/password`));
      pages.push(await browser.request(`${running.issuer}/account/second-factor/authenticator`));
      pages.push(await post(browser, '/account/recovery-codes', first));
      pages.push(await post(browser, '/account/password', first, { current: 'wrong wrong wrong', password: 'x', confirmation: 'y' }));
      // …then, with a key, what this code-level session is told instead, and the key's own forms.
      const key = await addKey(user, '藍色密鑰');
      const page = await browser.request(`${running.issuer}/account`);
      expect(page.body).toContain('href="/account/login?with=security-key"');
      pages.push(page);
      pages.push(await browser.request(`${running.issuer}/account/keys/new`));
      pages.push(await post(browser, '/account/recovery-codes', page));
      pages.push(await post(browser, `/account/keys/${key.id}/rename`, page, { name: '' }));
      pages.push(await post(browser, '/account/sessions/others/end', page, { csrf: 'forged' }));
      pages.push(await browser.follow(`${running.issuer}/account?done=key-added`));
      await running.server.queries.webauthnCredentials.remove(user.subject, key.id);
      pages.push(await post(browser, '/account/recovery-codes', page));
      const left = await post(browser, '/account/logout', page);
      pages.push(await follow(browser, left));
      for (const shown of pages) {
        expect(shown.body).toContain('<html lang="zh-Hant-HK">');
        const text = shown.body.replace(/\b[0-9A-Z]{4}(-[0-9A-Z]{4}){3}\b/g, ' ').replace(/data:text\/plain[^"]*/g, '').replace(/<code class="manual-key"[^>]*>[^<]*<\/code>/, ' ');
        // Recovery codes and the authenticator's key are no language: their letters are taken out above.
        expect({ url: shown.url, status: shown.status, english: latinSentences(text, allowed) }).toEqual({ url: shown.url, status: shown.status, english: [] });
      }
    });
  });
});


describe('the same facts in DMS, read-only', () => {
  let running: RunningTestServer;
  useTestServer((started) => ({ running } = started));

  it('shows the DA a user’s security keys, recovery codes left and open sessions', async () => {
    const da = await seedDa(running, 'B05678', 'ADMIN1');
    const user = await seedUser(running.server, running.config, { participantId: 'B05678', userId: 'KEYS1', email: 'keys1@example.com' }, running.clock);
    await running.server.queries.webauthnCredentials.insert({
      user_id: user.subject,
      credential_id: randomBytes(16).toString('base64url'),
      public_key: randomBytes(77),
      sign_count: 0,
      transports: [],
      device_type: 'multiDevice',
      backed_up: true,
      aaguid: null,
      name: 'Phone passkey',
      registered_with: 'login',
    });
    await issueRecoveryCodes(running.server.recoveryCodes, user.subject);
    const dms = await signInToDms(running, da);
    const page = await dms.browser.request(`${running.issuer}/dms/users/KEYS1`);
    expect(page.status).toBe(200);
    expect(page.body).toContain('Phone passkey (Passkey that may be synced to your other devices): registered');
    expect(page.body).toMatch(/<dt>Recovery codes left<\/dt><dd>10<\/dd>/);
    expect(page.body).toMatch(/<dt>Open sessions<\/dt><dd>0<\/dd>/);
    expect(page.body).not.toContain('action="/dms/users/KEYS1/keys');
  });
});
