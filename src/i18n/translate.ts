/**
 * Translation: a page asks for a message by key (with `{placeholder}` values); text that
 * other modules produce in English (a refusal, a link problem) is looked up by its English
 * wording in the sentence list, and shown as it is when no translation exists.
 */
import { en, type MessageKey } from './messages/en.js';
import { zhHant, zhHantSentences } from './messages/zh-Hant.js';
import type { Locale } from './locales.js';

export type { MessageKey } from './messages/en.js';
export type MessageParams = Readonly<Record<string, string | number>>;

/** A message to be shown in the page's language. */
export interface Message {
  key: MessageKey;
  params?: MessageParams;
}

export const msg = (key: MessageKey, params?: MessageParams): Message => (params ? { key, params } : { key });

/** What pages pass around: a key, a message with values, or text produced in English elsewhere. */
export type Translatable = MessageKey | Message | string;

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
  return (text, params) => {
    if (text === undefined || text === null) return '';
    if (typeof text === 'object') return fill(catalogue[text.key], { ...text.params, ...params });
    if (isKey(text)) return fill(catalogue[text], params);
    return Object.hasOwn(sentences, text) ? (sentences[text] as string) : text;
  };
}
