/**
 * The second factor through HTTP, with a real SMTP exchange (a local SMTP sink receives
 * the codes): email OTP, first-login enrolment, and the rule that a password alone never
 * completes a login.
 */
import { decodeJwt } from 'jose';
import { sendEmailOtp, verifyEmailOtp } from '../../src/factors/email-otp.js';
import { AMR } from '../../src/oidc/assurance.js';
import { inputValue, type Page } from '../support/browser.js';
import { type TestDatabase } from '../support/database.js';
import { exchangeCode, followToCallback, passwordStep, startAuthorization, submitCode, type AuthorizationStart } from '../support/flows.js';
import { seedUser, TERMINAL, type RunningTestServer, type SeededUser, useTestServer } from '../support/server.js';
import { codeIn } from '../support/smtp-sink.js';
import { base32Decode, rfc6238 } from '../support/totp.js';

describe('second factor', () => {
  let database: TestDatabase;
  let running: RunningTestServer;
  let seq = 0;

  useTestServer((started) => ({ database, running } = started));

  /** A new user; `email: null` for one without a designated email address. */
  async function newUser(secondFactor: 'totp' | 'email' | 'none', email: string | null = `user${seq + 1}@example.com`): Promise<SeededUser> {
    seq += 1;
    return seedUser(running.server, running.config, { participantId: 'B01234', userId: `U${seq}`, email: email ?? undefined, secondFactor }, running.clock);
  }
  const credentials = (user: SeededUser) => ({ participantId: user.participantId, userId: user.userId, password: user.password });

  async function exchange(start: AuthorizationStart, afterLastStep: Page) {
    const tokens = await exchangeCode(running.http, start, await followToCallback(start, afterLastStep));
    return decodeJwt(tokens.id_token);
  }

  describe('email OTP', () => {
    it('emails a code over SMTP and logs in with it', async () => {
      const user = await newUser('email');
      const start = await startAuthorization(running.issuer);
      const codePage = await passwordStep(start, credentials(user));
      expect(codePage.body).toContain('Enter the 6-digit code emailed to your designated email address');
      expect(codePage.body).toContain(`u${'*'.repeat((user.email as string).indexOf('@') - 1)}@example.com`);
      const mail = await running.mail.mailTo(user.email as string);
      expect(mail.subject).toBe('Your CCASS login code / 您的中央結算系統登入一次性密碼');

      const wrong = codeIn(mail) === '000000' ? '111111' : '000000';
      const refused = await submitCode(start, codePage, wrong);
      expect(refused.status).toBe(401);
      const accepted = await submitCode(start, refused, codeIn(mail));
      expect(accepted.status).toBe(303);
      const claims = await exchange(start, accepted);
      expect(claims['amr']).toEqual([AMR.password, AMR.oneTimePassword, AMR.multipleFactors, AMR.email]);
    });

    it('does not send another code when the page is reloaded', async () => {
      const user = await newUser('email');
      const start = await startAuthorization(running.issuer);
      await passwordStep(start, credentials(user));
      await running.mail.mailTo(user.email as string);
      await start.browser.request(start.interactionUrl);
      await new Promise((resolve) => setTimeout(resolve, 200));
      await running.mailSettled();
      expect(running.mail.countTo(user.email as string)).toBe(1);
    });

    it('accepts a code once', async () => {
      const user = await newUser('email');
      await sendEmailOtp(running.server.emailOtp, { id: user.subject, email: user.email as string }, 'interaction-once');
      const code = codeIn(await running.mail.mailTo(user.email as string));
      expect(await verifyEmailOtp(running.server.emailOtp, user.subject, 'interaction-once', code)).toBe('accepted');
      expect(await verifyEmailOtp(running.server.emailOtp, user.subject, 'interaction-once', code)).toBe('expired');
    });

    it('is worth nothing in another login', async () => {
      const user = await newUser('email');
      await sendEmailOtp(running.server.emailOtp, { id: user.subject, email: user.email as string }, 'interaction-a');
      const code = codeIn(await running.mail.mailTo(user.email as string));
      running.clock.advance(31);
      await sendEmailOtp(running.server.emailOtp, { id: user.subject, email: user.email as string }, 'interaction-b');
      expect(await verifyEmailOtp(running.server.emailOtp, user.subject, 'interaction-b', code)).toBe('rejected');
    });

    it('refuses an expired code', async () => {
      const user = await newUser('email');
      await sendEmailOtp(running.server.emailOtp, { id: user.subject, email: user.email as string }, 'interaction-expiry');
      const code = codeIn(await running.mail.mailTo(user.email as string));
      running.clock.advance(running.config.emailOtp.ttlSeconds + 1);
      expect(await verifyEmailOtp(running.server.emailOtp, user.subject, 'interaction-expiry', code)).toBe('expired');
    });

    it('stops accepting even the right code after the attempt limit', async () => {
      const user = await newUser('email');
      await sendEmailOtp(running.server.emailOtp, { id: user.subject, email: user.email as string }, 'interaction-attempts');
      const code = codeIn(await running.mail.mailTo(user.email as string));
      const wrong = code === '000000' ? '111111' : '000000';
      const verdicts = [];
      for (let attempt = 0; attempt < running.config.emailOtp.maxAttempts; attempt += 1) {
        verdicts.push(await verifyEmailOtp(running.server.emailOtp, user.subject, 'interaction-attempts', wrong));
      }
      expect(verdicts).toEqual([...Array(running.config.emailOtp.maxAttempts - 1).fill('rejected'), 'exhausted']);
      expect(await verifyEmailOtp(running.server.emailOtp, user.subject, 'interaction-attempts', code)).toBe('exhausted');
    });

    it('stores codes only as keyed hashes', async () => {
      const user = await newUser('email');
      await sendEmailOtp(running.server.emailOtp, { id: user.subject, email: user.email as string }, 'interaction-hash');
      const code = codeIn(await running.mail.mailTo(user.email as string));
      const rows = await database.db('email_otp_challenges').where({ user_id: user.subject });
      expect(JSON.stringify(rows)).not.toContain(code);
    });

    it('limits resends: not twice within 30 seconds, at most 5 in 15 minutes', async () => {
      const user = await newUser('email');
      const start = await startAuthorization(running.issuer);
      const codePage = await passwordStep(start, credentials(user));
      await running.mail.mailTo(user.email as string);
      const resend = () => start.browser.request(`${start.interactionUrl}/otp/resend`, { form: { csrf: inputValue(codePage.body, 'csrf') } });

      const tooSoon = await resend();
      expect(tooSoon.status).toBe(429);
      expect(tooSoon.body).toMatch(/Please wait \d+ seconds/);
      for (let sent = 2; sent <= 5; sent += 1) {
        running.clock.advance(31);
        expect((await resend()).status).toBe(200);
        await running.mail.mailTo(user.email as string, sent);
      }
      running.clock.advance(31);
      const tooMany = await resend();
      expect(tooMany.status).toBe(429);
      expect(Number(tooMany.headers.get('retry-after'))).toBeGreaterThan(30);
      await running.mailSettled();
      expect(running.mail.countTo(user.email as string)).toBe(5);

      // Only the latest code is valid.
      const latest = codeIn(await running.mail.mailTo(user.email as string, 5));
      const first = codeIn(await running.mail.mailTo(user.email as string, 1));
      if (first !== latest) expect((await submitCode(start, codePage, first)).status).toBe(401);
      expect((await submitCode(start, codePage, latest)).status).toBe(303);
    });
  });

  describe('email OTP after a code was used', () => {
    it('sends the next login its own code at once: a code already used holds back nothing (an unused one still does)', async () => {
      const user = await newUser('email');
      const first = await startAuthorization(running.issuer);
      const firstPage = await passwordStep(first, credentials(user));
      expect((await submitCode(first, firstPage, codeIn(await running.mail.mailTo(user.email as string)))).status).toBe(303);

      // Moments later (the security page's fresh login, say): a new code, not "none sent yet".
      running.clock.advance(2);
      const second = await startAuthorization(running.issuer);
      const secondPage = await passwordStep(second, credentials(user));
      expect(secondPage.body).toContain('Enter the 6-digit code emailed');
      const secondCode = codeIn(await running.mail.mailTo(user.email as string, 2));

      // That code is not used yet: a third login at once gets none, and is told so.
      const third = await startAuthorization(running.issuer);
      const thirdPage = await passwordStep(third, credentials(user));
      expect(thirdPage.body).toContain('No code has been sent for this step yet');
      await running.mailSettled();
      expect(running.mail.countTo(user.email as string)).toBe(2);
      expect((await submitCode(second, secondPage, secondCode)).status).toBe(303);
    });
  });

  describe('the password alone', () => {
    it('never completes a login, even when the browser resumes the authorization by hand', async () => {
      const user = await newUser('totp');
      const start = await startAuthorization(running.issuer);
      const codePage = await passwordStep(start, credentials(user));
      expect(codePage.body).toContain('Enter your one-time code');
      const uid = start.interactionUrl.split('/').pop() as string;
      const resumed = await start.browser.follow(`${running.issuer}/auth/${uid}`, {}, (next) => next.toString().startsWith(TERMINAL.redirectUri));
      expect(resumed.url.startsWith(TERMINAL.redirectUri)).toBe(false);
      expect(resumed.body).not.toContain('code=');
    });

    it('cannot skip to a later step', async () => {
      const user = await newUser('none');
      const start = await startAuthorization(running.issuer);
      await passwordStep(start, credentials(user));
      // Choosing a method before proving the email: refused.
      const early = await start.browser.request(`${start.interactionUrl}/method`, { form: { csrf: inputValue(start.loginPage.body, 'csrf'), method: 'email' } });
      expect(early.status).toBe(400);
      const enrol = await start.browser.request(`${start.interactionUrl}/enrol-totp`);
      expect(enrol.status).toBe(400);
      const row = await database.db('users').where({ id: user.subject }).first();
      expect(row.second_factor).toBeNull();
    });

    it('cannot reach the second step at all without passing the first', async () => {
      const start = await startAuthorization(running.issuer);
      const otp = await submitCode(start, start.loginPage, '123456');
      expect(otp.status).toBe(303);
      expect(otp.headers.get('location')).toBe(new URL(start.interactionUrl).pathname);
    });
  });

  describe('first login of a user without a second factor', () => {
    it('proves the designated email, then enrols an authenticator app from the QR page', async () => {
      const user = await newUser('none');
      const start = await startAuthorization(running.issuer);
      const emailPage = await passwordStep(start, credentials(user));
      const code = codeIn(await running.mail.mailTo(user.email as string));
      const afterEmail = await submitCode(start, emailPage, code);
      expect(afterEmail.status).toBe(303);
      const choose = await start.browser.follow(new URL(afterEmail.headers.get('location') as string, afterEmail.url).toString());
      expect(choose.body).toContain('How do you want to receive one-time codes?');

      const chosen = await start.browser.request(`${start.interactionUrl}/method`, { form: { csrf: inputValue(choose.body, 'csrf'), method: 'totp' } });
      const enrolPage = await start.browser.follow(new URL(chosen.headers.get('location') as string, chosen.url).toString());
      expect(enrolPage.body).toMatch(/<img src="data:image\/png;base64,[A-Za-z0-9+/=]+" alt="QR code/);
      const manualKey = /<code class="manual-key" id="manual-key">([A-Z2-7 ]+)<\/code>/.exec(enrolPage.body)?.[1] as string;
      const secret = base32Decode(manualKey);
      expect(secret).toHaveLength(20);

      const done = await submitCode(start, enrolPage, rfc6238(secret, running.clock.now().getTime() / 1000), 'enrol-totp');
      expect(done.status).toBe(303);
      const claims = await exchange(start, done);
      expect(claims['amr']).toEqual([AMR.password, AMR.oneTimePassword, AMR.multipleFactors, AMR.totp, AMR.email]);
      expect((await database.db('users').where({ id: user.subject }).first()).second_factor).toBe('totp');

      // From now on the authenticator is asked for.
      running.clock.advance(30);
      const next = await startAuthorization(running.issuer);
      const totpPage = await passwordStep(next, credentials(user));
      expect(totpPage.body).toContain('Open your authenticator app');
      expect((await submitCode(next, totpPage, rfc6238(secret, running.clock.now().getTime() / 1000))).status).toBe(303);
    });

    it('can choose email codes instead', async () => {
      const user = await newUser('none');
      const start = await startAuthorization(running.issuer);
      const emailPage = await passwordStep(start, credentials(user));
      const afterEmail = await submitCode(start, emailPage, codeIn(await running.mail.mailTo(user.email as string)));
      const choose = await start.browser.follow(new URL(afterEmail.headers.get('location') as string, afterEmail.url).toString());
      const chosen = await start.browser.request(`${start.interactionUrl}/method`, { form: { csrf: inputValue(choose.body, 'csrf'), method: 'email' } });
      expect(chosen.status).toBe(303);
      const claims = await exchange(start, chosen);
      expect(claims['amr']).toContain(AMR.email);
      expect((await database.db('users').where({ id: user.subject }).first()).second_factor).toBe('email');
    });

    it('is told to ask the Delegated Administrator when there is no designated email', async () => {
      const user = await newUser('none', null);
      const start = await startAuthorization(running.issuer);
      const page = await passwordStep(start, credentials(user));
      expect(page.status).toBe(403);
      expect(page.body).toContain('Ask your Delegated Administrator to register your email address');
    });
  });
});

describe('changing the second factor', () => {
  let database: TestDatabase;
  let running: RunningTestServer;
  useTestServer((started) => ({ database, running } = started));
  const now = () => running.clock.now().getTime() / 1000;

  async function askToChange(user: SeededUser): Promise<{ start: AuthorizationStart; codePage: Page }> {
    const start = await startAuthorization(running.issuer);
    const first = await passwordStep(start, { participantId: user.participantId, userId: user.userId, password: user.password });
    const asked = await start.browser.request(`${start.interactionUrl}/change-method`, { form: { csrf: inputValue(first.body, 'csrf') } });
    expect(asked.status).toBe(303);
    const codePage = await start.browser.follow(new URL(asked.headers.get('location') as string, asked.url).toString());
    expect(codePage.body).toContain('After this code you can choose a new way to receive codes.');
    return { start, codePage };
  }

  it('moves to a new phone: the current code first, then the new QR code; the old phone stops working', async () => {
    const user = await seedUser(running.server, running.config, { participantId: 'B01234', userId: 'NEWPHONE', email: 'newphone@example.com' }, running.clock);
    const { start, codePage } = await askToChange(user);

    // Choosing before proving the current factor is refused.
    const early = await start.browser.request(`${start.interactionUrl}/method`, { form: { csrf: inputValue(codePage.body, 'csrf'), method: 'totp' } });
    expect(early.status).toBe(400);

    const afterCode = await submitCode(start, codePage, rfc6238(user.totpSecret as Buffer, now()));
    const choose = await start.browser.follow(new URL(afterCode.headers.get('location') as string, afterCode.url).toString());
    expect(choose.body).toContain('Authenticator app on a new phone');
    const chosen = await start.browser.request(`${start.interactionUrl}/method`, { form: { csrf: inputValue(choose.body, 'csrf'), method: 'totp' } });
    const enrolPage = await start.browser.follow(new URL(chosen.headers.get('location') as string, chosen.url).toString());
    const newSecret = base32Decode(/<code class="manual-key" id="manual-key">([A-Z2-7 ]+)<\/code>/.exec(enrolPage.body)?.[1] as string);
    running.clock.advance(30);
    const done = await submitCode(start, enrolPage, rfc6238(newSecret, now()), 'enrol-totp');
    expect(done.status).toBe(303);
    expect((await followToCallback(start, done)).searchParams.get('code')).toBeTruthy();

    running.clock.advance(30);
    const next = await startAuthorization(running.issuer);
    const totpPage = await passwordStep(next, { participantId: user.participantId, userId: user.userId, password: user.password });
    expect((await submitCode(next, totpPage, rfc6238(user.totpSecret as Buffer, now()))).status).toBe(401);
    expect((await submitCode(next, totpPage, rfc6238(newSecret, now()))).status).toBe(303);
    const audit = await database.db('audit_events').where({ type: 'second_factor.enrol', user_id: 'NEWPHONE' });
    expect(audit.map((row) => row.details)).toEqual([{ method: 'totp', previous: 'totp', phase: 'parallel-run' }]);
  });

  it('switches from the authenticator to email codes, removing the authenticator secret', async () => {
    const user = await seedUser(running.server, running.config, { participantId: 'B01234', userId: 'TOEMAIL', email: 'toemail@example.com' }, running.clock);
    const { start, codePage } = await askToChange(user);
    const afterCode = await submitCode(start, codePage, rfc6238(user.totpSecret as Buffer, now()));
    const choose = await start.browser.follow(new URL(afterCode.headers.get('location') as string, afterCode.url).toString());
    const chosen = await start.browser.request(`${start.interactionUrl}/method`, { form: { csrf: inputValue(choose.body, 'csrf'), method: 'email' } });
    expect(chosen.status).toBe(303);
    expect((await database.db('users').where({ id: user.subject }).first()).second_factor).toBe('email');
    expect(await database.db('totp_credentials').where({ user_id: user.subject })).toHaveLength(0);
  });
});

describe('lockout across password and second factor', () => {
  let database: TestDatabase;
  let running: RunningTestServer;
  useTestServer((started) => ({ database, running } = started), { lockout: { threshold: 3, durationSeconds: 600 } });

  it('locks after repeated wrong codes; the right password then gets the generic answer until the lock ends', async () => {
    const user = await seedUser(running.server, running.config, { participantId: 'B01234', userId: 'LOCKME', email: 'lockme@example.com' }, running.clock);
    const start = await startAuthorization(running.issuer);
    let page = await passwordStep(start, { participantId: user.participantId, userId: user.userId, password: user.password });
    const right = rfc6238(user.totpSecret as Buffer, running.clock.now().getTime() / 1000);
    const wrong = right === '000000' ? '111111' : '000000';
    page = await submitCode(start, page, wrong);
    expect(page.status).toBe(401);
    page = await submitCode(start, page, wrong);
    expect(page.status).toBe(401);
    page = await submitCode(start, page, wrong);
    expect(page.status).toBe(403);
    expect(page.body).toContain('Too many failed attempts');
    expect(await database.db('audit_events').where({ type: 'account.lock', user_id: 'LOCKME' })).toHaveLength(1);

    const again = await startAuthorization(running.issuer);
    const refused = await passwordStep(again, { participantId: user.participantId, userId: user.userId, password: user.password });
    expect(refused.status).toBe(401);
    expect(refused.body).toContain('The participant ID, user ID or password is not correct.');

    running.clock.advance(601);
    const later = await startAuthorization(running.issuer);
    const codePage = await passwordStep(later, { participantId: user.participantId, userId: user.userId, password: user.password });
    expect(codePage.status).toBe(200);
    expect((await submitCode(later, codePage, rfc6238(user.totpSecret as Buffer, running.clock.now().getTime() / 1000))).status).toBe(303);
    expect(await database.db('users').where({ user_id: 'LOCKME' }).first()).toMatchObject({ failed_attempts: 0, locked_until: null });
  });

  it('counts wrong passwords towards the same lock', async () => {
    const user = await seedUser(running.server, running.config, { participantId: 'B01234', userId: 'GUESSED' }, running.clock);
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const start = await startAuthorization(running.issuer);
      expect((await passwordStep(start, { participantId: user.participantId, userId: user.userId, password: 'wrong password guess' })).status).toBe(401);
    }
    const start = await startAuthorization(running.issuer);
    expect((await passwordStep(start, { participantId: user.participantId, userId: user.userId, password: user.password })).status).toBe(401);
    const audit = await database.db('audit_events').where({ type: 'login.password', user_id: 'GUESSED' }).orderBy('id');
    expect(audit.map((row) => row.details.reason)).toEqual(['wrong_password', 'wrong_password', 'wrong_password', 'locked']);
  });
});
