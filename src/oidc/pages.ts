/**
 * The pages oidc-provider shows a browser, rendered by this server in the reader's language:
 * its errors (by OAuth error code — the English `error_description` is for relying parties
 * and logs, never for the page), the logout confirmation, the page after logging out, and
 * its self-submitting form (see form-post.ts).
 */
import type { Context, Middleware } from 'koa';
import type { KoaContextWithOIDC } from 'oidc-provider';
import { msg, type MessageKey, type Translatable } from '../i18n/translate.js';
import { pageLocale, preferUiLocales, type PageLocale } from '../web/locale.js';
import type { Renderer } from '../web/render.js';
import { clientDisplayName } from './clients.js';
import { readProviderFormPost, type ProviderFormPost } from './form-post.js';

export interface ErrorText {
  title: MessageKey;
  message: MessageKey;
}

const LOGOUT_ROUTES = new Set(['end_session', 'end_session_confirm', 'end_session_success']);
const AUTHORIZATION_ROUTES = new Set(['authorization', 'resume', 'pushed_authorization_request']);

/** What an error page says for an OAuth error `code` on oidc-provider's route `route`. */
export function oidcErrorText(route: string | undefined, code: string): ErrorText {
  if (code === 'server_error') return { title: 'error.somethingWrong', message: 'pages.error.ourSide' };
  if (code === 'temporarily_unavailable') return { title: 'error.pleaseWait', message: 'error.tryAgain' };
  if (route && LOGOUT_ROUTES.has(route)) {
    // The confirmation's anti-forgery secret lives in the session: a stale or replayed form has none.
    if (route === 'end_session_confirm' && code === 'invalid_request') return { title: 'error.notAccepted', message: 'pages.error.logoutExpired' };
    return { title: 'pages.error.logoutStopped', message: code === 'invalid_client' ? 'pages.error.unknownClient' : 'pages.error.logoutRefused' };
  }
  if (route && AUTHORIZATION_ROUTES.has(route)) {
    if (code === 'invalid_client') return { title: 'error.signInStopped', message: 'pages.error.unknownClient' };
    if (code === 'invalid_redirect_uri') return { title: 'error.signInStopped', message: 'pages.error.unknownRedirect' };
    if (code === 'access_denied') return { title: 'error.signInStopped', message: 'pages.error.cancelled' };
    // Resuming a login whose interaction or cookie is gone (SessionNotFound).
    if (route === 'resume' && code === 'invalid_request') return { title: 'error.signInStopped', message: 'pages.error.expired' };
    return { title: 'error.signInStopped', message: 'pages.error.badRequest' };
  }
  return { title: 'error.notAccepted', message: 'pages.error.notUnderstood' };
}

/** The page's language: the user's choice, else the relying party's `ui_locales`, else the browser's. */
function localeFor(ctx: KoaContextWithOIDC, options: { languageSwitch: boolean } = { languageSwitch: true }): PageLocale {
  preferUiLocales(ctx, ctx.oidc?.params?.['ui_locales']);
  const page = pageLocale(ctx);
  return options.languageSwitch ? page : { locale: page.locale, switchHref: undefined };
}

function clientName(ctx: KoaContextWithOIDC, page: PageLocale): string | undefined {
  const client = ctx.oidc?.client;
  return client ? clientDisplayName(client, page.locale) : undefined;
}

export interface ProviderPages {
  renderError(ctx: KoaContextWithOIDC, out: { error: string }): void;
  logoutSource(ctx: KoaContextWithOIDC, form: string): void;
  postLogoutSuccessSource(ctx: KoaContextWithOIDC): Promise<void>;
}

export function providerPages(render: Renderer, hotline: string): ProviderPages {
  return {
    renderError(ctx, out) {
      const text = oidcErrorText(ctx.oidc?.route, out.error);
      ctx.type = 'html';
      ctx.body = render('error', { ...text, requestId: ctx.state['requestId'], hotline }, localeFor(ctx));
    },
    logoutSource(ctx, form) {
      const page = localeFor(ctx);
      ctx.type = 'html';
      ctx.body = render('logout', { form, clientName: clientName(ctx, page) }, page);
    },
    async postLogoutSuccessSource(ctx) {
      const page = localeFor(ctx);
      // "No, stay logged in" lands here too (oidc-provider ends only the client's part, if a
      // client is known): the browser's session, read and left as it is, says which it was.
      const { accountId } = await ctx.oidc.provider.Session.get(ctx);
      const text = accountId
        ? { title: 'pages.loggedOut.stillTitle', heading: 'pages.loggedOut.stillHeading' } as const
        : { title: 'loggedOut.pageTitle', heading: 'loggedOut.heading' } as const;
      ctx.type = 'html';
      ctx.body = render('logged-out', { ...text, clientName: clientName(ctx, page) }, page);
    },
  };
}

/** What the self-submitting page says it is doing: returning to the client, or logging out. */
function formPostHeading(ctx: KoaContextWithOIDC, post: ProviderFormPost, page: PageLocale): { title: Translatable; heading: Translatable } {
  const loggingOut = post.action === ctx.oidc?.urlFor('end_session_confirm') || post.fields.some((field) => field.name === 'logout');
  // After a login, oidc-provider first ends a session of another account in this browser (resume.js).
  if (loggingOut && ctx.oidc?.route === 'resume') return { title: 'pages.formPost.previousTitle', heading: 'pages.formPost.previousHeading' };
  if (loggingOut) return { title: 'pages.formPost.logoutTitle', heading: 'pages.formPost.logoutHeading' };
  const name = clientName(ctx, page);
  if (!name) return { title: 'pages.formPost.returnTitleUnnamed', heading: 'pages.formPost.returnTitleUnnamed' };
  return { title: msg('pages.formPost.returnTitle', { client: name }), heading: msg('pages.formPost.returnHeading', { client: name }) };
}

/**
 * Around oidc-provider: its self-submitting form becomes our page, in the reader's language,
 * submitted by a script of this server (the CSP it loosened for its inline script is put back).
 */
export function formPostPages(render: Renderer): Middleware {
  return async (ctx: Context, next) => {
    const policy = ctx.response.get('content-security-policy');
    await next();
    const post = readProviderFormPost(ctx.body);
    if (!post) return;
    const oidcCtx = ctx as KoaContextWithOIDC;
    // No language switch: the page answers a step that must not be repeated (a code, a logout).
    const page = localeFor(oidcCtx, { languageSwitch: false });
    const { title, heading } = formPostHeading(oidcCtx, post, page);
    ctx.type = 'html';
    ctx.body = render('form-post', { action: post.action, fields: post.fields, title, heading }, page);
    if (policy) ctx.set('Content-Security-Policy', policy);
    else ctx.remove('Content-Security-Policy');
  };
}
