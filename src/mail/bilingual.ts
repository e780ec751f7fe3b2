/**
 * Emails in both of the service's languages at once. A page knows its reader's language (the
 * switch, the browser); an email does not — the address was registered by a Delegated
 * Administrator, and the user may never have seen a page yet. So every email carries English
 * first and Traditional Chinese after it, as HKSCC's own notices do: subject "English / 中文",
 * and a line at the top telling Chinese readers where their version starts.
 */
import { hongKongDateTime, type Locale } from '../i18n/locales.js';
import { translator, type Translate } from '../i18n/translate.js';

export interface MailContent {
  subject: string;
  text: string;
}

/** One language's version of an email: what `compose` gets to write it with. */
export interface MailWriter {
  t: Translate;
  /** A date and time in Hong Kong time, written the way that language writes it. */
  hkTime: (instant: Date) => string;
  /** The language of this version. */
  locale: Locale;
}

/** Written in Chinese on purpose: they are for the readers who skip the English. */
const CHINESE_BELOW = '（中文版本載於下文）';
const CHINESE_HEADING = '【中文版本】';
const DIVIDER = '-'.repeat(40);

/** Writes an email once per language with `compose` and puts the two together. */
export function bilingualMail(compose: (writer: MailWriter) => { subject: string; lines: string[] }): MailContent {
  const version = (locale: Locale) => compose({ t: translator(locale), hkTime: (instant) => hongKongDateTime(instant, locale), locale });
  const english = version('en');
  const chinese = version('zh-Hant');
  return {
    subject: `${english.subject} / ${chinese.subject}`,
    text: [CHINESE_BELOW, '', ...english.lines, '', DIVIDER, CHINESE_HEADING, '', ...chinese.lines].join('\n'),
  };
}
