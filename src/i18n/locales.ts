/**
 * The languages of the service: English and Traditional Chinese (the circular's two). Which
 * one a page is in: the user's explicit choice (the switch on every page, remembered in a
 * cookie), else what the relying party asked for (`ui_locales`), else the browser's
 * Accept-Language, else English. Any Chinese is served in Traditional characters: the
 * HKSCC publishes its circulars in English and Traditional Chinese.
 */
import { describeHongKongTime } from '../kernel/hong-kong-time.js';

export const LOCALES = ['en', 'zh-Hant'] as const;
export type Locale = (typeof LOCALES)[number];
export const DEFAULT_LOCALE: Locale = 'en';

/** The cookie that remembers a choice made with the language switch. */
export const LOCALE_COOKIE = 'ccass_lang';

/** The locale a single language tag asks for, if we have it ("zh-HK" → zh-Hant, "en-GB" → en). */
export function localeOfTag(tag: string): Locale | undefined {
  const lower = tag.trim().toLowerCase();
  if (lower === 'en' || lower.startsWith('en-')) return 'en';
  if (lower === 'zh' || lower.startsWith('zh-')) return 'zh-Hant';
  return undefined;
}

/** The best locale for an Accept-Language header (RFC 9110 §12.5.4: by q-value, then order). */
export function negotiateLocale(acceptLanguage: string | undefined): Locale | undefined {
  if (!acceptLanguage) return undefined;
  const ranges = acceptLanguage
    .split(',')
    .slice(0, 20)
    .map((part, index) => {
      const [tag = '', ...parameters] = part.split(';');
      const q = parameters.map((p) => /^\s*q\s*=\s*([01](?:\.\d{0,3})?)\s*$/.exec(p)?.[1]).find(Boolean);
      return { tag: tag.trim(), q: q === undefined ? 1 : Number(q), index };
    })
    .filter((range) => range.q > 0 && range.tag)
    .sort((a, b) => b.q - a.q || a.index - b.index);
  for (const range of ranges) {
    const locale = localeOfTag(range.tag);
    if (locale) return locale;
  }
  return undefined;
}

/** `ui_locales` from an authorization request: space-separated tags, most preferred first. */
export function localeOfUiLocales(uiLocales: unknown): Locale | undefined {
  if (typeof uiLocales !== 'string') return undefined;
  for (const tag of uiLocales.split(' ').slice(0, 10)) {
    const locale = localeOfTag(tag);
    if (locale) return locale;
  }
  return undefined;
}

export function isLocale(value: unknown): value is Locale {
  return typeof value === 'string' && (LOCALES as readonly string[]).includes(value);
}

/** The value of the html `lang` attribute (BCP 47). */
export function htmlLang(locale: Locale): string {
  return locale === 'zh-Hant' ? 'zh-Hant-HK' : 'en';
}

/** A date and time in Hong Kong time, as people there write it in each language. */
export function hongKongDateTime(instant: Date, locale: Locale): string {
  return instant.toLocaleString(locale === 'zh-Hant' ? 'zh-Hant-HK' : 'en-GB', { timeZone: 'Asia/Hong_Kong', dateStyle: 'medium', timeStyle: 'short' });
}

/**
 * A moment announced to users ("26 June 2023, 08:00 (Hong Kong time)"), in each language. The
 * Chinese form ends in full-width brackets, so a sentence puts it between characters with no
 * space around it (「將於{time}停止」): full-width punctuation carries its own spacing.
 */
export function announcedHongKongTime(instant: Date, locale: Locale): string {
  if (locale === 'en') return describeHongKongTime(instant);
  const date = instant.toLocaleDateString('zh-Hant-HK', { timeZone: 'Asia/Hong_Kong', dateStyle: 'long' });
  const time = instant.toLocaleTimeString('en-GB', { timeZone: 'Asia/Hong_Kong', hour: '2-digit', minute: '2-digit' });
  return `${date} ${time}（香港時間）`;
}
