/**
 * The operator's controls over the migration, run in-process against a real database:
 * `phase show|set|clear`, `phase pilot add|remove|list` and `smartcard bind|unbind|list`,
 * each audited, each bad input answered with its exit code and no change.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import Koa from 'koa';
import request from 'supertest';
import { systemClock } from '../../../src/kernel/clock.js';
import { loadConfig } from '../../../src/config/load.js';
import { statusRoutes } from '../../../src/observability/status.js';
import { createPhasePolicy } from '../../../src/policy/phase-policy.js';
import { createQueries } from '../../../src/store/index.js';
import { cliRunner } from '../../support/cli.js';
import { createTestDatabase, type TestDatabase } from '../../support/database.js';
import { createSmartcardFixture, type SmartcardFixture } from '../../support/smartcard.js';
import { daysFrom, DAY_SECONDS, hongKongText } from '../../support/reminders.js';
import { announcedHongKongTime } from '../../../src/i18n/locales.js';

describe('operator CLI: phases and smartcards', () => {
  let database: TestDatabase;
  let fixture: SmartcardFixture;
  let smartcardConfig: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    fixture = await createSmartcardFixture();
    smartcardConfig = path.join(fixture.files.dir, 'config.yaml');
    await writeFile(
      smartcardConfig,
      [
        'phases:',
        '  schedule:',
        '    - { phase: email-registration, from: "2022-12-19" }',
        '    - { phase: parallel-run, from: "2023-05-02T09:00" }',
        '    - { phase: 2fa-only, from: "2099-06-26" }',
        '  pilotParticipants: [p00001]',
        'smartcard:',
        `  caFile: ${fixture.files.caFile}`,
        `  crlFiles: [${fixture.files.crlFile}]`,
        '  proxy: { trustedAddresses: [10.0.0.1] }',
        '',
      ].join('\n'),
    );
  });
  afterAll(() => database.drop());

  const cli = (args: string[], env: Record<string, string> = {}) =>
    cliRunner({ DATABASE_URL: database.url, CCASS_OPERATOR: 'ops1', CONFIG_FILE: smartcardConfig })(args, env);

  describe('phase', () => {
    it('shows the scheduled phase, the next switch in Hong Kong time, and what it allows', async () => {
      const shown = await cli(['phase', 'show']);
      expect(shown.code).toBe(0);
      expect(shown.out).toContain('phase         parallel-run (schedule)');
      expect(shown.out).toContain('next switch   2fa-only at 26 June 2099, 00:00 (Hong Kong time)');
      expect(shown.out).not.toMatch(/\d{4}-\d{2}-\d{2}T/); // no UTC ISO time for people
      expect(shown.out).toContain('smartcard     allowed');
      expect(shown.out).toContain('pilots        P00001');
      const json = JSON.parse((await cli(['phase', 'show', '--json'])).out);
      expect(json).toMatchObject({ phase: 'parallel-run', source: 'schedule', methods: { smartcard: true, twoFactor: true }, enrolment: true, pin: null });
    });

    it('names the deadlines: Hong Kong time in words, passed or the days left and the next reminder day, in both languages and in --json', async () => {
      const secondFactor = daysFrom(new Date(), 10);
      const deadlinesConfig = path.join(fixture.files.dir, 'deadlines.yaml');
      await writeFile(
        deadlinesConfig,
        [
          'phases:',
          '  schedule:',
          '    - { phase: email-registration, from: "2022-12-19" }',
          '    - { phase: parallel-run, from: "2023-05-02T09:00" }',
          '    - { phase: 2fa-only, from: "2099-06-26" }',
          'deadlines:',
          '  emailRegistration: "2023-01-31T18:00"',
          `  secondFactor: "${hongKongText(secondFactor)}"`,
          'reminders: { offsetsDays: [14, 7, 1] }',
          '',
        ].join('\n'),
      );
      const reminder = new Date(secondFactor.getTime() - 7 * DAY_SECONDS * 1000);
      const shown = await cli(['phase', 'show'], { CONFIG_FILE: deadlinesConfig });
      expect(shown.code).toBe(0);
      expect(shown.out).toContain('deadlines     Email registration: designated emails activated: 31 January 2023, 18:00 (Hong Kong time), passed\n');
      expect(shown.out).toContain(`              Second factor: one-time codes set up: ${announcedHongKongTime(secondFactor, 'en')} (10 days left); next reminder ${announcedHongKongTime(reminder, 'en')}\n`);
      expect(shown.out).not.toMatch(/\d{4}-\d{2}-\d{2}T/);

      const chinese = await cli(['--lang', 'zh-Hant', 'phase', 'show'], { CONFIG_FILE: deadlinesConfig });
      expect(chinese.code).toBe(0);
      expect(chinese.out).toContain('電郵登記：啟用指定電郵地址：2023年1月31日 18:00（香港時間），已過');
      expect(chinese.out).toContain(`第二重認證：設定一次性密碼：${announcedHongKongTime(secondFactor, 'zh-Hant')}（尚餘 10 日）；下次提示：${announcedHongKongTime(reminder, 'zh-Hant')}`);
      expect(chinese.out).not.toMatch(/Email registration|passed|days left/);

      const json = JSON.parse((await cli(['phase', 'show', '--json'], { CONFIG_FILE: deadlinesConfig })).out);
      expect(json.deadlines).toEqual({
        emailRegistration: { at: '2023-01-31T10:00:00.000Z', passed: true, daysLeft: 0, nextReminder: null },
        secondFactor: { at: secondFactor.toISOString(), passed: false, daysLeft: 10, nextReminder: reminder.toISOString() },
      });

      // No deadline set: secondFactor is the start of 2fa-only, far ahead, its first reminder 14 days before it.
      const far = await cli(['phase', 'show']);
      expect(far.out).toContain('Second factor: one-time codes set up: 26 June 2099, 00:00 (Hong Kong time) (');
      expect(far.out).toContain('next reminder 12 June 2099, 00:00 (Hong Kong time)');
      expect(JSON.parse((await cli(['phase', 'show', '--json'])).out).deadlines).toMatchObject({ emailRegistration: null, secondFactor: { at: '2099-06-25T16:00:00.000Z', passed: false } });
      expect((await cli(['phase', 'show'], { CONFIG_FILE: 'config/default.yaml' })).out).toContain('deadlines     none configured\n');
    });

    it('says what GET /status says about smartcards: allowed by the phase but refused on a server without smartcard.caFile', async () => {
      const status = async (configFile: string) => {
        const config = loadConfig({ file: configFile, env: {} });
        const policy = createPhasePolicy({ ...config.phases, refreshSeconds: 0 }, createQueries(database.db).phaseControls, systemClock);
        const app = new Koa().use(statusRoutes(policy, Boolean(config.smartcard.caFile)).routes());
        return (await request(app.callback()).get('/status')).body as { methods: { smartcard: boolean } };
      };
      // The development configuration: no schedule (parallel-run allows smartcards), no smartcard CA.
      const plain = await cli(['phase', 'show'], { CONFIG_FILE: 'config/default.yaml' });
      expect(plain.out).toContain('smartcard     allowed by the phase, but not configured on this server (no smartcard.caFile): smartcard logins are refused');
      const plainJson = JSON.parse((await cli(['phase', 'show', '--json'], { CONFIG_FILE: 'config/default.yaml' })).out);
      expect(plainJson).toMatchObject({ methods: { smartcard: false }, smartcard: { allowedByPhase: true, configured: false } });
      expect((await status('config/default.yaml')).methods.smartcard).toBe(false);

      const configured = JSON.parse((await cli(['phase', 'show', '--json'])).out);
      expect(configured).toMatchObject({ methods: { smartcard: true }, smartcard: { allowedByPhase: true, configured: true } });
      expect((await status(smartcardConfig)).methods.smartcard).toBe(true);
    });

    it('pins a phase until a Hong Kong time, shows who pinned it, and audits set and clear', async () => {
      const set = await cli(['phase', 'set', '2fa-only', '--until', '2099-01-31T18:00', '--reason', 'cut-off brought forward']);
      expect(set.code).toBe(0);
      expect(set.out).toContain('phase pinned: 2fa-only until 31 January 2099, 18:00 (Hong Kong time)');
      expect(set.out).toContain('then: parallel-run from 31 January 2099, 18:00 (Hong Kong time)');
      expect((await cli(['phase', 'show'])).out).toContain('pinned        2fa-only until 31 January 2099, 18:00 (Hong Kong time), by operator:ops1 (reason: cut-off brought forward)');
      const json = JSON.parse((await cli(['phase', 'show', '--json'])).out);
      expect(json).toMatchObject({ phase: '2fa-only', source: 'operator', pin: { phase: '2fa-only', until: '2099-01-31T10:00:00.000Z', setBy: 'operator:ops1', reason: 'cut-off brought forward' } });

      const cleared = await cli(['phase', 'clear']);
      expect(cleared).toMatchObject({ code: 0, out: 'pin cleared; phase in force: parallel-run (schedule)\n' });
      expect(await cli(['phase', 'clear'])).toMatchObject({ code: 3, error: expect.stringMatching(/no phase is pinned/i) });

      const events = await database.db('audit_events').whereIn('type', ['phase.pin', 'phase.clear']).orderBy('id');
      expect(events.map((event) => [event.type, event.actor])).toEqual([
        ['phase.pin', 'operator:ops1'],
        ['phase.clear', 'operator:ops1'],
      ]);
      expect(events[0].details).toMatchObject({ pin: { phase: '2fa-only', until: '2099-01-31T10:00:00.000Z' }, previous: null, reason: 'cut-off brought forward' });
    });

    it.each([
      [['phase', 'set', 'smartcard-forever'], /smartcard-only, email-registration, parallel-run, 2fa-only/],
      [['phase', 'set', 'parallel-run', '--until', '2020-01-01'], /must be later than now/],
      [['phase', 'set', 'parallel-run', '--until', '31/01/2099'], /must be a Hong Kong date or time/],
    ])('refuses %j with exit code 2 and pins nothing', async (args, message) => {
      const result = await cli(args);
      expect(result.code).toBe(2);
      expect(result.error).toMatch(message);
      expect(result.error?.match(new RegExp(message.source, 'g'))).toHaveLength(1);
      expect(result.error).not.toMatch(/unknown_phase|invalid_time|not_later_than_now/); // the fields' codes are for programs
      expect(await database.db('phase_pins').count({ n: '*' }).first()).toEqual({ n: 0 });
    });

    it('adds and removes pilot participants, refusing unknown ones', async () => {
      expect((await cli(['participant', 'add', 'B01234', '--name', 'Pilot Securities'])).code).toBe(0);
      expect(await cli(['phase', 'pilot', 'add', 'b01234'])).toMatchObject({ code: 0, out: 'B01234 is now a pilot participant\n' });
      expect((await cli(['phase', 'pilot', 'add', 'B01234'])).out).toBe('B01234 was already a pilot participant\n');
      expect((await cli(['phase', 'pilot', 'list'])).out).toMatch(/^P00001 {2}\(configuration\)\nB01234 {2}added .* by operator:ops1\n$/);
      expect((await cli(['phase', 'pilot', 'add', 'Z99999'])).code).toBe(3);
      expect(await cli(['phase', 'pilot', 'remove', 'B01234'])).toMatchObject({ code: 0 });
      expect((await cli(['phase', 'pilot', 'remove', 'B01234'])).code).toBe(3);
      const types = (await database.db('audit_events').where('type', 'like', 'phase.pilot%').orderBy('id')).map((event) => event.type);
      expect(types).toEqual(['phase.pilot_add', 'phase.pilot_remove']);
    });
  });

  describe('smartcard', () => {
    const card = (name: keyof SmartcardFixture['cards']) => path.join(fixture.files.dir, `${name}.pem`);

    beforeAll(async () => {
      for (const [name, issued] of Object.entries(fixture.cards)) await writeFile(card(name as keyof SmartcardFixture['cards']), issued.pem);
      expect((await cli(['participant', 'add', 'C00001', '--name', 'Card Securities'])).code).toBe(0);
      expect((await cli(['user', 'add', 'C00001', 'TRADER1', '--name', 'Chan Tai Man'])).code).toBe(0);
      expect((await cli(['user', 'add', 'C00001', 'TRADER2', '--name', 'Lee Siu Ming'])).code).toBe(0);
    });

    it('binds a valid card to exactly one user, by fingerprint, and audits it', async () => {
      const bound = await cli(['smartcard', 'bind', 'c00001', 'trader1', card('valid')]);
      expect(bound.code).toBe(0);
      expect(bound.out).toMatch(/^smartcard [0-9a-f]{64} \(serial [0-9A-F]+\) bound to TRADER1 at C00001; valid until \d+ \w+ \d{4}, \d{2}:\d{2} \(Hong Kong time\)\n$/);
      expect(await cli(['smartcard', 'bind', 'C00001', 'TRADER1', card('valid')])).toMatchObject({ code: 4, error: expect.stringContaining('already bound to TRADER1') });
      expect(await cli(['smartcard', 'bind', 'C00001', 'TRADER2', card('valid')])).toMatchObject({ code: 4, error: expect.stringContaining('bound to another user (TRADER1 at C00001)') });
      const listed = JSON.parse((await cli(['smartcard', 'list', 'C00001', 'TRADER1', '--json'])).out);
      expect(listed).toHaveLength(1);
      const audit = await database.db('audit_events').where({ type: 'smartcard.bind' }).first();
      expect(audit).toMatchObject({ actor: 'operator:ops1', participant_id: 'C00001', user_id: 'TRADER1' });
      expect(audit.details.fingerprint).toBe(listed[0].fingerprint);
    });

    it.each([
      ['expired', /expired/],
      ['foreign', /untrusted_issuer/],
      ['revoked', /revoked/],
      ['notForSigning', /key_usage_not_for_signing/],
    ] as const)('refuses to bind the %s card (exit 2)', async (name, reason) => {
      const result = await cli(['smartcard', 'bind', 'C00001', 'TRADER2', card(name)]);
      expect(result.code).toBe(2);
      expect(result.error).toMatch(reason);
    });

    it('refuses a file that is no certificate (2), a file that is not there (3), and an unknown user (3)', async () => {
      expect((await cli(['smartcard', 'bind', 'C00001', 'TRADER2', fixture.files.crlFile])).code).toBe(2);
      expect(await cli(['smartcard', 'bind', 'C00001', 'TRADER2', path.join(fixture.files.dir, 'missing.pem')])).toMatchObject({ code: 3, error: expect.stringContaining('file not found') });
      expect((await cli(['smartcard', 'bind', 'C00001', 'NOBODY', card('unbound')])).code).toBe(3);
    });

    it('refuses to bind when smartcard login is not configured (exit 5)', async () => {
      const result = await cli(['smartcard', 'bind', 'C00001', 'TRADER2', card('unbound')], { CONFIG_FILE: 'config/default.yaml' });
      expect(result).toMatchObject({ code: 5, error: expect.stringMatching(/smartcard login is not configured \(smartcard\.caFile\)/i) });
    });

    it('unbinds one card by its file, or all with --all, and asks which when given neither', async () => {
      expect((await cli(['smartcard', 'unbind', 'C00001', 'TRADER1'])).code).toBe(2);
      expect((await cli(['smartcard', 'unbind', 'C00001', 'TRADER1', card('second')])).code).toBe(3);
      expect((await cli(['smartcard', 'bind', 'C00001', 'TRADER1', card('second')])).code).toBe(0);
      expect((await cli(['smartcard', 'unbind', 'C00001', 'TRADER1', card('valid')])).out).toMatch(/^smartcard [0-9a-f]{64} unbound\n$/);
      expect((await cli(['smartcard', 'unbind', 'C00001', 'TRADER1', '--all'])).code).toBe(0);
      expect((await cli(['smartcard', 'list', 'C00001', 'TRADER1'])).out).toBe('no smartcards\n');
      expect(await database.db('audit_events').where({ type: 'smartcard.unbind' }).count({ n: '*' }).first()).toEqual({ n: 2 });
    });
  });
});
