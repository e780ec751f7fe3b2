/**
 * The DMS session on the HTTP side: the cookie, the check that runs before every DMS page
 * and API call, and the CSRF token bound to the session. Pages send a signed-out browser to
 * sign in; the API answers 401 instead (a script cannot follow a login page).
 */
import type { Context, Middleware } from 'koa';
import { cookieName } from '../web/cookie-names.js';
import { localeOf } from '../web/locale.js';
import { translator } from '../i18n/translate.js';
import type { CsrfTokens } from '../web/csrf.js';
import { daActor, type DelegatedAdministrator } from './administration.js';
import { hashDmsSession, type DmsSignIn } from './sign-in.js';

/** The DMS session and a sign-in in progress; over HTTPS their names carry `__Secure-` (cookie-names.ts). */
export const sessionCookie = (ctx: Context) => cookieName('ccass_dms', 'path', ctx.secure);
export const pendingCookie = (ctx: Context) => cookieName('ccass_dms_sign_in', 'path', ctx.secure);

export interface DmsState {
  da: DelegatedAdministrator;
  csrf: string;
  session: string;
}

export function dmsState(ctx: Context): DmsState {
  return ctx.state['dms'] as DmsState;
}

export const dmsCookieOptions = (ctx: Context, maxAge?: number) => ({
  httpOnly: true,
  sameSite: 'lax' as const,
  path: '/dms',
  signed: true,
  secure: ctx.secure,
  ...(maxAge === undefined ? {} : { maxAge }),
});

export function csrfBinding(session: string): string {
  return `dms:${hashDmsSession(session)}`;
}

export function requireDa(signIn: DmsSignIn, csrf: CsrfTokens, mode: 'page' | 'api'): Middleware {
  return async (ctx, next) => {
    const session = ctx.cookies.get(sessionCookie(ctx), { signed: true });
    const user = await signIn.resume(session);
    if (!session || !user) {
      if (mode === 'api') {
        ctx.status = 401;
        ctx.set('WWW-Authenticate', 'Cookie realm="DMS"');
        ctx.body = { error: 'unauthorized', message: translator(localeOf(ctx))('dms.api.unauthorized') };
        return;
      }
      ctx.status = 303;
      ctx.redirect(`/dms/login?return=${encodeURIComponent(ctx.originalUrl)}`);
      return;
    }
    const state: DmsState = {
      da: daActor(user, { ip: ctx.ip, requestId: ctx.state['requestId'] as string }),
      csrf: csrf.issue(csrfBinding(session)),
      session,
    };
    ctx.state['dms'] = state;
    await next();
  };
}

/** Checks the CSRF token of a state-changing request: a form field for pages, a header for the API. */
export function csrfValid(ctx: Context, csrf: CsrfTokens, token: unknown): boolean {
  return csrf.verify(csrfBinding(dmsState(ctx).session), token);
}
