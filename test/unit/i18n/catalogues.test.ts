/**
 * The message catalogues and the pages that use them: every key exists in both languages
 * with the same placeholders, every key a page asks for exists, and no page carries words
 * of its own (all text comes from the catalogues).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { en } from '../../../src/i18n/messages/en.js';
import { zhHant } from '../../../src/i18n/messages/zh-Hant.js';
import { latinSentences } from '../../support/latin-sentences.js';
import { msg, translator } from '../../../src/i18n/translate.js';
import { DMS_MESSAGE_KEYS } from '../../../src/dms/pages.js';
import { READINESS_COLUMNS } from '../../../src/reports/readiness-report.js';

const VIEWS = new URL('../../../src/web/views/', import.meta.url);

/** The values a message takes: `{name}`, or `{name, plural, one {…} other {…}}` (English's forms of a count). */
const placeholders = (text: string) => [...new Set([...text.matchAll(/\{(\w+)(?:, plural, one \{[^{}]*\} other \{[^{}]*\})?\}/g)].map((match) => match[1]))].sort();

/** Nouns that follow a count in English: each must agree with it ("1 day", "2 days"). */
const COUNTED = ['days', 'hours', 'minutes', 'seconds', 'users', 'codes', 'rows', 'requests', 'mails', 'emails', 'links', 'keys', 'participants', 'changes', 'attempts', 'times'];

describe('message catalogues', () => {
  it('give every English message a Chinese one with the same placeholders', () => {
    for (const key of Object.keys(en) as Array<keyof typeof en>) {
      expect({ key, zh: zhHant[key].length > 0 }).toEqual({ key, zh: true });
      expect({ key, placeholders: placeholders(zhHant[key]) }).toEqual({ key, placeholders: placeholders(en[key]) });
    }
    expect(Object.keys(zhHant).sort()).toEqual(Object.keys(en).sort());
  });

  it('make every English noun that follows a count agree with it (no "1 days")', () => {
    // `{days} days`, `{count} users`, `{total} codes`: a plain placeholder before a plural noun.
    const unagreed = Object.entries(en).flatMap(([key, text]) =>
      [...text.matchAll(/\{(\w+)\} (\w+)\b/g)].filter((match) => COUNTED.includes(match[2] as string)).map((match) => `${key}: ${match[0]}`),
    );
    expect(unagreed).toEqual([]);
  });

  it('write a count in the form its number takes', () => {
    const en = translator('en');
    const zh = translator('zh-Hant');
    expect(en(msg('otp.wait', { seconds: 1 }))).toBe('Please wait 1 second before asking for another code.');
    expect(en(msg('otp.wait', { seconds: 30 }))).toBe('Please wait 30 seconds before asking for another code.');
    expect(en(msg('otp.wait', { seconds: 0 }))).toBe('Please wait 0 seconds before asking for another code.');
    expect(zh(msg('otp.wait', { seconds: 1 }))).toBe('請等候 1 秒後再要求新密碼。');
    expect(en(msg('mail.report.subject', { days: 1, deadlineName: 'second-factor deadline' }))).toBe('CCASS readiness report: 1 day before the second-factor deadline');
    expect(en(msg('mail.report.subject', { days: 7, deadlineName: 'second-factor deadline' }))).toBe('CCASS readiness report: 7 days before the second-factor deadline');
    // A verb agrees too, and one count may govern several words.
    const deadline = new Date('2023-03-31T16:00:00Z');
    expect(en(msg('mail.digest.subject', { count: 1, participant: 'B01234', deadline }))).toBe('CCASS: 1 user of B01234 is not ready for the deadline of 1 April 2023, 00:00 (Hong Kong time)');
    expect(en(msg('mail.digest.subject', { count: 3, participant: 'B01234', deadline }))).toBe('CCASS: 3 users of B01234 are not ready for the deadline of 1 April 2023, 00:00 (Hong Kong time)');
    expect(zh(msg('mail.digest.subject', { count: 1, participant: 'B01234', deadline }))).not.toMatch(/[{}#]/);
    // A value is never read as a plural form.
    expect(en('login.heading', { client: '{seconds, plural, one {# x} other {# y}}' })).toBe('Log in to {seconds, plural, one {# x} other {# y}}');
  });

  it('hold no English sentence in any Traditional Chinese message', () => {
    // Placeholders are filled with values of their own (names, codes); what is left is the catalogue's text.
    const allow = ['CCASS', 'DMS', 'HKSCC', 'TOTP', 'QR', 'CSV', 'UTF-8', 'NUL', 'Google Authenticator', 'Microsoft Authenticator', 'FreeOTP', 'Bearer', 'JSON', 'API', 'JSON Web Key Set',
      // commands, which are typed as they are in any language
      'ccass-auth migrate', 'ccass-auth keys promote', 'keys list', 'keys promote', 'phase clear'];
    const english = Object.entries(zhHant).flatMap(([key, value]) => latinSentences(value.replace(/\{\w+\}/g, '「」'), allow).map((sentence) => `${key}: ${sentence}`));
    expect(english).toEqual([]);
  });

  it('translate keys with values, and refuse text that is not a catalogue key', () => {
    const zh = translator('zh-Hant');
    expect(zh('login.heading', { client: 'CCASS Terminal' })).toBe('登入CCASS Terminal');
    expect(zh(msg('otp.wait', { seconds: 30 }))).toBe('請等候 30 秒後再要求新密碼。');
    expect(zh('login.error.generic')).toBe('參與者編號、用戶編號或密碼不正確。');
    // An English sentence cannot reach a page: the compiler refuses it, and so does the translator.
    // @ts-expect-error not a catalogue key
    expect(() => zh('Some text nobody translated.')).toThrow('not a catalogue key');
    expect(zh(msg('problem.keyPromoteTooSoon', { kid: 'k1', time: new Date('2026-06-26T00:00:00Z') }))).toContain('2026年6月26日 08:00（香港時間）');
    expect(zh(undefined)).toBe('');
    expect(translator('en')('login.heading', { client: 'X' })).toBe('Log in to X');
    // A value that looks like a placeholder is not expanded again.
    expect(translator('en')('login.heading', { client: '{client}' })).toBe('Log in to {client}');
  });

  const views = readdirSync(VIEWS).filter((file) => file.endsWith('.eta'));

  it('have every key that pages build from a state, a notice or a report column', () => {
    const built = [...DMS_MESSAGE_KEYS, ...READINESS_COLUMNS.map((column) => `dms.readiness.${column.key}`), 'dms.factor.totp', 'dms.factor.email'];
    expect(built.filter((key) => !Object.hasOwn(en, key))).toEqual([]);
  });

  it.each(views)('%s asks only for keys that exist', (file) => {
    const source = readFileSync(new URL(file, VIEWS), 'utf8');
    // A key ending in "." is the start of a key built from a value (checked below, with the values).
    for (const [, key] of source.matchAll(/it\.t\('([\w.]+[\w])'[,)]/g)) expect({ file, key, known: Object.hasOwn(en, key as string) }).toEqual({ file, key, known: true });
    for (const [, a, b] of source.matchAll(/it\.t\(it\.\w+ === '\w+' \? '([\w.]+)' : '([\w.]+)'\)/g)) {
      expect([Object.hasOwn(en, a as string), Object.hasOwn(en, b as string)]).toEqual([true, true]);
    }
  });

  it.each(views)('%s has no words of its own', (file) => {
    const text = readFileSync(new URL(file, VIEWS), 'utf8')
      .replace(/<pre class="example"[\s\S]*?<\/pre>/g, ' ') // sample file contents: data, the same in every language
      .replace(/<%[\s\S]*?%>/g, ' ') // template code and output
      .replace(/<[^>]+>/g, ' ') // tags and their attributes
      .replace(/&[a-z]+;/g, ' ');
    // What is left is the page's own text; only punctuation and brand-neutral symbols may remain.
    expect({ file, words: text.match(/[A-Za-z\u4e00-\u9fff]{2,}/g) ?? [] }).toEqual({ file, words: [] });
  });
});

describe('password refusals', () => {
  it('word each problem in the page language, one sentence each', async () => {
    const { passwordProblemList } = await import('../../../src/factors/password.js');
    const { passwordRefusal } = await import('../../../src/i18n/translate.js');
    const problems = passwordProblemList('short', { minLength: 12, maxLength: 128 });
    expect(translator('en')(passwordRefusal(problems))).toBe('The password must be at least 12 characters.');
    expect(translator('zh-Hant')(passwordRefusal(problems))).toBe('密碼最少須有 12 個字元。');
    const both = passwordProblemList('password', { minLength: 12, maxLength: 128 });
    expect(translator('en')(passwordRefusal(both))).toBe(
      'The password must be at least 12 characters. The password is too common: it appears in lists of passwords attackers try first.',
    );
  });
});
