/**
 * What a passed deadline stops, and for whom it does not: past the email registration deadline
 * an activation link opens a page saying so and whom to ask (in the reader's language), unless
 * the user has a live activation_deadline exception; past the second-factor deadline a user
 * with no second factor is told so at login instead of being led to enrol, unless they have a
 * live second_factor_deadline exception. Users already set up log in as before.
 */
import { operatorActor } from '../../../src/kernel/actor.js';
import { registerDesignatedEmail } from '../../../src/enrolment/activation-links.js';
import { Browser, inputValue, type Page } from '../../support/browser.js';
import { activationLinkIn } from '../../support/dms.js';
import { latinSentences } from '../../support/latin-sentences.js';
import { passwordStep, startAuthorization } from '../../support/flows.js';
import { DAY_SECONDS, daysFrom, hongKongText } from '../../support/reminders.js';
import { seedUser, TERMINAL, useTestServer, type RunningTestServer } from '../../support/server.js';

const CHINESE = { 'accept-language': 'zh-HK,zh;q=0.9,en;q=0.5' };

function expectChinese(page: Page): void {
  expect(page.body).toContain('<html lang="zh-Hant-HK">');
  expect(latinSentences(page.body, ['CCASS', 'HKSCC', 'DMS', TERMINAL.clientId])).toEqual([]);
}

describe('deadlines enforced', () => {
  let running: RunningTestServer;
  const now = new Date();
  const emailDeadline = daysFrom(now, 2);
  const secondFactorDeadline = daysFrom(now, 4);

  useTestServer((started) => ({ running } = started), {
    phases: { schedule: [{ phase: 'email-registration', from: hongKongText(daysFrom(now, -30)) }, { phase: 'parallel-run', from: hongKongText(daysFrom(now, -10)) }] },
    deadlines: { emailRegistration: hongKongText(emailDeadline), secondFactor: hongKongText(secondFactorDeadline) },
    activation: { ttlHours: 168 },
  });

  async function invite(userId: string, role: 'user' | 'da' = 'user'): Promise<{ subject: string; link: string }> {
    await seedUser(running.server, running.config, { participantId: 'D00001', userId, status: 'pending', secondFactor: 'none' }, running.clock);
    let user = (await running.server.queries.users.findByLogin('D00001', userId))!;
    if (role === 'da') {
      await running.server.queries.users.setRole(user.id, 'da');
      user = (await running.server.queries.users.findByLogin('D00001', userId))!;
    }
    const email = `${userId.toLowerCase()}@d00001.test`;
    await registerDesignatedEmail(running.server.activation, user, email, operatorActor('test'));
    return { subject: user.id, link: activationLinkIn(await running.mail.mailTo(email)) };
  }
  const except = (userId: string, kind: 'activation_deadline' | 'second_factor_deadline') =>
    running.server.queries.userExceptions.insert({ userId, kind, until: daysFrom(now, 30), reason: 'on leave until the deadline', grantedBy: 'operator:test', at: running.clock.now() });

  let late: Awaited<ReturnType<typeof invite>>;
  let excepted: Awaited<ReturnType<typeof invite>>;
  let lateDa: Awaited<ReturnType<typeof invite>>;

  beforeAll(async () => {
    late = await invite('LATE');
    lateDa = await invite('LATEDA', 'da');
    excepted = await invite('EXCEPTED');
    await except(excepted.subject, 'activation_deadline');
  });

  it('lets an activation link work until the deadline', async () => {
    const landing = await new Browser().request(late.link);
    expect(landing.status).toBe(303);
  });

  describe('past the email registration deadline', () => {
    beforeAll(() => running.clock.advance(3 * DAY_SECONDS));

    it('says the link no longer works, when the deadline was and whom to ask', async () => {
      const page = await new Browser().follow(late.link);
      expect(page.status).toBe(403);
      expect(page.body).toContain('<h1>The deadline for activating has passed</h1>');
      expect(page.body).toContain('HKSCC’s deadline for activating CCASS logins was');
      expect(page.body).toContain('(Hong Kong time)');
      expect(page.body).toContain('Ask your Delegated Administrator');
      expect(page.headers.get('set-cookie') ?? '').not.toContain('ccass_activation=');
    });

    it('sends a Delegated Administrator to HKSCC, not to themselves', async () => {
      const page = await new Browser().follow(lateDa.link);
      expect(page.status).toBe(403);
      expect(page.body).toContain('Contact HKSCC on the CCASS Hotline');
      expect(page.body).not.toContain('Ask your Delegated Administrator');
    });

    it('refuses the password form posted after the deadline by a browser that opened the link before it', async () => {
      // Opened in time: the token moved into the activation cookie.
      running.clock.advance(-3 * DAY_SECONDS);
      const browser = new Browser();
      const form = await browser.follow(late.link);
      running.clock.advance(3 * DAY_SECONDS);
      expect(form.status).toBe(200);
      const posted = await browser.request(`${running.issuer}/activate/password`, { form: { csrf: inputValue(form.body, 'csrf'), password: 'clear water bay sunset', confirmation: 'clear water bay sunset' } });
      expect(posted.status).toBe(403);
      expect(posted.body).toContain('The deadline for activating has passed');
      expect((await running.server.queries.users.findByLogin('D00001', 'LATE'))?.password_hash).toBeNull();
    });

    it('says so in Chinese to a Chinese reader', async () => {
      const page = await new Browser({}, CHINESE).follow(late.link);
      expect(page.status).toBe(403);
      expectChinese(page);
      expect(page.body).toContain('<h1>啟用限期已過</h1>');
      expect(page.body).toContain('（香港時間）');
    });

    it('still opens the link of a user with a live activation_deadline exception', async () => {
      const page = await new Browser().follow(excepted.link);
      expect(page.status).toBe(200);
      expect(page.body).toContain('name="password"');
    });
  });

  describe('past the second-factor deadline', () => {
    beforeAll(() => running.clock.advance(2 * DAY_SECONDS));

    it('tells a user without a second factor at login that enrolment is closed, in both languages', async () => {
      const user = await seedUser(running.server, running.config, { participantId: 'D00001', userId: 'NOCODES', email: 'nocodes@d00001.test', secondFactor: 'none' }, running.clock);
      const english = await passwordStep(await startAuthorization(running.issuer), { participantId: user.participantId, userId: user.userId, password: user.password });
      expect(english.status).toBe(403);
      expect(english.body).toContain('<h1>The deadline for setting up one-time codes has passed</h1>');
      expect(english.body).toContain('Ask your Delegated Administrator');
      expect(running.mail.countTo('nocodes@d00001.test')).toBe(0); // no enrolment code sent

      const chinese = await passwordStep(await startAuthorization(running.issuer, {}, new Browser({}, CHINESE)), { participantId: user.participantId, userId: user.userId, password: user.password });
      expect(chinese.status).toBe(403);
      expectChinese(chinese);
      expect(chinese.body).toContain('<h1>設定一次性密碼的限期已過</h1>');
    });

    it('leads a user with a live second_factor_deadline exception to enrol as before', async () => {
      const user = await seedUser(running.server, running.config, { participantId: 'D00001', userId: 'LATECODES', email: 'latecodes@d00001.test', secondFactor: 'none' }, running.clock);
      await except(user.subject, 'second_factor_deadline');
      const page = await passwordStep(await startAuthorization(running.issuer), { participantId: user.participantId, userId: user.userId, password: user.password });
      expect(page.status).toBe(200);
      expect(page.body).toContain('name="code"');
    });

    it('lets a user who has a second factor log in as before', async () => {
      const user = await seedUser(running.server, running.config, { participantId: 'D00001', userId: 'SETUP', email: 'setup@d00001.test' }, running.clock);
      const page = await passwordStep(await startAuthorization(running.issuer), { participantId: user.participantId, userId: user.userId, password: user.password });
      expect(page.status).toBe(200);
      expect(page.body).toContain('name="code"');
    });
  });
});
