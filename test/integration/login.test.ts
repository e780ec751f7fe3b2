import { decodeJwt } from 'jose';
import request from 'supertest';
import { ACR, AMR } from '../../src/oidc/assurance.js';
import { inputValue } from '../support/browser.js';
import { type TestDatabase } from '../support/database.js';
import { exchangeCode, followToCallback, passwordStep, startAuthorization, submitCode, submitLogin, type AuthorizationStart } from '../support/flows.js';
import { rfc6238 } from '../support/totp.js';
import { seedUser, TERMINAL, THIRD_PARTY, type RunningTestServer, type SeededUser, useTestServer } from '../support/server.js';

describe('password login', () => {
  let database: TestDatabase;
  let running: RunningTestServer;
  let alice: SeededUser;
  let disabled: SeededUser;
  let pending: SeededUser;

  useTestServer((started) => ({ database, running } = started));
  beforeAll(async () => {
    alice = await seedUser(running.server, running.config, { participantId: 'B01234', userId: 'ALICE', email: 'alice@example.com' }, running.clock);
    disabled = await seedUser(running.server, running.config, { participantId: 'B01234', userId: 'DORMANT', status: 'disabled', secondFactor: 'none' });
    pending = await seedUser(running.server, running.config, { participantId: 'B01234', userId: 'NEWCOMER', status: 'pending', secondFactor: 'none' });
  });

  const credentials = (user: SeededUser, password = user.password) => ({ participantId: user.participantId, userId: user.userId, password });

  const exchange = (start: AuthorizationStart, callback: URL) => exchangeCode(running.http, start, callback);

  it('shows an accessible login form with labelled fields', async () => {
    const start = await startAuthorization(running.issuer);
    expect(start.loginPage.status).toBe(200);
    expect(start.interactionUrl).toMatch(/\/interaction\/[\w-]+$/);
    for (const [id, label] of [['participantId', 'Participant ID'], ['userId', 'User ID'], ['password', 'Password']]) {
      expect(start.loginPage.body).toContain(`<label for="${id}">${label}</label>`);
      expect(start.loginPage.body).toMatch(new RegExp(`<input id="${id}" name="${id}"`));
    }
    expect(start.loginPage.headers.get('cache-control')).toBe('no-store');
    expect(start.loginPage.headers.get('content-security-policy')).toMatch(/frame-ancestors 'none'/);
    expect(start.loginPage.body).not.toMatch(/<script|style=/);
    // Password managers fill and paste works: a plain password input with the right hint, nothing blocking.
    expect(start.loginPage.body).toContain('type="password" required autocomplete="current-password"');
    expect(start.loginPage.body).not.toMatch(/onpaste|autocomplete="off"/);
  });

  /** The current authenticator code for a seeded user, computed independently of the server. */
  const currentCode = (user: SeededUser) => rfc6238(user.totpSecret as Buffer, running.clock.now().getTime() / 1000);

  it('logs a user in with password and authenticator code, and issues an ID token that says who and how', async () => {
    const start = await startAuthorization(running.issuer);
    const codePage = await passwordStep(start, credentials(alice));
    expect(codePage.status).toBe(200);
    expect(codePage.body).toContain('Enter your one-time code');
    const afterLogin = await submitCode(start, codePage, currentCode(alice));
    expect(afterLogin.status).toBe(303);
    const callback = await followToCallback(start, afterLogin);
    expect(callback.searchParams.get('state')).toBe(start.state);
    const tokens = await exchange(start, callback);
    const claims = decodeJwt(tokens.id_token);
    expect(claims).toMatchObject({
      iss: running.issuer,
      aud: TERMINAL.clientId,
      sub: alice.subject,
      nonce: start.nonce,
      participant_id: 'B01234',
      user_id: 'ALICE',
      email: 'alice@example.com',
      amr: [AMR.password, AMR.oneTimePassword, AMR.multipleFactors, AMR.totp],
      acr: ACR.twoFactor,
    });
    expect(tokens.refresh_token).toBeTruthy();
    const audit = await database.db('audit_events').where({ type: 'login', user_id: 'ALICE', outcome: 'success' });
    expect(audit.length).toBeGreaterThanOrEqual(1);
    running.clock.advance(30); // the next login in this file needs a fresh time step
  });

  it('accepts participant and user IDs in any case', async () => {
    const start = await startAuthorization(running.issuer);
    const codePage = await passwordStep(start, { ...credentials(alice), participantId: 'b01234', userId: 'alice' });
    expect(codePage.body).toContain('Enter your one-time code');
  });

  it('gives one generic answer for a wrong password, an unknown user, a disabled user and a user without a password', async () => {
    const attempts = {
      wrongPassword: credentials(alice, 'not the right password'),
      unknownUser: { participantId: 'B01234', userId: 'NOBODY', password: 'whatever password 1' },
      unknownParticipant: { participantId: 'Z99999', userId: 'ALICE', password: alice.password },
      disabledUser: credentials(disabled),
      pendingUser: { participantId: pending.participantId, userId: pending.userId, password: 'a long enough test password' },
    };
    const answers: Record<string, { status: number; body: string }> = {};
    for (const [name, fields] of Object.entries(attempts)) {
      const start = await startAuthorization(running.issuer);
      const page = await submitLogin(start, fields);
      // Per-interaction values aside (its id, its CSRF token, the echoed IDs), the pages must be identical.
      const normalised = page.body
        .replaceAll(start.interactionUrl.split('/').pop() as string, 'UID')
        .replace(inputValue(page.body, 'csrf'), 'CSRF')
        .replace(/value="[^"]*" ?(autofocus)?>/g, 'value="X">');
      answers[name] = { status: page.status, body: normalised };
    }
    const distinct = new Set(Object.values(answers).map((answer) => JSON.stringify(answer)));
    expect(distinct.size).toBe(1);
    expect(answers['wrongPassword']?.status).toBe(401);
    expect(answers['wrongPassword']?.body).toContain('The participant ID, user ID or password is not correct.');
  });

  it('records each failure with its real reason in the audit trail, never the password', async () => {
    const rows = await database.db('audit_events').where({ type: 'login.password', outcome: 'failure' });
    const reasons = new Set(rows.map((row) => row.details.reason));
    expect(reasons).toEqual(new Set(['wrong_password', 'unknown_user', 'disabled', 'no_password']));
    expect(JSON.stringify(rows)).not.toContain('not the right password');
  });

  describe('malformed login posts get a 4xx and change nothing', () => {
    let start: AuthorizationStart;
    let auditCount: number;
    let usersBefore: unknown[];

    beforeAll(async () => {
      start = await startAuthorization(running.issuer);
      auditCount = Number((await database.db('audit_events').count('* as n').first())?.n);
      usersBefore = await database.db('users').orderBy('id');
    });

    const csrf = () => inputValue(start.loginPage.body, 'csrf');
    async function fetchWithCookies(url: string, body: string, contentType: string) {
      const cookie = await start.browser.jar.getCookieString(url);
      const response = await fetch(url, { method: 'POST', headers: { cookie, 'content-type': contentType, accept: 'text/html' }, body, redirect: 'manual' });
      return { status: response.status, body: await response.text() };
    }

    it('refuses a post with missing fields (400)', async () => {
      const page = await fetchWithCookies(`${start.interactionUrl}/login`, new URLSearchParams({ csrf: csrf(), participantId: 'B01234' }).toString(), 'application/x-www-form-urlencoded');
      expect(page.status).toBe(400);
      expect(page.body).toContain('Enter your participant ID, user ID and password.');
    });

    it('refuses empty fields (400)', async () => {
      const page = await fetchWithCookies(`${start.interactionUrl}/login`, new URLSearchParams({ csrf: csrf(), participantId: ' ', userId: '', password: '' }).toString(), 'application/x-www-form-urlencoded');
      expect(page.status).toBe(400);
    });

    it('refuses repeated fields that would parse as arrays (400)', async () => {
      const page = await fetchWithCookies(`${start.interactionUrl}/login`, `csrf=${csrf()}&participantId=B01234&participantId=B09999&userId=ALICE&password=x`, 'application/x-www-form-urlencoded');
      expect(page.status).toBe(400);
    });

    it('refuses a post without the CSRF token of this interaction (403)', async () => {
      const page = await fetchWithCookies(`${start.interactionUrl}/login`, new URLSearchParams({ csrf: 'forged', ...credentials(alice) }).toString(), 'application/x-www-form-urlencoded');
      expect(page.status).toBe(403);
    });

    it('refuses a JSON body (415)', async () => {
      const page = await fetchWithCookies(`${start.interactionUrl}/login`, JSON.stringify({ csrf: csrf(), ...credentials(alice) }), 'application/json');
      expect(page.status).toBe(415);
    });

    it('refuses an oversized body (413)', async () => {
      const page = await fetchWithCookies(`${start.interactionUrl}/login`, `csrf=${csrf()}&password=${'x'.repeat(64 * 1024)}`, 'application/x-www-form-urlencoded');
      expect(page.status).toBe(413);
    });

    it('refuses a post without the interaction cookie (400)', async () => {
      const response = await request(running.http).post(new URL(`${start.interactionUrl}/login`).pathname).type('form').send({ csrf: csrf(), ...credentials(alice) });
      expect(response.status).toBe(400);
      expect(response.text).toContain('Your login has expired');
    });

    it('refuses an unknown interaction (400)', async () => {
      const response = await request(running.http).get('/interaction/does-not-exist');
      expect(response.status).toBe(400);
    });

    it('changed nothing: no audit record, no user touched, and the same login still works', async () => {
      expect(Number((await database.db('audit_events').count('* as n').first())?.n)).toBe(auditCount);
      expect(await database.db('users').orderBy('id')).toEqual(usersBefore);
      const codePage = await passwordStep(start, credentials(alice));
      expect(codePage.body).toContain('Enter your one-time code');
    });
  });

  it('requires PKCE: an authorization request without a code challenge is refused', async () => {
    const url = new URL('/auth', running.issuer);
    url.search = new URLSearchParams({ client_id: TERMINAL.clientId, response_type: 'code', scope: 'openid', redirect_uri: TERMINAL.redirectUri, state: 's' }).toString();
    const response = await request(running.http).get(url.pathname + url.search);
    expect(response.status).toBe(303);
    const location = new URL(response.headers['location'] as string);
    expect(location.searchParams.get('error')).toBe('invalid_request');
    expect(location.searchParams.get('error_description')).toMatch(/PKCE/);
  });

  it('asks a third-party client for consent, then issues the code', async () => {
    const start = await startAuthorization(running.issuer, { client_id: THIRD_PARTY.clientId, redirect_uri: THIRD_PARTY.redirectUri });
    const codePage = await passwordStep(start, credentials(alice));
    const afterLogin = await submitCode(start, codePage, currentCode(alice));
    running.clock.advance(30);
    const consent = await start.browser.follow(new URL(afterLogin.headers.get('location') as string, afterLogin.url).toString());
    expect(consent.status).toBe(200);
    expect(consent.body).toContain('asks to know who you are');
    const confirmed = await start.browser.request(`${consent.url}/confirm`, { form: { csrf: inputValue(consent.body, 'csrf') } });
    expect(confirmed.status).toBe(303);
    const callback = await start.browser.follow(new URL(confirmed.headers.get('location') as string, confirmed.url).toString(), {}, (next) => next.toString().startsWith(THIRD_PARTY.redirectUri));
    expect(new URL(callback.url).searchParams.get('code')).toBeTruthy();
  });

  it('lets the user cancel, returning access_denied to the client', async () => {
    const start = await startAuthorization(running.issuer);
    const cancelled = await start.browser.follow(`${start.interactionUrl}/abort`, { form: { csrf: inputValue(start.loginPage.body, 'csrf') } }, (next) =>
      next.toString().startsWith(TERMINAL.redirectUri),
    );
    expect(new URL(cancelled.url).searchParams.get('error')).toBe('access_denied');
  });

  it('does not let another site cancel a login (CSRF token required)', async () => {
    const start = await startAuthorization(running.issuer);
    const forged = await start.browser.request(`${start.interactionUrl}/abort`, { form: { csrf: 'forged' } });
    expect(forged.status).toBe(403);
    expect((await submitLogin(start, credentials(alice))).status).toBe(303);
  });
});
