/**
 * Translation: everything a person reads is asked for by catalogue key, with `{placeholder}`
 * values (a Date is written as Hong Kong time in the reader's language). Domain code returns
 * keys or messages, never sentences: a string that is not a key does not compile, and if one
 * reaches here anyway it is a bug that fails loudly rather than showing English on a Chinese page.
 */
import { en, type MessageKey } from './messages/en.js';
import { zhHant } from './messages/zh-Hant.js';
import { announcedHongKongTime, type Locale } from './locales.js';
import type { PasswordProblem } from '../factors/password.js';

export type { MessageKey } from './messages/en.js';
/** Values of a message's placeholders; a Date is written as Hong Kong time, in the reader's language. */
export type MessageParams = Readonly<Record<string, string | number | Date>>;

/** A message to be shown in the page's language. */
export interface Message {
  key: MessageKey;
  params?: MessageParams;
}

export const msg = (key: MessageKey, params?: MessageParams): Message => (params ? { key, params } : { key });

/** What pages pass around: a key, a message with values, or several of these (sentences). */
export type Translatable = MessageKey | Message | readonly Translatable[];

export type Translate = (text: Translatable | undefined | null, params?: MessageParams) => string;

const CATALOGUES: Record<Locale, Readonly<Record<MessageKey, string>>> = { en, 'zh-Hant': zhHant };

function isKey(text: string): text is MessageKey {
  return Object.hasOwn(en, text);
}

/**
 * `{count, plural, one {# day} other {# days}}`: the form the locale's plural rules pick for
 * the number (`#` is the number). English needs it wherever a count meets a noun ("1 day",
 * "2 days"); Chinese has one form and writes a plain `{count}`.
 */
const PLURAL = /\{(\w+), plural, one \{([^{}]*)\} other \{([^{}]*)\}\}/g;
const pluralRules = new Map<Locale, Intl.PluralRules>();

function pluralForm(locale: Locale, value: number, one: string, other: string): string {
  let rules = pluralRules.get(locale);
  if (!rules) pluralRules.set(locale, (rules = new Intl.PluralRules(locale === 'zh-Hant' ? 'zh-Hant-HK' : 'en-GB')));
  return (rules.select(value) === 'one' ? one : other).replaceAll('#', String(value));
}

function fill(template: string, params: MessageParams | undefined, locale: Locale): string {
  if (!params) return template;
  const counted = template.replace(PLURAL, (whole, name: string, one: string, other: string) => {
    if (!Object.hasOwn(params, name)) return whole;
    return pluralForm(locale, Number(params[name]), one, other);
  });
  return counted.replace(/\{(\w+)\}/g, (whole, name: string) => {
    if (!Object.hasOwn(params, name)) return whole;
    const value = params[name];
    return value instanceof Date ? announcedHongKongTime(value, locale) : String(value);
  });
}

export function translator(locale: Locale): Translate {
  const catalogue = CATALOGUES[locale];
  const translate: Translate = (text, params) => {
    if (text === undefined || text === null) return '';
    if (Array.isArray(text)) return (text as readonly Translatable[]).map((part) => translate(part, params)).join(locale === 'zh-Hant' ? '' : ' ');
    if (typeof text === 'object') return fill(catalogue[(text as Message).key], { ...(text as Message).params, ...params }, locale);
    if (isKey(text)) return fill(catalogue[text], params, locale);
    throw new Error(`not a catalogue key: ${JSON.stringify(String(text).slice(0, 80))}`);
  };
  return translate;
}

/** Why a password was refused, one sentence per problem, for a page. */
export function passwordRefusal(problems: readonly PasswordProblem[]): Message[] {
  return problems.map((problem) => msg(`password.problem.${problem.code}`, 'limit' in problem ? { limit: problem.limit } : undefined));
}
