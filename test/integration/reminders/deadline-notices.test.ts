/**
 * The deadlines where users meet them: the login page names a deadline from the day of its
 * first reminder (the largest offset) until it passes, in the reader's language; past a
 * deadline, a user whose exception lifts it is told until when — on the activation password
 * page (activation_deadline) and on the method choice of a login that enrols (second_factor_deadline).
 */
import { operatorActor } from '../../../src/kernel/actor.js';
import { registerDesignatedEmail } from '../../../src/enrolment/activation-links.js';
import { announcedHongKongTime } from '../../../src/i18n/locales.js';
import { Browser, type Page } from '../../support/browser.js';
import { activationLinkIn, seedDa, signInToDms } from '../../support/dms.js';
import { latinSentences } from '../../support/latin-sentences.js';
import { passwordStep, startAuthorization, submitCode } from '../../support/flows.js';
import { DAY_SECONDS, daysFrom, hongKongText } from '../../support/reminders.js';
import { seedUser, TERMINAL, useTestServer, type RunningTestServer } from '../../support/server.js';
import { codeIn } from '../../support/smtp-sink.js';

const CHINESE = { 'accept-language': 'zh-HK,zh;q=0.9,en;q=0.5' };

function expectChinese(page: Page, names: readonly string[] = []): void {
  expect(page.body).toContain('<html lang="zh-Hant-HK">');
  expect(latinSentences(page.body, ['CCASS', 'HKSCC', 'DMS', TERMINAL.clientId, ...names])).toEqual([]);
}

const noticeOf = (page: Page, id: string) => new RegExp(`id="${id}">([^<]*)<`).exec(page.body)?.[1];

describe('deadline notices', () => {
  let running: RunningTestServer;
  const now = new Date();
  const emailDeadline = daysFrom(now, 20);
  const secondFactorDeadline = daysFrom(now, 30);
  const cutOff = daysFrom(now, 40);
  const exceptionUntil = daysFrom(now, 60);

  useTestServer((started) => ({ running } = started), {
    phases: {
      schedule: [
        { phase: 'email-registration', from: hongKongText(daysFrom(now, -30)) },
        { phase: 'parallel-run', from: hongKongText(daysFrom(now, -10)) },
        { phase: '2fa-only', from: hongKongText(cutOff) },
      ],
    },
    deadlines: { emailRegistration: hongKongText(emailDeadline), secondFactor: hongKongText(secondFactorDeadline) },
    reminders: { offsetsDays: [14, 7, 1] },
    activation: { ttlHours: 168 },
  });

  const loginPage = async (headers: Record<string, string> = {}) => (await startAuthorization(running.issuer, {}, new Browser({}, headers))).loginPage;
  const except = (userId: string, kind: 'activation_deadline' | 'second_factor_deadline') =>
    running.server.queries.userExceptions.insert({ userId, kind, until: exceptionUntil, reason: 'on leave until the deadline', grantedBy: 'operator:test', at: running.clock.now() });

  it('names no deadline further away than the first reminder', async () => {
    const page = await loginPage();
    expect(page.status).toBe(200);
    expect(page.body).not.toContain('id="deadline-notice"');
  });

  describe('within 14 days of the email registration deadline', () => {
    beforeAll(() => running.clock.advance(10 * DAY_SECONDS));

    it('names it on the login page, in English and in Chinese', async () => {
      expect(noticeOf(await loginPage(), 'deadline-notice')).toBe(`Designated emails must be activated by ${announcedHongKongTime(emailDeadline, 'en')}: open the activation link sent to yours before then.`);
      const chinese = await loginPage(CHINESE);
      expectChinese(chinese);
      expect(noticeOf(chinese, 'deadline-notice')).toBe(`指定電郵地址須於${announcedHongKongTime(emailDeadline, 'zh-Hant')}前啟用：請於限期前開啟發送至您指定電郵地址的啟用連結。`);
    });
  });

  describe('past the email registration deadline, 9 days before the second-factor one', () => {
    let link: string;
    beforeAll(async () => {
      // Invited (and excepted) 6 days before opening the link: within the link's 7 days.
      running.clock.advance(5 * DAY_SECONDS);
      await seedUser(running.server, running.config, { participantId: 'D00001', userId: 'EXCEPTED', status: 'pending', secondFactor: 'none' }, running.clock);
      const user = (await running.server.queries.users.findByLogin('D00001', 'EXCEPTED'))!;
      await registerDesignatedEmail(running.server.activation, user, 'excepted@d00001.test', operatorActor('test'));
      link = activationLinkIn(await running.mail.mailTo('excepted@d00001.test'));
      await except(user.id, 'activation_deadline');
      running.clock.advance(6 * DAY_SECONDS);
    });

    it('names the second-factor deadline on the login page (the phase banner names the end of smartcards)', async () => {
      const page = await loginPage();
      expect(noticeOf(page, 'deadline-notice')).toBe(`One-time codes must be set up by ${announcedHongKongTime(secondFactorDeadline, 'en')}.`);
      expect(noticeOf(page, 'phase-banner')).toContain(announcedHongKongTime(cutOff, 'en'));
      const chinese = await loginPage(CHINESE);
      expectChinese(chinese);
      expect(noticeOf(chinese, 'deadline-notice')).toBe(`一次性密碼須於${announcedHongKongTime(secondFactorDeadline, 'zh-Hant')}前設定。`);
    });

    it('tells a user whose exception lets them activate until when, on the password page', async () => {
      const page = await new Browser().follow(link);
      expect(page.status).toBe(200);
      expect(page.body).toContain('name="password"');
      expect(noticeOf(page, 'exception-notice')).toBe(`You may still activate your CCASS login with your activation link until ${announcedHongKongTime(exceptionUntil, 'en')}.`);
      const chinese = await new Browser({}, CHINESE).follow(link);
      expectChinese(chinese);
      expect(noticeOf(chinese, 'exception-notice')).toBe(`您仍可使用啟用連結啟用您的中央結算系統帳戶，直至${announcedHongKongTime(exceptionUntil, 'zh-Hant')}。`);
    });

    it('shows the deadlines on the DMS readiness page and in its API: passed, days left, and which one each not-ready count concerns', async () => {
      const da = await seedDa(running, 'D00001', 'ADMIN');
      await seedUser(running.server, running.config, { participantId: 'D00001', userId: 'NOFACTOR', email: 'nofactor@d00001.test', secondFactor: 'none' }, running.clock);
      const dms = await signInToDms(running, da);
      const page = await dms.browser.request(`${running.issuer}/dms/readiness`);
      expect(page.status).toBe(200);
      const table = page.body.slice(page.body.indexOf('id="readiness-deadlines"'), page.body.indexOf('id="readiness-not-ready"'));
      expect(table).toContain(`<th scope="row">Email registration: designated emails activated</th><td>By ${announcedHongKongTime(emailDeadline, 'en')}</td><td>Passed</td><td>1</td>`);
      expect(table).toContain(`<th scope="row">Second factor: one-time codes set up</th><td>By ${announcedHongKongTime(secondFactorDeadline, 'en')}</td><td>9</td><td>1</td>`);
      const notReady = page.body.slice(page.body.indexOf('id="readiness-not-ready"'));
      expect(notReady).toContain(`Activation email sent</a></th><td>1</td><td>Email registration: designated emails activated: ${announcedHongKongTime(emailDeadline, 'en')}</td>`);
      expect(notReady).toContain(`Password set, no second factor</a></th><td>1</td><td>Second factor: one-time codes set up: ${announcedHongKongTime(secondFactorDeadline, 'en')}</td>`);

      const chinese = await signInToDms(running, da, new Browser({}, CHINESE));
      const zh = await chinese.browser.request(`${running.issuer}/dms/readiness`);
      expectChinese(zh, ['ADMIN', 'D00001', 'CSV', 'EXCEPTED', 'NOFACTOR', 'User', 'on leave until the deadline']); // the fixture's names and exception reason
      expect(zh.body).toContain(`<td>${announcedHongKongTime(secondFactorDeadline, 'zh-Hant')}前</td><td>9</td>`);
      expect(zh.body).toContain('<td>已過</td>');

      const api = await dms.api('GET', '/dms/api/readiness');
      expect(api.body.deadlines).toEqual({ emailRegistration: { at: emailDeadline.toISOString(), passed: true }, secondFactor: { at: secondFactorDeadline.toISOString(), passed: false } });
    });
  });

  describe('past the second-factor deadline', () => {
    beforeAll(() => running.clock.advance(10 * DAY_SECONDS));

    it('names no passed deadline on the login page', async () => {
      expect((await loginPage()).body).not.toContain('id="deadline-notice"');
    });

    it.each([
      ['English', {}, `You may still set up your second factor until ${announcedHongKongTime(exceptionUntil, 'en')}.`],
      ['Chinese', CHINESE, `您仍可設定第二重認證，直至${announcedHongKongTime(exceptionUntil, 'zh-Hant')}。`],
    ] as const)('tells a user with a second_factor_deadline exception until when, on the method choice (%s)', async (language, headers, notice) => {
      const userId = `LATE${language.toUpperCase().slice(0, 2)}`;
      const email = `${userId.toLowerCase()}@d00001.test`;
      const user = await seedUser(running.server, running.config, { participantId: 'D00001', userId, email, secondFactor: 'none' }, running.clock);
      await except(user.subject, 'second_factor_deadline');
      const start = await startAuthorization(running.issuer, {}, new Browser({}, headers));
      const codePage = await passwordStep(start, { participantId: user.participantId, userId: user.userId, password: user.password });
      expect(codePage.body).toContain('name="code"');
      const accepted = await submitCode(start, codePage, codeIn(await running.mail.mailTo(email)));
      expect(accepted.status).toBe(303);
      const choice = await start.browser.follow(new URL(accepted.headers.get('location') as string, accepted.url).toString());
      expect(choice.body).toContain('name="method"');
      expect(noticeOf(choice, 'method-notice')).toBe(notice);
      if (language === 'Chinese') expectChinese(choice, ['Google Authenticator', 'Microsoft Authenticator']); // the apps' names
    });
  });
});
