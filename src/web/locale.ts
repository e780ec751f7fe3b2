/**
 * The language of each request's pages (see i18n/locales.ts for the order of preference),
 * and the link that switches it. `?lang=` on any page is the switch: it is remembered in a
 * cookie for a year and wins over everything else.
 */
import type { Context, Middleware } from 'koa';
import { DEFAULT_LOCALE, isLocale, LOCALE_COOKIE, localeOfUiLocales, negotiateLocale, type Locale } from '../i18n/locales.js';
import { cookieName } from './cookie-names.js';

export interface PageLocale {
  locale: Locale;
  /** Where the language switch leads (this page, in the other language), or none. */
  switchHref: string | undefined;
}

interface LocaleState {
  locale: Locale;
  explicit: boolean;
}

const YEAR_MS = 365 * 24 * 3600 * 1000;

export function localeMiddleware(options: { https: boolean }): Middleware {
  return async (ctx, next) => {
    const asked = ctx.query['lang'];
    let state: LocaleState;
    if (isLocale(asked)) {
      ctx.cookies.set(cookieName(LOCALE_COOKIE, 'site', options.https), asked, { httpOnly: true, sameSite: 'lax', secure: options.https, maxAge: YEAR_MS, overwrite: true });
      state = { locale: asked, explicit: true };
    } else {
      const remembered = ctx.cookies.get(cookieName(LOCALE_COOKIE, 'site', options.https));
      state = isLocale(remembered) ? { locale: remembered, explicit: true } : { locale: negotiateLocale(ctx.get('accept-language')) ?? DEFAULT_LOCALE, explicit: false };
    }
    ctx.state['locale'] = state;
    await next();
  };
}

/** A relying party's `ui_locales` counts when the user has not chosen a language themselves. */
export function preferUiLocales(ctx: Context, uiLocales: unknown): void {
  const state = ctx.state['locale'] as LocaleState | undefined;
  const wanted = localeOfUiLocales(uiLocales);
  if (state && !state.explicit && wanted) state.locale = wanted;
}

export function localeOf(ctx: Context): Locale {
  return (ctx.state['locale'] as LocaleState | undefined)?.locale ?? DEFAULT_LOCALE;
}

/** Where a page answering a form post switches language: the start of the form's flow, if it has one. */
function flowStart(path: string): string | undefined {
  const interaction = /^\/interaction\/[^/]+/.exec(path);
  if (interaction) return interaction[0];
  if (path.startsWith('/activate')) return '/activate';
  if (path.startsWith('/dms')) return '/dms';
  return undefined;
}

/**
 * The page's language and its switch. A page answering a GET switches in place; one
 * answering a form post switches on the page the form belongs to (its flow's start), and
 * has no switch when its flow has no page to go back to (oidc-provider's logout confirmation).
 */
export function pageLocale(ctx: Context): PageLocale {
  const locale = localeOf(ctx);
  const other: Locale = locale === 'en' ? 'zh-Hant' : 'en';
  const path = ctx.method === 'GET' ? ctx.path : flowStart(ctx.path);
  if (path === undefined) return { locale, switchHref: undefined };
  const query = new URLSearchParams(ctx.method === 'GET' ? ctx.querystring : '');
  query.delete('token'); // an activation token never goes into a link on the page
  query.set('lang', other);
  return { locale, switchHref: `${path}?${query.toString()}` };
}
