/**
 * The user's own security page in the browser (`/account`): opened by a fresh login
 * (sign-in.ts), then the sessions, security keys, recovery codes, password and code method of
 * the signed-in user only. Routes parse the form, call a use case (security-page.ts) with
 * plain data and render; every change is a POST with the session's CSRF token, answered with
 * a redirect (post/redirect/get) or, when refused, the page again with the reason. No page is
 * cached (they hold per-user state, and one of them the new recovery codes). A change this
 * session may not make without a key login (security-page.ts) answers 403 with the overview,
 * which says why and offers "Log in again with your security key" (`/account/login?with=security-key`).
 */
import Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import { authenticatorPage } from '../login/pages.js';
import { maskEmail } from '../login/mask-email.js';
import type { PasswordHasher, PasswordRules } from '../factors/password.js';
import type { Config } from '../config/schema.js';
import type { MessageKey, Translatable } from '../i18n/translate.js';
import type { Locale } from '../i18n/locales.js';
import { auditEvent, userActor } from '../kernel/actor.js';
import { isDomainError, TooManyRequestsError } from '../kernel/errors.js';
import { clientDisplayName, clientMetadataFromConfig } from '../oidc/clients.js';
import { ACCOUNT_CLIENT_ID, FIRST_PARTY_CLIENTS, firstPartyClientMetadata } from '../oidc/first-party-clients.js';
import type { CsrfTokens } from '../web/csrf.js';
import { cookieName, oidcCookieNames } from '../web/cookie-names.js';
import { localeOf, pageLocale, type PageLocale } from '../web/locale.js';
import type { Renderer } from '../web/render.js';
import { noStore } from '../web/security-headers.js';
import type { Views } from '../web/views.js';
import {
  assertKeyId,
  assertMayChangeFactors,
  beginKeyRegistration,
  changePassword,
  confirmAuthenticatorApp,
  endOtherSession,
  KEY_NAME_MAX,
  regenerateRecoveryCodes,
  registerKey,
  removeKey,
  renameKey,
  securityOverview,
  signOutEverywhereElse,
  switchToEmailCodes,
  type AccountRequest,
  type AccountServices,
} from './security-page.js';
import { ACCOUNT_SESSION_MAX_MINUTES, type AccountSession, type AccountSignIn } from './sign-in.js';
import type { AccountFrame, AccountViews } from './views.js';

export interface AccountRouteDependencies extends AccountServices {
  config: Config;
  signIn: AccountSignIn;
  render: Renderer;
  csrf: CsrfTokens;
  cookieKeys: readonly string[];
  hasher: PasswordHasher;
  passwordRules: PasswordRules;
}

/** What `?done=` says on the overview after a change (post/redirect/get). */
const NOTICES = ['session-ended', 'signed-out-elsewhere', 'key-added', 'key-renamed', 'key-removed', 'password-changed', 'method-email', 'method-totp'] as const;
type Notice = (typeof NOTICES)[number];
const isNotice = (value: unknown): value is Notice => (NOTICES as readonly unknown[]).includes(value);

/** Every notice the overview can show, for the catalogue check. */
export const ACCOUNT_MESSAGE_KEYS: readonly MessageKey[] = NOTICES.map((notice) => `account.notice.${notice}` as const);

const SESSION_COOKIE = (ctx: Context) => cookieName('ccass_account', 'path', ctx.secure);
const PENDING_COOKIE = (ctx: Context) => cookieName('ccass_account_sign_in', 'path', ctx.secure);

/**
 * The session cookie is SameSite=Strict (a security page is never reached by a link from
 * another site with its session); the sign-in cookie Lax, to come back from the login.
 */
const cookieOptions = (ctx: Context, sameSite: 'strict' | 'lax', maxAge?: number) => ({
  httpOnly: true,
  sameSite,
  path: '/account',
  signed: true,
  secure: ctx.secure,
  overwrite: true,
  ...(maxAge === undefined ? {} : { maxAge }),
});

const csrfBinding = (session: AccountSession) => `account:${session.idHash}`;
const single = (value: unknown): string => (typeof value === 'string' ? value : '');

interface AccountState {
  session: AccountSession;
  csrf: string;
  request: AccountRequest;
}

const stateOf = (ctx: Context) => ctx.state['account'] as AccountState;

/** A page answering a form post switches language on the overview. */
function languageOf(ctx: Context): PageLocale {
  const page = pageLocale(ctx);
  if (ctx.method === 'GET') return page;
  return { ...page, switchHref: `/account?${new URLSearchParams({ lang: page.locale === 'en' ? 'zh-Hant' : 'en' }).toString()}` };
}

export function accountRoutes(deps: AccountRouteDependencies): Router {
  const { render, csrf, signIn } = deps;
  const router = new Router({ prefix: '/account', sensitive: true });
  router.use(noStore);

  // What each client is called on the sessions list, in the reader's language.
  const clients = new Map(
    [...deps.config.oidc.clients.map(clientMetadataFromConfig), ...FIRST_PARTY_CLIENTS.map((client) => firstPartyClientMetadata(client, deps.config.issuer, deps.cookieKeys))].map((metadata) => [
      metadata.client_id,
      { clientId: metadata.client_id, metadata: () => metadata as Record<string, unknown> },
    ]),
  );
  const clientNames = (ids: readonly string[], locale: Locale) => ids.map((id) => (clients.get(id) ? clientDisplayName(clients.get(id) as never, locale) : id)).join(locale === 'zh-Hant' ? '、' : ', ');

  const signedIn: Middleware = async (ctx, next) => {
    const session = await signIn.resume(ctx.cookies.get(SESSION_COOKIE(ctx), { signed: true }));
    if (!session) {
      // No session, or it ended (a form of an ended session does nothing): a new login first.
      ctx.status = 303;
      return ctx.redirect('/account/login');
    }
    const state: AccountState = { session, csrf: csrf.issue(csrfBinding(session)), request: { session, origin: { ip: ctx.ip, requestId: ctx.state['requestId'] as string } } };
    ctx.state['account'] = state;
    await next();
  };

  function frame(ctx: Context): AccountFrame {
    const { session, csrf: token } = stateOf(ctx);
    return { account: { participantId: session.user.participant_id, userId: session.user.user_id, csrf: token, expiresAt: session.expiresAt } };
  }

  function page<V extends keyof AccountViews>(ctx: Context, status: number, view: V, data: Omit<AccountViews[V], 'account'>) {
    ctx.status = status;
    ctx.type = 'html';
    ctx.body = render(view, { ...frame(ctx), ...data } as unknown as Views[V], languageOf(ctx));
  }

  function errorPage(ctx: Context, status: number, title: MessageKey, message: Translatable) {
    ctx.status = status;
    ctx.type = 'html';
    ctx.body = render(
      'error',
      { title, message, requestId: ctx.state['requestId'] as string | undefined, links: [{ href: '/account', label: 'account.error.openAgain' }] },
      ctx.method === 'GET' && ctx.path !== '/account/callback' ? pageLocale(ctx) : { ...pageLocale(ctx), switchHref: `/account?lang=${localeOf(ctx) === 'en' ? 'zh-Hant' : 'en'}` },
    );
  }

  async function overview(ctx: Context, status: number, values: { notice?: Translatable | undefined; error?: Translatable | undefined } = {}) {
    const { request } = stateOf(ctx);
    const facts = await securityOverview(deps, request);
    const locale = localeOf(ctx);
    page(ctx, status, 'account-overview', {
      displayName: request.session.user.display_name,
      method: facts.secondFactor === 'totp' ? 'dms.factor.totp' : facts.secondFactor === 'email' ? 'dms.factor.email' : 'account.method.none',
      secondFactor: facts.secondFactor,
      email: facts.email ? maskEmail(facts.email) : undefined,
      keyLogin: facts.keyLogin,
      keys: facts.keys,
      recoveryCodes: facts.recoveryCodes,
      sessions: facts.sessions.map((session) => ({ ...session, clients: clientNames(session.clientIds.filter((id) => id !== ACCOUNT_CLIENT_ID || session.clientIds.length === 1), locale) })),
      ...values,
    });
  }

  /**
   * A change: its CSRF token must be this session's; a refusal of the rules shows the
   * overview with the reason (and its 4xx status); `done` is where a success leads.
   */
  function change(work: (ctx: Context, body: Record<string, unknown>) => Promise<Notice | void>): Middleware {
    return async (ctx) => {
      const body = (ctx.request.body ?? {}) as Record<string, unknown>;
      if (!csrf.verify(csrfBinding(stateOf(ctx).session), body['csrf'])) return errorPage(ctx, 403, 'error.notAccepted', 'account.error.formExpired');
      try {
        const notice = await work(ctx, body);
        if (notice) {
          ctx.status = 303;
          ctx.redirect(`/account?done=${notice}`);
        }
      } catch (error) {
        if (!isDomainError(error)) throw error;
        if (error instanceof TooManyRequestsError) ctx.set('Retry-After', String(error.retryAfterSeconds));
        if (error.status === 404) return errorPage(ctx, 404, 'pages.error.notFoundTitle', error.reason);
        await overview(ctx, error.status, { error: error.reason });
      }
    };
  }

  /** A form that makes one change and, done, says `done` on the overview. */
  function postChange(path: string, done: Notice, work: (request: AccountRequest, ctx: Context, body: Record<string, unknown>) => Promise<unknown>): void {
    router.post(
      path,
      signedIn,
      change(async (ctx, body) => {
        await work(stateOf(ctx).request, ctx, body);
        return done;
      }),
    );
  }

  // --- signing in and out ----------------------------------------------------------------

  // `?with=security-key`: a login with the key only (acr_values=phr), for a key holder who opened the page with a code.
  router.get('/login', async (ctx) => {
    const { url, pending } = await signIn.begin({ securityKey: ctx.query['with'] === 'security-key' });
    url.searchParams.set('ui_locales', localeOf(ctx));
    ctx.cookies.set(PENDING_COOKIE(ctx), pending, cookieOptions(ctx, 'lax', 15 * 60_000));
    ctx.status = 303;
    ctx.redirect(url.toString());
  });

  router.get('/callback', async (ctx) => {
    const pending = ctx.cookies.get(PENDING_COOKIE(ctx), { signed: true });
    ctx.cookies.set(PENDING_COOKIE(ctx), null, cookieOptions(ctx, 'lax'));
    let signedInUser;
    try {
      signedInUser = await signIn.complete(new URL(ctx.originalUrl, deps.config.issuer), pending);
    } catch (error) {
      if (!isDomainError(error)) throw error;
      return errorPage(ctx, error.status, 'account.error.signInTitle', error.reason);
    }
    const { user } = signedInUser;
    // The provider session this login made or renewed in this browser: "sign out everywhere else" keeps it.
    const providerSession = ctx.cookies.get(oidcCookieNames(deps.config.issuer).session, { signed: true });
    const oidcSessionUid = providerSession ? ((await deps.queries.userAccess.oidcSessionUidOf(user.id, providerSession)) ?? null) : null;
    // A new login replaces this browser's earlier session of the page (a key login after a code one).
    await signIn.end(ctx.cookies.get(SESSION_COOKIE(ctx), { signed: true }));
    const session = await signIn.openSession(signedInUser, oidcSessionUid);
    ctx.cookies.set(SESSION_COOKIE(ctx), session, cookieOptions(ctx, 'strict', ACCOUNT_SESSION_MAX_MINUTES * 60_000));
    await deps.queries.audit.record({ ...auditEvent(userActor(user, { ip: ctx.ip, requestId: ctx.state['requestId'] as string }), 'account.login', 'success', user), clientId: ACCOUNT_CLIENT_ID });
    ctx.status = 303;
    ctx.redirect('/account');
  });

  router.post('/logout', signedIn, async (ctx) => {
    const body = (ctx.request.body ?? {}) as Record<string, unknown>;
    if (!csrf.verify(csrfBinding(stateOf(ctx).session), body['csrf'])) return errorPage(ctx, 403, 'error.notAccepted', 'account.error.formExpired');
    await deps.queries.accountSessions.end(stateOf(ctx).session.idHash);
    ctx.cookies.set(SESSION_COOKIE(ctx), null, cookieOptions(ctx, 'strict'));
    ctx.status = 303;
    ctx.redirect('/account/signed-out');
  });

  router.get('/signed-out', (ctx) => {
    ctx.type = 'html';
    ctx.body = render('account-signed-out', {}, pageLocale(ctx));
  });

  // --- the overview ------------------------------------------------------------------------

  router.get('/', signedIn, async (ctx) => {
    const done = ctx.query['done'];
    await overview(ctx, 200, { notice: isNotice(done) ? `account.notice.${done}` : undefined });
  });

  // --- sessions ----------------------------------------------------------------------------

  postChange('/sessions/others/end', 'signed-out-elsewhere', (request) => signOutEverywhereElse(deps, request));
  postChange('/sessions/:uid/end', 'session-ended', (request, ctx) => endOtherSession(deps, request, ctx.params['uid'] as string));

  // --- security keys -----------------------------------------------------------------------

  /** A form this session may not use (it needs a key login first): the overview, which says so, with 403. */
  async function refusedForm(ctx: Context, error: unknown): Promise<void> {
    if (!isDomainError(error) || error.status !== 403) throw error;
    await overview(ctx, 403, { error: error.reason });
  }

  async function newKeyPage(ctx: Context, status: number, values: { name?: string; error?: Translatable } = {}) {
    let options;
    try {
      options = await beginKeyRegistration(deps, stateOf(ctx).request);
    } catch (error) {
      return refusedForm(ctx, error);
    }
    page(ctx, status, 'account-new-key', { optionsJson: JSON.stringify(options), name: values.name ?? '', maxName: KEY_NAME_MAX, error: values.error });
  }

  router.get('/keys/new', signedIn, (ctx) => newKeyPage(ctx, 200));

  router.post('/keys', signedIn, async (ctx) => {
    const body = (ctx.request.body ?? {}) as Record<string, unknown>;
    if (!csrf.verify(csrfBinding(stateOf(ctx).session), body['csrf'])) return errorPage(ctx, 403, 'error.notAccepted', 'account.error.formExpired');
    try {
      await registerKey(deps, stateOf(ctx).request, { name: body['name'], credential: body['credential'] });
    } catch (error) {
      if (!isDomainError(error)) throw error;
      if (error.status === 403) return overview(ctx, 403, { error: error.reason });
      // The same form again, with a new challenge (the one tried is used up).
      return newKeyPage(ctx, error.status, { name: single(body['name']).slice(0, KEY_NAME_MAX), error: error.reason });
    }
    ctx.status = 303;
    ctx.redirect('/account?done=key-added');
  });

  postChange('/keys/:id/rename', 'key-renamed', (request, ctx, body) => renameKey(deps, request, assertKeyId(ctx.params['id'] as string), body['name']));
  postChange('/keys/:id/remove', 'key-removed', (request, ctx) => removeKey(deps, request, assertKeyId(ctx.params['id'] as string)));

  // --- recovery codes ------------------------------------------------------------------------

  router.post(
    '/recovery-codes',
    signedIn,
    change(async (ctx) => {
      const codes = await regenerateRecoveryCodes(deps, stateOf(ctx).request);
      // Shown once, in the answer to this POST (no-store): they are kept nowhere in clear, so
      // there is nothing a later request could fetch them from. The download is the same text
      // as a data: URL in this page, not a second request: it never leaves the browser.
      const text = `${codes.join('\r\n')}\r\n`;
      page(ctx, 200, 'account-recovery-codes', { codes, download: `data:text/plain;charset=utf-8,${encodeURIComponent(text)}` });
    }),
  );

  // --- password ------------------------------------------------------------------------------

  const passwordPage = (ctx: Context, status: number, error?: Translatable) =>
    page(ctx, status, 'account-password', { minLength: deps.passwordRules.minLength, maxLength: deps.passwordRules.maxLength, error });

  router.get('/password', signedIn, async (ctx) => {
    try {
      await assertMayChangeFactors(deps, stateOf(ctx).request);
    } catch (error) {
      return refusedForm(ctx, error);
    }
    passwordPage(ctx, 200);
  });

  router.post(
    '/password',
    signedIn,
    change(async (ctx, body) => {
      const outcome = await changePassword(deps, stateOf(ctx).request, { current: single(body['current']), password: single(body['password']), confirmation: single(body['confirmation']) });
      if (outcome.kind === 'changed') return 'password-changed';
      if (outcome.kind === 'locked') {
        ctx.cookies.set(SESSION_COOKIE(ctx), null, cookieOptions(ctx, 'strict'));
        return errorPage(ctx, 403, 'account.error.lockedTitle', 'account.error.locked');
      }
      passwordPage(ctx, outcome.status, outcome.error);
    }),
  );

  // --- how codes come ------------------------------------------------------------------------

  const base = '/account/second-factor';

  router.get('/second-factor/authenticator', signedIn, async (ctx) => {
    const { session, csrf: token, request } = stateOf(ctx);
    try {
      // Before the page makes a new secret (a pending enrolment): a refusal changes nothing.
      await assertMayChangeFactors(deps, request);
    } catch (error) {
      return refusedForm(ctx, error);
    }
    const view = await authenticatorPage(deps, { base, csrf: token }, session.user);
    ctx.type = 'html';
    ctx.body = render('enrol-totp', view, languageOf(ctx));
  });

  router.post(
    '/second-factor/enrol-totp',
    signedIn,
    change(async (ctx, body) => {
      const { request, session, csrf: token } = stateOf(ctx);
      if ((await confirmAuthenticatorApp(deps, request, single(body['code']).slice(0, 16))) === 'accepted') return 'method-totp';
      ctx.status = 400;
      ctx.type = 'html';
      ctx.body = render('enrol-totp', await authenticatorPage(deps, { base, csrf: token }, session.user, 'enrol.wrongCode'), languageOf(ctx));
    }),
  );

  postChange('/second-factor/email', 'method-email', (request) => switchToEmailCodes(deps, request));

  return router;
}
