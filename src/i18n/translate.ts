/**
 * Translation: a page asks for a message by key (with `{placeholder}` values); text that
 * other modules produce in English (a refusal, a link problem) is looked up by its English
 * wording in the sentence list, and shown as it is when no translation exists.
 */
import { en, type MessageKey } from './messages/en.js';
import { zhHant, zhHantSentences } from './messages/zh-Hant.js';
import type { Locale } from './locales.js';
import type { PasswordProblem } from '../factors/password.js';

export type { MessageKey } from './messages/en.js';
export type MessageParams = Readonly<Record<string, string | number>>;

/** A message to be shown in the page's language. */
export interface Message {
  key: MessageKey;
  params?: MessageParams;
}

export const msg = (key: MessageKey, params?: MessageParams): Message => (params ? { key, params } : { key });

/** What pages pass around: a key, a message with values, text produced in English elsewhere, or several of these (sentences). */
export type Translatable = MessageKey | Message | readonly Translatable[];

export type Translate = (text: Translatable | undefined | null, params?: MessageParams) => string;

const CATALOGUES: Record<Locale, Readonly<Record<MessageKey, string>>> = { en, 'zh-Hant': zhHant };
const SENTENCES: Record<Locale, Readonly<Record<string, string>>> = { en: {}, 'zh-Hant': zhHantSentences };

function isKey(text: string): text is MessageKey {
  return Object.hasOwn(en, text);
}

function fill(template: string, params: MessageParams | undefined): string {
  if (!params) return template;
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => (Object.hasOwn(params, name) ? String(params[name]) : whole));
}

export function translator(locale: Locale): Translate {
  const catalogue = CATALOGUES[locale];
  const sentences = SENTENCES[locale];
  const translate: Translate = (text, params) => {
    if (text === undefined || text === null) return '';
    if (Array.isArray(text)) return (text as readonly Translatable[]).map((part) => translate(part, params)).join(locale === 'zh-Hant' ? '' : ' ');
    if (typeof text === 'object') return fill(catalogue[(text as Message).key], { ...(text as Message).params, ...params });
    if (isKey(text)) return fill(catalogue[text], params);
    return Object.hasOwn(sentences, text) ? (sentences[text] as string) : text;
  };
  return translate;
}

/** Why a password was refused, one sentence per problem, for a page. */
export function passwordRefusal(problems: readonly PasswordProblem[]): Message[] {
  return problems.map((problem) => msg(`password.problem.${problem.code}`, 'limit' in problem ? { limit: problem.limit } : undefined));
}
