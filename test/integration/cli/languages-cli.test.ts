/**
 * The CLI in the operator's language: `--lang en|zh-Hant`, else LC_ALL / LC_MESSAGES / LANG
 * (any Chinese is Traditional), else English. Every sentence, heading and refusal comes from
 * the catalogue, and times are Hong Kong time in words, never UTC ISO strings.
 */
import { cliLocale, localeOfEnvironment } from '../../../src/cli/locale.js';
import { displayWidth } from '../../../src/cli/output.js';
import { cliEn, cliZhHant } from '../../../src/i18n/messages/cli.js';
import { cliRunner } from '../../support/cli.js';
import { createTestDatabase, type TestDatabase } from '../../support/database.js';

/** English sentences of the CLI's catalogue that no Chinese output may contain. */
const ENGLISH_SENTENCES = Object.entries(cliEn)
  .map(([key, text]) => ({ key, words: text.split(/\{\w+\}/).map((part) => part.trim()) }))
  .flatMap(({ key, words }) => words.filter((part) => part.split(' ').length >= 3 && cliZhHant[key as keyof typeof cliEn] !== cliEn[key as keyof typeof cliEn]));

function englishIn(text: string): string[] {
  return ENGLISH_SENTENCES.filter((sentence) => text.includes(sentence));
}

describe('choosing the CLI language', () => {
  it('takes --lang first, then LC_ALL, LC_MESSAGES, LANG, else English', () => {
    expect(cliLocale(['--lang', 'zh-Hant', 'user', 'list'], { LANG: 'en_GB.UTF-8' })).toEqual({ locale: 'zh-Hant' });
    expect(cliLocale(['user', 'list', '--lang=en'], { LANG: 'zh_HK.UTF-8' })).toEqual({ locale: 'en' });
    expect(cliLocale(['--lang', 'zh-HK'], {})).toEqual({ locale: 'zh-Hant' });
    expect(cliLocale(['--lang', 'fr'], { LANG: 'zh_TW.UTF-8' })).toEqual({ locale: 'zh-Hant', invalid: 'fr' });
    // After "--" nothing is an option.
    expect(cliLocale(['user', 'add', '--', '--lang', 'zh-Hant'], {})).toEqual({ locale: 'en' });
    expect(localeOfEnvironment({ LANG: 'zh_HK.UTF-8' })).toBe('zh-Hant');
    expect(localeOfEnvironment({ LANG: 'zh_CN.UTF-8' })).toBe('zh-Hant');
    expect(localeOfEnvironment({ LC_ALL: 'en_US.UTF-8', LANG: 'zh_HK.UTF-8' })).toBe('en');
    expect(localeOfEnvironment({ LC_ALL: '', LC_MESSAGES: 'zh_HK', LANG: 'en_GB' })).toBe('zh-Hant');
    expect(localeOfEnvironment({ LANG: 'C' })).toBe('en');
    expect(localeOfEnvironment({ LANG: 'fr_FR.UTF-8' })).toBe('en');
    expect(localeOfEnvironment({})).toBe('en');
  });
});

describe('operator CLI in Traditional Chinese', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(() => database.drop());

  const cli = (args: string[], env: Record<string, string> = {}, stdin = '') => cliRunner({ DATABASE_URL: database.url, CCASS_OPERATOR: 'ops1' }, () => stdin)(args, env);
  const zh = (args: string[], stdin = '') => cli(['--lang', 'zh-Hant', ...args], {}, stdin);

  it('answers in Chinese with --lang zh-Hant or a Chinese LANG, and in English with --lang en', async () => {
    expect(await zh(['participant', 'add', 'B01234', '--name', 'Example Securities Ltd'])).toMatchObject({ code: 0, out: '已新增參與者 B01234\n' });
    expect(await cli(['user', 'add', 'B01234', 'ALICE', '--name', 'Alice Chan'], { LANG: 'zh_HK.UTF-8' })).toMatchObject({ code: 0, out: '已將用戶 ALICE 新增至 B01234（狀態：待啟用）\n' });
    expect(await cli(['--lang', 'en', 'user', 'add', 'B01234', 'BOB', '--name', 'Bob Lee'], { LANG: 'zh_HK.UTF-8' })).toMatchObject({ code: 0, out: 'user BOB added to B01234 (status pending)\n' });
    expect(await cli(['user', 'unlock', 'B01234', 'BOB'], { LANG: 'zh_HK.UTF-8', LC_ALL: 'en_GB.UTF-8' })).toMatchObject({ out: 'user BOB at B01234 is unlocked\n' });
  });

  it('refuses in Chinese, with the same exit codes, once', async () => {
    const unknown = await zh(['user', 'add', 'Z99999', 'BOB', '--name', 'Bob']);
    expect(unknown).toMatchObject({ code: 3, out: '' });
    expect(unknown.err).toMatch(/^錯誤：參與者 Z99999 並不存在/);
    expect(unknown.err.match(/錯誤：/g)).toHaveLength(1);
    expect(await zh(['user', 'set-password', 'B01234', 'ALICE'], 'long enough password 1\nanother password 2\n')).toMatchObject({ code: 2, error: '經管道輸入的第二行（確認）與第一行不相同；未有作出任何更改' });
    expect(await zh(['user', 'import', '/no/such/file.csv'])).toMatchObject({ code: 3, error: '找不到檔案：/no/such/file.csv' });
    const usage = await zh(['user', 'add', 'B01234', 'CAROL']);
    expect(usage).toMatchObject({ code: 2, error: '必須提供選項 --name <display-name>\n請參閱「ccass-auth user add --help」' });
    expect(await cli(['--lang', 'fr', 'user', 'list'])).toMatchObject({ code: 2, out: '', error: 'unknown language "fr": use --lang en or --lang zh-Hant' });
  });

  it('writes tables with Chinese headings, aligned as a terminal draws Chinese (two columns a character)', async () => {
    const listed = await zh(['user', 'list']);
    const lines = listed.out.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^參與者\s+用戶\s+狀態\s+密碼\s+第二重認證\s+電郵\s+姓名$/);
    // The user column starts at the same terminal column on every line.
    const column = (line: string, text: string) => displayWidth(line.slice(0, line.indexOf(text)));
    expect(column(lines[1] as string, 'ALICE')).toBe(column(lines[0] as string, '用戶'));
    expect(column(lines[1] as string, '待啟用')).toBe(column(lines[0] as string, '狀態'));
    expect(englishIn(listed.out)).toEqual([]);
  });

  it('says the phase, its source and the next switch in Chinese, with Hong Kong time in words', async () => {
    const shown = await zh(['phase', 'show']);
    expect(shown.code).toBe(0);
    expect(shown.out).toContain('階段');
    expect(shown.out).toMatch(/智能卡\s+此階段准許，但此伺服器未設定智能卡/);
    expect(shown.out).not.toMatch(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/);
    expect(englishIn(shown.out)).toEqual([]);

    const pinned = await zh(['phase', 'set', '2fa-only', '--until', '2099-01-31T18:00', '--reason', '提前截止']);
    expect(pinned.out).toContain('已固定階段：2fa-only，直至2099年1月31日 18:00（香港時間）');
    expect((await zh(['phase', 'show'])).out).toMatch(/已固定\s+2fa-only，直至2099年1月31日 18:00（香港時間），由 operator:ops1 設定（原因：提前截止）/);
    expect((await zh(['phase', 'clear'])).code).toBe(0);
  });

  it('prints help in Chinese, headings included', async () => {
    const help = await zh(['user', 'add', '--help']);
    expect(help.code).toBe(0);
    expect(help.out).toMatch(/^用法：ccass-auth user add/);
    expect(help.out).toContain('選項：');
    expect(help.out).toContain('新增用戶（設定密碼前為待啟用）');
    expect(englishIn(help.out)).toEqual([]);
    expect(englishIn((await zh(['--help'])).out)).toEqual([]);
  });

  it('keeps machine output (--json) the same in every language, with ISO times', async () => {
    const english = JSON.parse((await cli(['user', 'list', '--json'])).out) as unknown[];
    const chinese = JSON.parse((await zh(['user', 'list', '--json'])).out) as unknown[];
    expect(chinese).toEqual(english);
    const json = JSON.parse((await zh(['phase', 'show', '--json'])).out) as { next: unknown };
    expect(json).toHaveProperty('phase');
  });
});
