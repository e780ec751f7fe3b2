/**
 * The doors a passed deadline closes besides the activation link and the login's enrolment
 * (deadline-enforcement.test.ts), through HTTP on real PostgreSQL: past the second-factor
 * deadline, an enrolment session opened before it sets nothing up (activation's method, code
 * and confirm steps) and the smartcard bridge registers no first second factor; past the email
 * registration deadline a DA issues no activation link (single registration, resend, CSV
 * upload and its maker-checker preview) and neither does an operator (the CLI's import and
 * `da add`). Each refusal names the deadline in Hong Kong time, changes and mails nothing, and
 * is audited; a live exception lets each through; users already set up are not affected.
 */
import { decodeJwt } from 'jose';
import type { PublicKeyCredentialCreationOptionsJSON } from '@simplewebauthn/server';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { rowProblemMessage } from '../../../src/directory/csv-problem-words.js';
import { registerDesignatedEmail } from '../../../src/enrolment/activation-links.js';
import { translator } from '../../../src/i18n/translate.js';
import { announcedHongKongTime } from '../../../src/i18n/locales.js';
import { operatorActor } from '../../../src/kernel/actor.js';
import { ACR } from '../../../src/oidc/assurance.js';
import { Browser, formAction, inputValue, type Page } from '../../support/browser.js';
import { cliRunner } from '../../support/cli.js';
import { createTestDatabase, type TestDatabase } from '../../support/database.js';
import { activationLinkIn, seedDa, signInToDms, type DmsSession } from '../../support/dms.js';
import { exchangeCode, followToCallback, startAuthorization, type AuthorizationStart } from '../../support/flows.js';
import { latinSentences } from '../../support/latin-sentences.js';
import { nginxEscaped, type IssuedCertificate } from '../../support/pki.js';
import { DAY_SECONDS, daysFrom, hongKongText } from '../../support/reminders.js';
import { seedUser, TERMINAL, useTestServer, type RunningTestServer } from '../../support/server.js';
import { bindDirectly, createSmartcardFixture, type SmartcardFixture } from '../../support/smartcard.js';
import { SoftAuthenticator } from '../../support/soft-authenticator.js';
import { rfc6238, secretFromUri } from '../../support/totp.js';

const CHINESE = { 'accept-language': 'zh-HK,zh;q=0.9,en;q=0.5' };

function expectChinese(page: { body: string }, allow: string[] = []): void {
  expect(page.body).toContain('<html lang="zh-Hant-HK">');
  expect(latinSentences(page.body, ['CCASS', 'HKSCC', 'DMS', TERMINAL.clientId, ...allow])).toEqual([]);
}

/** Escaped as a page writes text. */
const html = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

describe('past the second-factor deadline: no first second factor, anywhere', () => {
  const PROXY_ADDRESS = '127.0.0.2';
  let fixture: SmartcardFixture;
  let database: TestDatabase;
  let running: RunningTestServer;
  const now = new Date();
  const deadline = daysFrom(now, 1);

  beforeAll(async () => {
    fixture = await createSmartcardFixture();
  });
  useTestServer((started) => ({ database, running } = started), () => ({
    phases: { refreshSeconds: 0, schedule: [{ phase: 'email-registration', from: hongKongText(daysFrom(now, -30)) }, { phase: 'parallel-run', from: hongKongText(daysFrom(now, -10)) }] },
    deadlines: { secondFactor: hongKongText(deadline) },
    smartcard: { caFile: fixture.files.caFile, crlFiles: [fixture.files.crlFile], proxy: { trustedAddresses: [`${PROXY_ADDRESS}/32`] } },
    rateLimits: { otpFailures: { points: 1000, durationSeconds: 900 } },
  }));

  const except = (userId: string) =>
    running.server.queries.userExceptions.insert({ userId, kind: 'second_factor_deadline', until: daysFrom(now, 30), reason: 'phone on order', grantedBy: 'operator:test', at: running.clock.now() });

  interface Enrolling {
    subject: string;
    email: string;
    browser: Browser;
    /** The method page shown before the deadline: its form's CSRF token serves every step of the session. */
    csrf: string;
    /** The authenticator key shown before the deadline (a pending secret). */
    secret: Buffer;
  }

  /** Invited, the link opened and the password set just before the deadline: the enrolment session stays open past it. */
  async function enrolling(userId: string, role: 'user' | 'da' = 'user'): Promise<Enrolling> {
    await seedUser(running.server, running.config, { participantId: 'E00001', userId, status: 'pending', secondFactor: 'none' }, running.clock);
    const user = (await running.server.queries.users.findByLogin('E00001', userId))!;
    if (role === 'da') await running.server.queries.users.setRole(user.id, 'da');
    const email = `${userId.toLowerCase()}@e00001.test`;
    await registerDesignatedEmail(running.server.activation, (await running.server.queries.users.findBySubject(user.id))!, email, operatorActor('test'));
    const browser = new Browser();
    const form = await browser.follow(activationLinkIn(await running.mail.mailTo(email)));
    const password = 'harbour ferry lantern dusk';
    const set = await browser.request(`${running.issuer}/activate/password`, { form: { csrf: inputValue(form.body, 'csrf'), password, confirmation: password } });
    expect(set.status).toBe(303);
    const method = await browser.follow(`${running.issuer}/activate/method`);
    expect(method.status).toBe(200);
    const qr = await browser.follow(`${running.issuer}/activate/enrol-totp`);
    const key = /<code class="manual-key"[^>]*>([A-Z2-7 ]+)<\/code>/.exec(qr.body)?.[1] as string;
    return { subject: user.id, email, browser, csrf: inputValue(method.body, 'csrf'), secret: secretFromUri(`otpauth://totp/x?secret=${key.replace(/ /g, '')}`) };
  }

  /** A user whose card is bound, logged in by smartcard (through the proxy): the page after the card. */
  async function cardLogin(userId: string, card: IssuedCertificate, secondFactor: 'none' | 'totp' = 'none'): Promise<{ subject: string; start: AuthorizationStart; afterCard: Page }> {
    const user = await seedUser(running.server, running.config, { participantId: 'E00001', userId, email: `${userId.toLowerCase()}@e00001.test`, secondFactor }, running.clock);
    await bindDirectly(running.server, user, card);
    const start = await startAuthorization(running.issuer, {}, new Browser({ localAddress: PROXY_ADDRESS }));
    const afterCard = await start.browser.request(new URL(formAction(start.loginPage.body, 'smartcard-login'), start.interactionUrl).toString(), {
      form: { csrf: inputValue(start.loginPage.body, 'csrf') },
      headers: { 'X-SSL-Client-Cert': nginxEscaped(card.pem) },
    });
    expect(afterCard.status).toBe(303);
    return { subject: user.subject, start, afterCard };
  }

  async function keyOffer(start: AuthorizationStart): Promise<{ page: Page; options: PublicKeyCredentialCreationOptionsJSON; key: SoftAuthenticator }> {
    const page = await start.browser.follow(start.interactionUrl);
    expect(page.body).toMatch(/<form[^>]*action="\/interaction\/[^"]+\/register-key"/);
    const options = JSON.parse(/<script type="application\/json" id="webauthn-options">([\s\S]*?)<\/script>/.exec(page.body)?.[1] as string) as PublicKeyCredentialCreationOptionsJSON;
    return { page, options, key: new SoftAuthenticator({ rpId: new URL(running.issuer).hostname, origin: running.issuer, userVerified: true }) };
  }
  const register = (start: AuthorizationStart, page: Page, credential: unknown) =>
    start.browser.request(`${start.interactionUrl}/register-key`, { form: { csrf: inputValue(page.body, 'csrf'), name: 'My key', credential: JSON.stringify(credential) } });
  const keysOf = (subject: string) => database.db('webauthn_credentials').where({ user_id: subject });
  const failures = (type: string, subject: string) =>
    database.db('audit_events').join('users', function () {
      this.on('users.user_id', '=', 'audit_events.user_id').andOn('users.participant_id', '=', 'audit_events.participant_id');
    }).where({ 'audit_events.type': type, 'audit_events.outcome': 'failure', 'users.id': subject }).select('audit_events.details');

  let late: Enrolling;
  let lateDa: Enrolling;
  let excepted: Enrolling;
  let leftOpen: { subject: string; start: AuthorizationStart; offer: Awaited<ReturnType<typeof keyOffer>> };

  beforeAll(async () => {
    // Ten minutes before the deadline: passwords set, a smartcard user's key offer open.
    running.clock.advance(DAY_SECONDS - 600);
    late = await enrolling('LATE');
    lateDa = await enrolling('LATEDA', 'da');
    excepted = await enrolling('EXCEPTED');
    await except(excepted.subject);
    // A minute before it, a smartcard user is offered a key; the page stays open across the deadline.
    running.clock.advance(Math.floor((deadline.getTime() - running.clock.now().getTime()) / 1000) - 60);
    const card = await cardLogin('CARDOPEN', fixture.cards.valid);
    leftOpen = { subject: card.subject, start: card.start, offer: await keyOffer(card.start) };
    running.clock.advance(120);
  });

  describe('in the activation journey, with the enrolment session still open', () => {
    it('shows a clear page instead of the methods: the deadline in Hong Kong time, whom to ask', async () => {
      const page = await late.browser.follow(`${running.issuer}/activate/method`);
      expect(page.status).toBe(403);
      expect(page.body).toContain('<h1>The deadline for setting up one-time codes has passed</h1>');
      expect(page.body).toContain(`You can no longer set up a second factor: HKSCC’s deadline for it was ${html(announcedHongKongTime(deadline, 'en'))}.`);
      expect(page.body).toContain('Ask your Delegated Administrator');
      expect(page.body).not.toContain('name="method"');
    });

    it('says so in Chinese to a Chinese reader', async () => {
      const page = await late.browser.request(`${running.issuer}/activate/method`, { headers: CHINESE });
      expect(page.status).toBe(403);
      expectChinese(page);
      expect(page.body).toContain('<h1>設定一次性密碼的限期已過</h1>');
      expect(page.body).toContain(announcedHongKongTime(deadline, 'zh-Hant'));
    });

    it('enrols nothing from the authenticator app’s confirm post, even with the right code, and audits the refusal', async () => {
      const code = rfc6238(late.secret, running.clock.now().getTime() / 1000);
      const posted = await late.browser.request(`${running.issuer}/activate/enrol-totp`, { form: { csrf: late.csrf, code } });
      expect(posted.status).toBe(403);
      expect(posted.body).toContain('You can no longer set up a second factor');
      const user = await running.server.queries.users.findBySubject(late.subject);
      expect(user?.second_factor).toBeNull();
      expect(await database.db('totp_credentials').where({ user_id: late.subject })).toHaveLength(0);
      expect(await failures('second_factor.enrol', late.subject)).toEqual([expect.objectContaining({ details: expect.objectContaining({ method: 'totp', reason: 'deadline_passed', deadline: deadline.toISOString() }) })]);
    });

    it('sends no emailed code and enrols nothing from the code step', async () => {
      await running.mailSettled();
      const mails = running.mail.countTo(late.email);
      const shown = await late.browser.follow(`${running.issuer}/activate/otp`);
      expect(shown.status).toBe(403);
      const posted = await late.browser.request(`${running.issuer}/activate/otp`, { form: { csrf: late.csrf, code: '123456' } });
      expect(posted.status).toBe(403);
      const resent = await late.browser.request(`${running.issuer}/activate/otp/resend`, { form: { csrf: late.csrf } });
      expect(resent.status).toBe(403);
      await running.mailSettled();
      expect(running.mail.countTo(late.email)).toBe(mails); // no code
      expect((await running.server.queries.users.findBySubject(late.subject))?.second_factor).toBeNull();
    });

    it('sends a Delegated Administrator to HKSCC', async () => {
      const page = await lateDa.browser.follow(`${running.issuer}/activate/method`);
      expect(page.status).toBe(403);
      expect(page.body).toContain('Contact HKSCC on the CCASS Hotline');
      expect(page.body).not.toContain('Ask your Delegated Administrator');
    });

    it('lets a user with a live second_factor_deadline exception enrol as before', async () => {
      const page = await excepted.browser.follow(`${running.issuer}/activate/method`);
      expect(page.status).toBe(200);
      expect(page.body).toContain('name="method"');
      // Told until when, as the login's method choice says it.
      expect(page.body).toContain(`You may still set up your second factor until ${html(announcedHongKongTime(daysFrom(now, 30), 'en'))}.`);
      const code = rfc6238(excepted.secret, running.clock.now().getTime() / 1000);
      const posted = await excepted.browser.request(`${running.issuer}/activate/enrol-totp`, { form: { csrf: excepted.csrf, code } });
      expect(posted.status).toBe(303);
      expect((await running.server.queries.users.findBySubject(excepted.subject))?.second_factor).toBe('totp');
    });
  });

  describe('at the smartcard bridge', () => {
    it('registers no key from an offer left open across the deadline: a clear page, nothing stored, audited', async () => {
      const { start, offer } = leftOpen;
      const posted = await register(start, offer.page, offer.key.register(offer.options));
      expect(posted.status).toBe(403);
      expect(posted.body).toContain('<h1>The deadline for setting up one-time codes has passed</h1>');
      expect(posted.body).toContain(html(announcedHongKongTime(deadline, 'en')));
      expect(await keysOf(leftOpen.subject)).toHaveLength(0);
      expect(await failures('webauthn.register', leftOpen.subject)).toEqual([expect.objectContaining({ details: expect.objectContaining({ reason: 'deadline_passed', vouchedBy: 'smartcard' }) })]);
    });

    it('offers no key to a user without a second factor: the card logs them in', async () => {
      const { subject, start, afterCard } = await cardLogin('CARDLATE', fixture.cards.second);
      expect(new URL(afterCard.headers.get('location') as string, afterCard.url).pathname).not.toMatch(/^\/interaction\//);
      const callback = await followToCallback(start, afterCard);
      const claims = decodeJwt((await exchangeCode(running.http, start, callback)).id_token);
      expect(claims).toMatchObject({ sub: subject, acr: ACR.smartcard });
      expect(await keysOf(subject)).toHaveLength(0);
    });

    it('still offers a key to a user who has a second factor (no first one), and registers it', async () => {
      const { subject, start } = await cardLogin('CARDTOTP', fixture.cards.unbound, 'totp');
      const offer = await keyOffer(start);
      const posted = await register(start, offer.page, offer.key.register(offer.options));
      expect(posted.status).toBe(303);
      expect(await keysOf(subject)).toHaveLength(1);
    });

    it('offers and registers a key for a user with a live second_factor_deadline exception', async () => {
      await database.db('smartcard_bindings').where({ user_id: leftOpen.subject }).del();
      const user = await seedUser(running.server, running.config, { participantId: 'E00001', userId: 'CARDEXC', email: 'cardexc@e00001.test', secondFactor: 'none' }, running.clock);
      await except(user.subject);
      await bindDirectly(running.server, user, fixture.cards.valid);
      const start = await startAuthorization(running.issuer, {}, new Browser({ localAddress: PROXY_ADDRESS }));
      const afterCard = await start.browser.request(new URL(formAction(start.loginPage.body, 'smartcard-login'), start.interactionUrl).toString(), {
        form: { csrf: inputValue(start.loginPage.body, 'csrf') },
        headers: { 'X-SSL-Client-Cert': nginxEscaped(fixture.cards.valid.pem) },
      });
      expect(afterCard.status).toBe(303);
      const offer = await keyOffer(start);
      const posted = await register(start, offer.page, offer.key.register(offer.options));
      expect(posted.status).toBe(303);
      expect(await keysOf(user.subject)).toHaveLength(1);
    });
  });
});

describe('past the email registration deadline: no new activation link from DMS', () => {
  let database: TestDatabase;
  let running: RunningTestServer;
  const now = new Date();
  const deadline = daysFrom(now, 1);
  /** F1's single DA acts directly (sole-DA exemption); F2's two DAs go through maker-checker. */
  const F1 = 'F00001';
  const F2 = 'F00002';
  let dms: DmsSession;
  let maker: DmsSession;
  let checker: DmsSession;

  useTestServer((started) => ({ database, running } = started), {
    phases: { schedule: [{ phase: 'email-registration', from: hongKongText(daysFrom(now, -30)) }, { phase: 'parallel-run', from: hongKongText(daysFrom(now, -10)) }] },
    deadlines: { emailRegistration: hongKongText(deadline) },
    makerChecker: { actions: ['email', 'csv_upload'] },
  });

  const address = (participantId: string, userId: string) => `${userId.toLowerCase()}@${participantId.toLowerCase()}.test`;
  const pending = (participantId: string, userId: string) => seedUser(running.server, running.config, { participantId, userId, status: 'pending', secondFactor: 'none' }, running.clock);
  const except = (subject: string) =>
    running.server.queries.userExceptions.insert({ userId: subject, kind: 'activation_deadline', until: daysFrom(now, 30), reason: 'on leave until the deadline', grantedBy: 'operator:test', at: running.clock.now() });
  const userRow = async (participantId: string, userId: string) => (await running.server.queries.users.findByLogin(participantId, userId))!;
  const tokens = async (participantId: string, userId: string) => database.db('activation_tokens').where({ user_id: (await userRow(participantId, userId)).id });
  const refusals = (participantId: string, userId: string) =>
    database.db('audit_events').where({ type: 'activation.send', outcome: 'failure', participant_id: participantId, user_id: userId }).select('actor', 'details');
  async function mailedTo(to: string): Promise<number> {
    await running.mailSettled();
    return running.mail.countTo(to);
  }
  const deadlineWords = () => html(announcedHongKongTime(deadline, 'en'));

  beforeAll(async () => {
    const da1 = await seedDa(running, F1, 'DA1');
    await database.db('participants').where({ id: F1 }).update({ sole_da_exempt: true });
    const da2a = await seedDa(running, F2, 'DA2A');
    const da2b = await seedDa(running, F2, 'DA2B');
    // Invited before the deadline: RESEND has a link, never used.
    await pending(F1, 'RESEND');
    await registerDesignatedEmail(running.server.activation, await userRow(F1, 'RESEND'), address(F1, 'RESEND'), operatorActor('test'));
    for (const userId of ['LATE', 'CSVLATE']) await pending(F1, userId);
    for (const userId of ['EXCEPTED', 'CSVEXC']) await except((await pending(F1, userId)).subject);
    await seedUser(running.server, running.config, { participantId: F1, userId: 'ACTIVE', email: address(F1, 'ACTIVE') }, running.clock);
    await pending(F2, 'Q1');
    await except((await pending(F2, 'Q2')).subject);
    running.clock.advance(2 * DAY_SECONDS);
    dms = await signInToDms(running, da1);
    maker = await signInToDms(running, da2a);
    checker = await signInToDms(running, da2b);
  });

  it('refuses to register a first address for a user who has not activated: nothing changed or mailed, audited (API)', async () => {
    const response = await dms.api('PUT', '/dms/api/users/LATE/email', { email: address(F1, 'LATE') });
    expect(response.status).toBe(403);
    expect(response.body).toMatchObject({ reason: 'activation_deadline_passed' });
    expect(response.body.message).toContain(`No activation link was sent to LATE: HKSCC’s deadline for activating CCASS logins was ${announcedHongKongTime(deadline, 'en')}.`);
    expect(response.body.message).toContain('exception for the activation deadline');
    expect((await userRow(F1, 'LATE')).email).toBeNull();
    expect(await tokens(F1, 'LATE')).toHaveLength(0);
    expect(await mailedTo(address(F1, 'LATE'))).toBe(0);
    expect(await refusals(F1, 'LATE')).toEqual([{ actor: `da:${F1}/DA1`, details: { reason: 'deadline_passed', deadline: deadline.toISOString() } }]);
  });

  it('says so on the user’s page, in English and in Chinese', async () => {
    const userPage = await dms.browser.follow(`${running.issuer}/dms/users/LATE`);
    const english = await dms.browser.request(`${running.issuer}/dms/users/LATE/email`, { form: { csrf: inputValue(userPage.body, 'csrf'), email: address(F1, 'LATE') } });
    expect(english.status).toBe(403);
    expect(english.body).toContain(`HKSCC’s deadline for activating CCASS logins was ${deadlineWords()}`);
    const chinese = await dms.browser.request(`${running.issuer}/dms/users/LATE/email`, { form: { csrf: inputValue(userPage.body, 'csrf'), email: address(F1, 'LATE') }, headers: CHINESE });
    expect(chinese.status).toBe(403);
    expectChinese(chinese, ['LATE', 'DA1', F1, 'User LATE']);
    expect(chinese.body).toContain('未有向 LATE 發送啟用連結');
    expect(chinese.body).toContain(announcedHongKongTime(deadline, 'zh-Hant'));
    expect((await userRow(F1, 'LATE')).email).toBeNull();
    expect(await mailedTo(address(F1, 'LATE'))).toBe(0);
  });

  it('refuses to resend a link: no new link, nothing mailed, audited', async () => {
    const before = await tokens(F1, 'RESEND');
    const mails = await mailedTo(address(F1, 'RESEND'));
    const response = await dms.api('POST', '/dms/api/users/RESEND/activation');
    expect(response.status).toBe(403);
    expect(response.body).toMatchObject({ reason: 'activation_deadline_passed' });
    expect(await tokens(F1, 'RESEND')).toEqual(before);
    expect(await mailedTo(address(F1, 'RESEND'))).toBe(mails);
    expect(await refusals(F1, 'RESEND')).toHaveLength(1);
  });

  it('refuses to change the address of a user who has not activated (that would mail a new link)', async () => {
    const response = await dms.api('PUT', '/dms/api/users/RESEND/email', { email: 'new-resend@f00001.test' });
    expect(response.status).toBe(403);
    expect((await userRow(F1, 'RESEND')).email).toBe(address(F1, 'RESEND'));
    expect(await mailedTo('new-resend@f00001.test')).toBe(0);
  });

  it('sends the link to a user with a live activation_deadline exception', async () => {
    const response = await dms.api('PUT', '/dms/api/users/EXCEPTED/email', { email: address(F1, 'EXCEPTED') });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ outcome: 'registered', activation: { queued: true } });
    expect(activationLinkIn(await running.mail.mailTo(address(F1, 'EXCEPTED')))).toContain('/activate?token=');
  });

  it('still changes an active user’s address: no link, only the notices', async () => {
    const response = await dms.api('PUT', '/dms/api/users/ACTIVE/email', { email: 'active-new@f00001.test' });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ outcome: 'changed', activation: 'not_needed' });
    expect((await userRow(F1, 'ACTIVE')).email).toBe('active-new@f00001.test');
  });

  it('rejects a CSV row that would mail a new link, with its own problem, and applies the excepted one (in Chinese too)', async () => {
    const csv = `user_id,email\nCSVLATE,${address(F1, 'CSVLATE')}\nCSVEXC,${address(F1, 'CSVEXC')}\n`;
    const response = await dms.api('POST', '/dms/api/uploads', csv, CHINESE);
    expect(response.status).toBe(200);
    expect(response.body.summary).toMatchObject({ registered: 1, rejected: 1 });
    const [late, excepted] = response.body.rows;
    expect(late).toMatchObject({ userId: 'CSVLATE', outcome: 'rejected', problemCodes: [{ code: 'activation_deadline_passed', deadline: deadline.toISOString() }] });
    expect(late.problems[0]).toContain(announcedHongKongTime(deadline, 'zh-Hant'));
    expect(latinSentences(late.problems[0], [])).toEqual([]);
    expect(excepted).toMatchObject({ userId: 'CSVEXC', outcome: 'registered', activationQueued: true });
    expect((await userRow(F1, 'CSVLATE')).email).toBeNull();
    expect(await mailedTo(address(F1, 'CSVLATE'))).toBe(0);
    expect(await mailedTo(address(F1, 'CSVEXC'))).toBe(1);
    expect(await refusals(F1, 'CSVLATE')).toHaveLength(1);
  });

  it('words the row problem in English, naming the deadline in Hong Kong time', () => {
    const words = translator('en')(rowProblemMessage({ code: 'activation_deadline_passed', deadline: deadline.toISOString() }));
    expect(words).toBe(`the deadline for activating CCASS logins was ${announcedHongKongTime(deadline, 'en')}: no activation link was sent and the email was not registered (an exception for the activation deadline lets it through)`);
  });

  it('refuses a maker-checker address change at once, and the preview of an upload rejects the row as applying it would', async () => {
    const proposed = await maker.api('PUT', '/dms/api/users/Q1/email', { email: address(F2, 'Q1') });
    expect(proposed.status).toBe(403);
    expect(proposed.body).toMatchObject({ reason: 'activation_deadline_passed' });
    expect(await database.db('change_requests').where({ participant_id: F2, action: 'email' })).toHaveLength(0);

    const upload = await maker.api('POST', '/dms/api/uploads', `user_id,email\nQ1,${address(F2, 'Q1')}\nQ2,${address(F2, 'Q2')}\n`);
    expect(upload.status).toBe(202);
    const id = upload.body.changeRequest?.id ?? upload.body.id;
    const request = await checker.api('GET', `/dms/api/change-requests/${id}`);
    const rows = request.body.changeRequest?.effect?.rows ?? request.body.effect?.rows ?? request.body.rows;
    expect(rows).toEqual([
      expect.objectContaining({ userId: 'Q1', outcome: 'rejected', problems: [{ code: 'activation_deadline_passed', deadline: deadline.toISOString() }] }),
      expect.objectContaining({ userId: 'Q2', outcome: 'registered' }),
    ]);
    const approved = await checker.api('POST', `/dms/api/change-requests/${id}/approve`);
    expect(approved.status).toBe(200);
    expect((await userRow(F2, 'Q1')).email).toBeNull();
    expect((await userRow(F2, 'Q2')).email).toBe(address(F2, 'Q2'));
    expect(await mailedTo(address(F2, 'Q1'))).toBe(0);
    expect(await mailedTo(address(F2, 'Q2'))).toBe(1);
  });
});

describe('past the email registration deadline: no new activation link from the operator CLI', () => {
  let database: TestDatabase;
  const cli = (args: string[]) => cliRunner({ DATABASE_URL: database.url, CCASS_OPERATOR: 'ops1', DEADLINE_EMAIL_REGISTRATION: '2020-01-01T09:00' })(args);
  const linkMails = (to: string) => database.db('pgboss.job').where({ name: 'mail' }).whereRaw("data->>'to' = ?", [to]);
  const csvFile = async (name: string, text: string) => {
    const file = path.join(tmpdir(), `${name}-${process.pid}-${Date.now()}.csv`);
    await writeFile(file, text);
    return file;
  };

  beforeAll(async () => {
    database = await createTestDatabase();
    expect((await cli(['participant', 'add', 'X01', '--name', 'Late Securities'])).code).toBe(0);
    expect((await cli(['user', 'add', 'X01', 'BOSS', '--name', 'Boss'])).code).toBe(0);
  });
  afterAll(() => database.drop());

  it('rejects an import row that would mail a link (exit 2), changing and mailing nothing; an exception lets it through', async () => {
    const file = await csvFile('late', 'participant_id,user_id,display_name,email\nX01,ALICE,Alice,alice@x01.test\n');
    const refused = await cli(['user', 'import', file]);
    expect(refused.code).toBe(2);
    expect(refused.out).toContain('the deadline for activating CCASS logins was 1 January 2020, 09:00 (Hong Kong time): no activation link was sent');
    expect(await database.db('users').where({ participant_id: 'X01', user_id: 'ALICE' })).toHaveLength(0);
    expect(await linkMails('alice@x01.test')).toHaveLength(0);
    expect(await database.db('audit_events').where({ type: 'activation.send', outcome: 'failure', user_id: 'ALICE' })).toHaveLength(1);

    expect((await cli(['user', 'add', 'X01', 'ALICE', '--name', 'Alice'])).code).toBe(0);
    const until = hongKongText(daysFrom(new Date(), 10));
    expect((await cli(['user', 'exception', 'grant', 'X01', 'ALICE', '--kind', 'activation_deadline', '--until', until, '--reason', 'joined late'])).code).toBe(0);
    const applied = await cli(['user', 'import', file]);
    expect(applied.code).toBe(0);
    expect(await linkMails('alice@x01.test')).toEqual([expect.objectContaining({ data: expect.objectContaining({ kind: 'activation' }) })]);
  });

  it('refuses da add (exit 5, "not allowed now"), naming the exception command; nothing changed', async () => {
    const refused = await cli(['da', 'add', 'X01', 'BOSS', '--email', 'boss@x01.test']);
    expect(refused.code).toBe(5);
    expect(refused.error).toContain('No activation link was sent to user BOSS of participant X01: HKSCC’s deadline for activating CCASS logins was 1 January 2020, 09:00 (Hong Kong time).');
    expect(refused.error).toContain('ccass-auth user exception grant X01 BOSS --kind activation_deadline');
    const [boss] = await database.db('users').where({ participant_id: 'X01', user_id: 'BOSS' });
    expect(boss).toMatchObject({ role: 'user', email: null });
    expect(await linkMails('boss@x01.test')).toHaveLength(0);
    expect(await database.db('audit_events').where({ type: 'activation.send', outcome: 'failure', user_id: 'BOSS' })).toHaveLength(1);
  });
});
