/**
 * Cross-site request forgery against every state-changing form: without its token, with an
 * empty one, and with a valid token of another login or session (token swapping). Each is
 * refused and changes nothing in the database; the same request with its own token is then
 * accepted, which shows that the token alone made the difference.
 */
import { Browser, inputValue, type Page } from '../support/browser.js';
import { type TestDatabase } from '../support/database.js';
import { seedDa, signInToDms, type DmsSession } from '../support/dms.js';
import { passwordStep, startAuthorization, submitCode, type AuthorizationStart } from '../support/flows.js';
import { seedUser, THIRD_PARTY, type RunningTestServer, type SeededUser, useTestServer } from '../support/server.js';
import { databaseFingerprint } from '../support/snapshot.js';
import { codeIn } from '../support/smtp-sink.js';
import { activationLinkIn } from '../support/dms.js';
import { rfc6238 } from '../support/totp.js';
import { registerDesignatedEmail } from '../../src/enrolment/activation-links.js';
import { operatorActor } from '../../src/kernel/actor.js';

/** A DA's session is marked seen by any request carrying its cookie, before the form is read. */
const IGNORED = { dms_sessions: ['last_seen_at'] };

describe('cross-site request forgery', () => {
  let database: TestDatabase;
  let running: RunningTestServer;
  let seq = 0;

  useTestServer((started) => ({ database, running } = started));

  const code = (user: SeededUser) => rfc6238(user.totpSecret as Buffer, running.clock.now().getTime() / 1000);
  const newUser = async (secondFactor: 'totp' | 'email' | 'none') => {
    seq += 1;
    return seedUser(running.server, running.config, { participantId: 'B60006', userId: `CSRF${seq}`, email: `csrf${seq}@example.com`, secondFactor }, running.clock);
  };
  /** A valid token of another, unrelated login: what an attacker could get by starting their own. */
  const foreignToken = async () => inputValue((await startAuthorization(running.issuer)).loginPage.body, 'csrf');

  /**
   * Posts `form` to `url` from `browser` without the token, with an empty one and with
   * `foreign`; expects each refused (400/403) with the database unchanged. Returns the answer
   * to the same post with the right token.
   */
  async function forgeThenPost(browser: Browser, url: string, form: Record<string, string>, token: string, foreign: string): Promise<Page> {
    const before = await databaseFingerprint(database.db, IGNORED);
    for (const csrf of [undefined, '', foreign]) {
      const forged = await browser.request(url, { form: csrf === undefined ? form : { ...form, csrf } });
      expect({ url, csrf, status: [400, 403].includes(forged.status) }).toEqual({ url, csrf, status: true });
    }
    expect(await databaseFingerprint(database.db, IGNORED)).toEqual(before);
    return browser.request(url, { form: { ...form, csrf: token } });
  }

  describe('login pages', () => {
    it('guards the password form', async () => {
      const user = await newUser('totp');
      const start = await startAuthorization(running.issuer);
      const fields = { participantId: user.participantId, userId: user.userId, password: user.password };
      const accepted = await forgeThenPost(start.browser, `${start.interactionUrl}/login`, fields, inputValue(start.loginPage.body, 'csrf'), await foreignToken());
      expect(accepted.status).toBe(303);
    });

    it('guards the one-time code form and the changes of method and password', async () => {
      const user = await newUser('totp');
      const start = await startAuthorization(running.issuer);
      const codePage = await passwordStep(start, { participantId: user.participantId, userId: user.userId, password: user.password });
      const token = inputValue(codePage.body, 'csrf');
      const changed = await forgeThenPost(start.browser, `${start.interactionUrl}/change-method`, {}, token, await foreignToken());
      expect(changed.status).toBe(303);
      expect((await forgeThenPost(start.browser, `${start.interactionUrl}/change-password`, {}, token, await foreignToken())).status).toBe(303);
      const accepted = await forgeThenPost(start.browser, `${start.interactionUrl}/otp`, { code: code(user) }, token, await foreignToken());
      running.clock.advance(30);
      expect(accepted.status).toBe(303);
      // Both changes were asked for: the new password comes first.
      const newPassword = { current: user.password, password: 'a fresh passphrase for csrf', confirmation: 'a fresh passphrase for csrf' };
      const set = await forgeThenPost(start.browser, `${start.interactionUrl}/password`, newPassword, token, await foreignToken());
      expect(set.status).toBe(303);
    });

    it('guards the resend of an emailed code', async () => {
      const user = await newUser('email');
      const start = await startAuthorization(running.issuer);
      const codePage = await passwordStep(start, { participantId: user.participantId, userId: user.userId, password: user.password });
      await running.mail.mailTo(user.email as string);
      running.clock.advance(31);
      const resent = await forgeThenPost(start.browser, `${start.interactionUrl}/otp/resend`, {}, inputValue(codePage.body, 'csrf'), await foreignToken());
      expect(resent.status).toBe(200);
      expect(resent.body).toContain('We sent a new code');
    });

    async function atChooseMethod(): Promise<{ start: AuthorizationStart; page: Page }> {
      const user = await newUser('none');
      const start = await startAuthorization(running.issuer);
      const codePage = await passwordStep(start, { participantId: user.participantId, userId: user.userId, password: user.password });
      const afterCode = await submitCode(start, codePage, codeIn(await running.mail.mailTo(user.email as string)));
      const page = await start.browser.follow(new URL(afterCode.headers.get('location') as string, afterCode.url).toString());
      expect(page.body).toContain('How do you want to receive one-time codes?');
      return { start, page };
    }

    it('guards the choice of a method', async () => {
      const { start, page } = await atChooseMethod();
      const chosen = await forgeThenPost(start.browser, `${start.interactionUrl}/method`, { method: 'email' }, inputValue(page.body, 'csrf'), await foreignToken());
      expect(chosen.status).toBe(303);
    });

    it('guards the confirmation of a new authenticator', async () => {
      const { start, page } = await atChooseMethod();
      const enrolPage = await start.browser.follow(`${start.interactionUrl}/enrol-totp`);
      const manualKey = (/id="manual-key"[^>]*>([A-Z2-7 ]+)</.exec(enrolPage.body)?.[1] ?? '').replace(/ /g, '');
      const { base32Decode } = await import('../support/totp.js');
      const confirmed = await forgeThenPost(
        start.browser,
        `${start.interactionUrl}/enrol-totp`,
        { code: rfc6238(base32Decode(manualKey), running.clock.now().getTime() / 1000) },
        inputValue(page.body, 'csrf'),
        await foreignToken(),
      );
      expect(confirmed.status).toBe(303);
    });

    it('guards the consent confirmation and the cancel button', async () => {
      const user = await newUser('totp');
      const start = await startAuthorization(running.issuer, { client_id: THIRD_PARTY.clientId, redirect_uri: THIRD_PARTY.redirectUri });
      const codePage = await passwordStep(start, { participantId: user.participantId, userId: user.userId, password: user.password });
      const afterCode = await submitCode(start, codePage, code(user));
      running.clock.advance(30);
      const consent = await start.browser.follow(new URL(afterCode.headers.get('location') as string, afterCode.url).toString());
      expect(consent.body).toContain('asks to know who you are');
      const confirmed = await forgeThenPost(start.browser, `${consent.url}/confirm`, {}, inputValue(consent.body, 'csrf'), await foreignToken());
      expect(confirmed.status).toBe(303);

      const other = await startAuthorization(running.issuer);
      const cancelled = await forgeThenPost(other.browser, `${other.interactionUrl}/abort`, {}, inputValue(other.loginPage.body, 'csrf'), await foreignToken());
      expect(cancelled.status).toBe(303);
    });
  });

  describe('activation pages', () => {
    async function invited(): Promise<{ browser: Browser; form: Page; email: string }> {
      seq += 1;
      const userId = `ACT${seq}`;
      await seedUser(running.server, running.config, { participantId: 'B60006', userId, status: 'pending', secondFactor: 'none' });
      const user = await running.server.queries.users.findByLogin('B60006', userId);
      await registerDesignatedEmail(running.server.activation, user!, `act${seq}@example.com`, operatorActor('test'));
      const browser = new Browser();
      const email = `act${seq}@example.com`;
      const form = await browser.follow(activationLinkIn(await running.mail.mailTo(email)));
      return { browser, form, email };
    }
    /** A valid activation token of someone else's link. */
    const foreignActivationToken = async () => inputValue((await invited()).form.body, 'csrf');

    it('guards the password, the method choice, the authenticator confirmation and the emailed code with its resend', async () => {
      const { browser, form, email } = await invited();
      const password = 'a long enough activation passphrase';
      const set = await forgeThenPost(browser, `${running.issuer}/activate/password`, { password, confirmation: password }, inputValue(form.body, 'csrf'), await foreignActivationToken());
      expect(set.status).toBe(303);

      const methods = await browser.follow(`${running.issuer}/activate/method`);
      const token = inputValue(methods.body, 'csrf');
      const other = await invited();
      const otherPassword = 'another long enough passphrase';
      const otherSet = await other.browser.request(`${running.issuer}/activate/password`, { form: { csrf: inputValue(other.form.body, 'csrf'), password: otherPassword, confirmation: otherPassword } });
      expect(otherSet.status).toBe(303);
      const foreignEnrolment = inputValue((await other.browser.follow(`${running.issuer}/activate/method`)).body, 'csrf');

      const chosen = await forgeThenPost(browser, `${running.issuer}/activate/method`, { method: 'email' }, token, foreignEnrolment);
      expect(chosen.status).toBe(303);
      const codePage = await browser.follow(`${running.issuer}/activate/otp`);
      running.clock.advance(31);
      const resent = await forgeThenPost(browser, `${running.issuer}/activate/otp/resend`, {}, inputValue(codePage.body, 'csrf'), foreignEnrolment);
      expect(resent.status).toBe(200);
      const emailed = codeIn(await running.mail.mailTo(email, 3)); // the link, the first code, the resent one
      const confirmed = await forgeThenPost(browser, `${running.issuer}/activate/otp`, { code: emailed }, token, foreignEnrolment);
      expect([confirmed.status, confirmed.headers.get('location')]).toEqual([303, '/activate/done']);

      const totpPage = await other.browser.follow(`${running.issuer}/activate/enrol-totp`);
      const manualKey = (/id="manual-key"[^>]*>([A-Z2-7 ]+)</.exec(totpPage.body)?.[1] ?? '').replace(/ /g, '');
      const { base32Decode } = await import('../support/totp.js');
      const enrolled = await forgeThenPost(
        other.browser,
        `${running.issuer}/activate/enrol-totp`,
        { code: rfc6238(base32Decode(manualKey), running.clock.now().getTime() / 1000) },
        foreignEnrolment,
        token,
      );
      expect([enrolled.status, enrolled.headers.get('location')]).toEqual([303, '/activate/done']);
    });
  });

  describe('DMS', () => {
    let admin: DmsSession;
    let otherAdmin: DmsSession;

    beforeAll(async () => {
      admin = await signInToDms(running, await seedDa(running, 'B60006', 'ADMIN'));
      otherAdmin = await signInToDms(running, await seedDa(running, 'B60007', 'ADMIN'));
    });

    it('guards every page form with the session token', async () => {
      const target = await newUser('totp');
      const actions: Array<[string, Record<string, string>]> = [
        [`/dms/users/${target.userId}/email`, { email: `changed-${target.userId.toLowerCase()}@example.com` }],
        [`/dms/users/${target.userId}/second-factor/reset`, {}],
        [`/dms/users/${target.userId}/lock`, {}],
        [`/dms/users/${target.userId}/unlock`, {}],
      ];
      for (const [path, form] of actions) {
        const accepted = await forgeThenPost(admin.browser, `${running.issuer}${path}`, form, admin.csrf, otherAdmin.csrf);
        expect({ path, status: accepted.status }).toEqual({ path, status: 303 });
      }
      const loggedOut = await forgeThenPost(otherAdmin.browser, `${running.issuer}/dms/logout`, {}, otherAdmin.csrf, admin.csrf);
      expect(loggedOut.status).toBe(303);
    });

    it('guards the JSON API with the session token in a header', async () => {
      const target = await newUser('totp');
      const before = await databaseFingerprint(database.db, IGNORED);
      for (const headers of [{ 'x-csrf-token': '' }, { 'x-csrf-token': otherAdmin.csrf }, { 'x-csrf-token': 'forged' }]) {
        const forged = await admin.api('POST', `/dms/api/users/${target.userId}/lock`, undefined, headers);
        expect(forged.status).toBe(403);
      }
      expect(await databaseFingerprint(database.db, IGNORED)).toEqual(before);
      expect((await admin.api('POST', `/dms/api/users/${target.userId}/lock`)).status).toBe(200);
    });
  });
});
