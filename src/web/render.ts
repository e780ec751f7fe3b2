/**
 * Server-rendered pages (Eta, auto-escaping on, templates compiled once and cached).
 * Pages never carry inline scripts or styles: the CSP allows only this server's assets.
 */
import { fileURLToPath } from 'node:url';
import { Eta } from 'eta';
import { DEFAULT_LOCALE, hongKongDateTime, htmlLang } from '../i18n/locales.js';
import { translator } from '../i18n/translate.js';
import type { PageLocale } from './locale.js';
import type { ViewName, Views } from './views.js';

/**
 * Renders a view in the page's language: every view gets `t` (messages by key), `lang` (for
 * the html element), `hkTime` (a Hong Kong date and time in that language) and the language
 * switch. Without a page locale: English, no switch (mail-like pages, tests).
 */
export type Renderer = <V extends ViewName>(view: V, data: Views[V], page?: PageLocale) => string;

export function createRenderer(): Renderer {
  const eta = new Eta({
    views: fileURLToPath(new URL('./views', import.meta.url)),
    autoEscape: true,
    cache: true,
    autoTrim: false,
  });
  return <V extends ViewName>(view: V, data: Views[V], page?: PageLocale) => {
    const locale = page?.locale ?? DEFAULT_LOCALE;
    return eta.render(`./${view}`, {
      hkTime: (iso: string | Date) => hongKongDateTime(new Date(iso), locale),
      ...data,
      t: translator(locale),
      lang: htmlLang(locale),
      languageSwitch: page?.switchHref,
    });
  };
}
