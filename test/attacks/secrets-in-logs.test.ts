/**
 * Secrets must not leak into logs or the audit trail: passwords, authenticator keys, one-time
 * codes, activation links, authorization codes, tokens and cookies. The server logs at the
 * most verbose level into memory while a user activates, enrols an authenticator, logs in
 * with it and with an emailed code, and the relying party exchanges and refreshes tokens;
 * then every secret seen on the way is looked for in everything written.
 */
import { Writable } from 'node:stream';
import request from 'supertest';
import { operatorActor } from '../../src/kernel/actor.js';
import { registerDesignatedEmail } from '../../src/enrolment/activation-links.js';
import { createLogger } from '../../src/observability/logger.js';
import { Browser, inputValue } from '../support/browser.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { activationLinkIn } from '../support/dms.js';
import { exchangeCode, followToCallback, passwordStep, startAuthorization, submitCode } from '../support/flows.js';
import { seedUser, startTestServer, TERMINAL, type RunningTestServer } from '../support/server.js';
import { codeIn } from '../support/smtp-sink.js';
import { base32Decode, rfc6238 } from '../support/totp.js';

describe('secrets in logs and audit records', () => {
  let database: TestDatabase;
  let running: RunningTestServer;
  const written: string[] = [];

  beforeAll(async () => {
    database = await createTestDatabase();
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        written.push(chunk.toString('utf8'));
        done();
      },
    });
    running = await startTestServer(database.db, database.url, {}, { log: createLogger('trace', sink) });
  });
  afterAll(async () => {
    await running.close();
    await database.drop();
  });

  it('writes none of the secrets of activation, enrolment, login and token use', async () => {
    const secrets: Record<string, string> = {};
    const password = 'correct horse battery staple 2026';
    secrets['password'] = password;

    // Activation through the emailed link, then an authenticator app from the QR page.
    await seedUser(running.server, running.config, { participantId: 'B50005', userId: 'QUIET', status: 'pending', secondFactor: 'none' });
    const user = await running.server.queries.users.findByLogin('B50005', 'QUIET');
    await registerDesignatedEmail(running.server.activation, user!, 'quiet@example.com', operatorActor('test'));
    const link = activationLinkIn(await running.mail.mailTo('quiet@example.com'));
    secrets['activation token'] = new URL(link).searchParams.get('token') as string;
    const browser = new Browser();
    const form = await browser.follow(link);
    const afterPassword = await browser.request(`${running.issuer}/activate/password`, { form: { csrf: inputValue(form.body, 'csrf'), password, confirmation: password } });
    expect(afterPassword.status).toBe(303);
    const enrolPage = await browser.follow(`${running.issuer}/activate/enrol-totp`);
    const manualKey = (/<code[^>]*id="manual-key"[^>]*>([A-Z2-7 ]+)<\/code>/.exec(enrolPage.body)?.[1] ?? '').replace(/ /g, '');
    expect(manualKey).toMatch(/^[A-Z2-7]{16,}$/);
    secrets['authenticator key (base32)'] = manualKey;
    const key = base32Decode(manualKey);
    secrets['authenticator key (hex)'] = key.toString('hex');
    secrets['authenticator key (base64)'] = key.toString('base64');
    const enrolCode = rfc6238(key, running.clock.now().getTime() / 1000);
    const enrolled = await browser.request(`${running.issuer}/activate/enrol-totp`, { form: { csrf: inputValue(enrolPage.body, 'csrf'), code: enrolCode } });
    expect([enrolled.status, enrolled.headers.get('location')]).toEqual([303, '/activate/done']);
    running.clock.advance(30);

    // A login with password and authenticator code, then tokens.
    const start = await startAuthorization(running.issuer);
    const codePage = await passwordStep(start, { participantId: 'B50005', userId: 'QUIET', password });
    const loginCode = rfc6238(key, running.clock.now().getTime() / 1000);
    const afterCode = await submitCode(start, codePage, loginCode);
    running.clock.advance(30);
    const callback = await followToCallback(start, afterCode);
    secrets['authorization code'] = callback.searchParams.get('code') as string;
    const tokens = await exchangeCode(running.http, start, callback);
    secrets['id token'] = tokens.id_token;
    secrets['access token'] = tokens.access_token;
    secrets['refresh token'] = tokens.refresh_token as string;
    const refreshed = await request(running.http).post('/token').auth(TERMINAL.clientId, TERMINAL.clientSecret).type('form').send({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token });
    expect(refreshed.status).toBe(200);
    if (refreshed.body.refresh_token) secrets['rotated refresh token'] = refreshed.body.refresh_token;
    secrets['client secret'] = TERMINAL.clientSecret;
    for (const cookie of await start.browser.jar.getCookies(running.issuer)) secrets[`cookie ${cookie.key}`] = cookie.value;
    // A wrong password and a wrong code are secrets too (a mistyped password is often nearly right).
    const failed = await startAuthorization(running.issuer);
    secrets['mistyped password'] = 'correct horse battery staple 2025';
    await passwordStep(failed, { participantId: 'B50005', userId: 'QUIET', password: secrets['mistyped password'] });

    // A login with an emailed code.
    await running.server.queries.users.setSecondFactor((user as { id: string }).id, 'email');
    const emailLogin = await startAuthorization(running.issuer);
    const emailPage = await passwordStep(emailLogin, { participantId: 'B50005', userId: 'QUIET', password });
    const emailed = codeIn(await running.mail.mailTo('quiet@example.com', 2));
    expect((await submitCode(emailLogin, emailPage, emailed)).status).toBe(303);

    const logs = written.join('');
    expect(logs.length).toBeGreaterThan(1000); // the server did log (at trace level) while all this happened
    const audit = JSON.stringify(await database.db('audit_events').select('*'));
    for (const [name, value] of Object.entries(secrets)) {
      expect({ name, inLogs: logs.includes(value), inAudit: audit.includes(value) }).toEqual({ name, inLogs: false, inAudit: false });
    }
    // One-time codes are short: look for them as whole values, not as digits inside timestamps.
    for (const [name, value] of [['enrolment code', enrolCode], ['login code', loginCode], ['emailed code', emailed]] as const) {
      const asValue = new RegExp(`["=:]${value}["&,}\\s]`);
      expect({ name, inLogs: asValue.test(logs), inAudit: asValue.test(audit) }).toEqual({ name, inLogs: false, inAudit: false });
    }
  });
});
