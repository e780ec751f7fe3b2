/**
 * The activation pages a user reaches from the emailed link (`/activate?token=…`):
 * set password → choose a second factor → enrol it (QR code, or an emailed code) → ready.
 *
 * The token is moved out of the URL at once (into a signed, HttpOnly cookie scoped to
 * /activate), so it does not linger in history or reach another site in a Referer.
 * Opening the link does not use it up (mail scanners open links); setting the password does.
 */
import { localeOf, pageLocale } from '../web/locale.js';
import { cookieName } from '../web/cookie-names.js';
import { msg, type MessageKey, type Translatable } from '../i18n/translate.js';
import { codeProblem, isCodeMethod, CODE_METHODS, SECOND_FACTORS, switchSecondFactor, type CodeMethod } from '../factors/second-factors.js';
import type { ClientConfig } from '../config/schema.js';
import { DMS_CLIENT_ID } from '../oidc/first-party-clients.js';
import { configuredClientName } from '../oidc/clients.js';
import type { ViewName, Views } from '../web/views.js';
import { authenticatorPage } from '../login/pages.js';
import Router from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';
import { auditEvent, userActor } from '../kernel/actor.js';
import { ValidationError } from '../kernel/errors.js';
import { codeDelivery, hasOpenEmailOtp, sendEmailOtp, verifyEmailOtp, type EmailOtpDependencies } from '../factors/email-otp.js';
import { confirmTotpEnrolment, type TotpDependencies } from '../factors/totp-service.js';
import type { Renderer } from '../web/render.js';
import { noStore } from '../web/security-headers.js';
import { rateLimitGuard } from '../web/rate-limit-guard.js';
import type { Metrics } from '../observability/metrics.js';
import type { RateLimits } from '../policy/rate-limits.js';
import type { CsrfTokens } from '../web/csrf.js';
import { maskEmail } from '../login/mask-email.js';
import type { Queries } from '../store/index.js';
import type { UserRow } from '../store/users.js';
import {
  activateWithPassword,
  enrolmentSessionUser,
  finishEnrolmentSession,
  hashEnrolmentSession,
  type PasswordSetting,
} from './activation.js';
import { hashActivationToken, inspectActivationLink, isActivationTokenShaped, type ActivationDependencies, type LinkState } from './activation-links.js';
import { firstSecondFactorClosed, secondFactorClosedMessage } from '../reminders/deadline-doors.js';

export interface ActivationRouteDependencies extends ActivationDependencies, PasswordSetting {
  queries: Queries;
  /** The configured clients: the end of an activation links to those that say where their login starts. */
  clients: readonly ClientConfig[];
  render: Renderer;
  csrf: CsrfTokens;
  totp: TotpDependencies;
  emailOtp: EmailOtpDependencies;
  limits: RateLimits;
  metrics: Metrics;
}

/** The activation link's token and the enrolment session; over HTTPS their names carry `__Secure-` (cookie-names.ts). */
const linkCookie = (ctx: Context) => cookieName('ccass_activation', 'path', ctx.secure);
const enrolmentCookie = (ctx: Context) => cookieName('ccass_enrolment', 'path', ctx.secure);
/** What the closing page shows (the method set up, whether a DA), kept for it across the redirect that shows it. */
const doneCookie = (ctx: Context) => cookieName('ccass_activated', 'path', ctx.secure);

const passwordForm = z.object({ csrf: z.string().max(200), password: z.string().max(1024), confirmation: z.string().max(1024) });
const methodForm = z.object({ csrf: z.string().max(200), method: z.enum(CODE_METHODS) });
const codeForm = z.object({ csrf: z.string().max(200), code: z.string().max(32) });
const csrfForm = z.object({ csrf: z.string().max(200) });

const LINK_PROBLEMS: Record<Exclude<LinkState['state'], 'valid'>, { status: number; title: MessageKey; message: MessageKey }> = {
  invalid: { status: 404, title: 'link.invalid.title', message: 'link.invalid.message' },
  used: { status: 410, title: 'link.used.title', message: 'link.used.message' },
  expired: { status: 410, title: 'link.expired.title', message: 'link.expired.message' },
  superseded: { status: 410, title: 'link.superseded.title', message: 'link.superseded.message' },
  unavailable: { status: 403, title: 'link.unavailable.title', message: 'link.unavailable.message' },
};

export function activationRoutes(deps: ActivationRouteDependencies): Router {
  const { render, csrf, queries } = deps;
  const router = new Router({ prefix: '/activate', sensitive: true });
  router.use(noStore);
  const guard = rateLimitGuard({ limits: deps.limits, metrics: deps.metrics, log: deps.log, audit: queries.audit, render });

  const cookieOptions = (ctx: Context, maxAge: number) => ({ httpOnly: true, sameSite: 'lax' as const, path: '/activate', signed: true, secure: ctx.secure, maxAge });

  function page<V extends ViewName>(ctx: Context, status: number, view: V, data: Views[V]) {
    ctx.status = status;
    ctx.type = 'html';
    ctx.body = render(view, data, pageLocale(ctx));
  }
  const message = (ctx: Context, status: number, title: MessageKey, text: Translatable) => page(ctx, status, 'error', { title, message: text, requestId: ctx.state['requestId'] as string });
  const linkProblem = (ctx: Context, state: Exclude<LinkState['state'], 'valid'>) => {
    const problem = LINK_PROBLEMS[state];
    message(ctx, problem.status, problem.title, problem.message);
  };
  const origin = (ctx: Context) => ({ ip: ctx.ip, requestId: ctx.state['requestId'] as string });
  /** Past the email registration deadline a valid link opens only this page (unless the user has an exception). */
  const pastDeadlinePage = (ctx: Context, user: UserRow, deadline: Date) =>
    message(ctx, 403, 'deadlines.activation.pastTitle', msg(user.role === 'da' ? 'deadlines.activation.pastDa' : 'deadlines.activation.past', { deadline }));
  const pastDeadline = async (ctx: Context, user: UserRow): Promise<boolean> => {
    const deadline = await deps.deadlines?.passedFor('emailRegistration', user.id);
    if (deadline) pastDeadlinePage(ctx, user, deadline.at);
    return deadline !== undefined;
  };

  function parse<T extends { csrf: string }>(ctx: Context, schema: z.ZodType<T>, binding: string): T | undefined {
    const parsed = schema.safeParse(ctx.request.body);
    if (!parsed.success) {
      message(ctx, 400, 'error.notAccepted', 'form.incomplete');
      return undefined;
    }
    if (!csrf.verify(binding, parsed.data.csrf)) {
      message(ctx, 403, 'error.notAccepted', 'form.expired');
      return undefined;
    }
    return parsed.data;
  }

  // --- the link and the password -------------------------------------------------------

  router.get('/', async (ctx) => {
    const token = typeof ctx.query['token'] === 'string' ? ctx.query['token'] : undefined;
    if (!token) {
      ctx.status = 303;
      ctx.redirect(ctx.cookies.get(enrolmentCookie(ctx), { signed: true }) ? '/activate/method' : '/activate/password');
      return;
    }
    // Links are unguessable; this keeps anyone from trying at scale all the same.
    if (await guard.refused(ctx, 'activationFailures')) return;
    const link = await inspectActivationLink(deps, token);
    if (link.state !== 'valid') {
      // A well-formed token that opens nothing is a guess; a malformed one is just bad input.
      if (isActivationTokenShaped(token)) await guard.count(ctx, 'activationFailures');
      return linkProblem(ctx, link.state);
    }
    if (await pastDeadline(ctx, link.user)) return;
    deps.metrics.activationSteps.inc({ step: 'link_opened' });
    ctx.cookies.set(linkCookie(ctx), token, cookieOptions(ctx, Math.min(link.token.expires_at.getTime() - deps.clock.now().getTime(), 3600_000)));
    ctx.status = 303;
    ctx.redirect('/activate/password');
  });

  const linkBinding = (token: string) => `activation:${hashActivationToken(token)}`;

  function renderPasswordForm(ctx: Context, status: number, token: string, user: UserRow, error?: Translatable, notice?: Translatable) {
    page(ctx, status, 'activate-password', {
      notice,
      csrf: csrf.issue(linkBinding(token)),
      participantId: user.participant_id,
      userId: user.user_id,
      minLength: deps.rules.minLength,
      maxLength: deps.rules.maxLength,
      error,
    });
  }

  router.get('/password', async (ctx) => {
    const token = ctx.cookies.get(linkCookie(ctx), { signed: true });
    if (!token) return message(ctx, 400, 'activate.openLinkTitle', 'activate.openLink');
    const link = await inspectActivationLink(deps, token);
    if (link.state !== 'valid') return linkProblem(ctx, link.state);
    if (await pastDeadline(ctx, link.user)) return;
    // Past the deadline, a user whose exception lets them activate is told until when.
    const until = await deps.deadlines?.exceptionUntil?.('emailRegistration', link.user.id);
    renderPasswordForm(ctx, 200, token, link.user, undefined, until ? msg('exceptions.notice.activation_deadline', { until }) : undefined);
  });

  router.post('/password', async (ctx) => {
    const token = ctx.cookies.get(linkCookie(ctx), { signed: true });
    if (!token) return message(ctx, 400, 'activate.openLinkTitle', 'activate.pageExpired');
    const form = parse(ctx, passwordForm, linkBinding(token));
    if (!form) return;
    let outcome;
    try {
      outcome = await activateWithPassword(deps, { token, password: form.password, confirmation: form.confirmation }, origin(ctx));
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      const link = await inspectActivationLink(deps, token);
      if (link.state !== 'valid') return linkProblem(ctx, link.state);
      return renderPasswordForm(ctx, 400, token, link.user, error.reason);
    }
    if (!outcome.ok) return 'pastDeadline' in outcome ? pastDeadlinePage(ctx, outcome.user, outcome.pastDeadline) : linkProblem(ctx, outcome.link);
    deps.metrics.activationSteps.inc({ step: 'password_set' });
    ctx.cookies.set(linkCookie(ctx), null, cookieOptions(ctx, 0));
    ctx.cookies.set(enrolmentCookie(ctx), outcome.enrolmentSession, cookieOptions(ctx, deps.settings.enrolmentMinutes * 60_000));
    ctx.status = 303;
    ctx.redirect('/activate/method');
  });

  // --- the second factor ---------------------------------------------------------------

  interface Enrolment {
    session: string;
    user: UserRow;
    binding: string;
  }

  /**
   * The enrolment session of this browser; undefined (and a page already shown) when there is
   * none, or when the second-factor deadline has passed for its user (who has none yet, nor a
   * live exception): a session opened before the deadline sets nothing up after it, and sends
   * no code. A refused post (`attempt`) is audited.
   */
  async function loadEnrolment(ctx: Context, attempt?: CodeMethod): Promise<Enrolment | undefined> {
    const session = ctx.cookies.get(enrolmentCookie(ctx), { signed: true });
    const user = await enrolmentSessionUser(deps, session);
    if (!session || !user) {
      message(ctx, 400, 'activate.setupExpiredTitle', 'activate.setupExpired');
      return undefined;
    }
    const holder = { second_factor: user.second_factor, email: user.email, securityKeys: await queries.webauthnCredentials.countForUser(user.id) };
    const deadline = await firstSecondFactorClosed(deps.deadlines, user.id, holder);
    if (deadline) {
      if (attempt) {
        await queries.audit.record(auditEvent(userActor(user, origin(ctx)), 'second_factor.enrol', 'failure', user, { method: attempt, during: 'activation', reason: 'deadline_passed', deadline: deadline.at.toISOString() }));
      }
      message(ctx, 403, 'deadlines.secondFactor.pastTitle', secondFactorClosedMessage(user.role, deadline));
      return undefined;
    }
    return { session, user, binding: `enrolment:${hashEnrolmentSession(session)}` };
  }

  async function loadEnrolmentForm<T extends { csrf: string }>(ctx: Context, schema: z.ZodType<T>, attempt?: CodeMethod): Promise<{ enrolment: Enrolment; form: T } | undefined> {
    const enrolment = await loadEnrolment(ctx, attempt);
    if (!enrolment) return undefined;
    const form = parse(ctx, schema, enrolment.binding);
    return form ? { enrolment, form } : undefined;
  }

  /** Binds emailed codes to this enrolment session, as login codes are bound to their login. */
  const emailBinding = (enrolment: Enrolment) => `activation:${hashEnrolmentSession(enrolment.session)}`;

  async function complete(ctx: Context, enrolment: Enrolment, method: CodeMethod) {
    // The factor, its record and the end of the set-up: together (the same enrolment as a login's).
    await queries.transaction(async (within) => {
      await switchSecondFactor(within, enrolment.user, method);
      await within.audit.record(
        auditEvent(userActor(enrolment.user, origin(ctx)), 'second_factor.enrol', 'success', enrolment.user, { method, during: 'activation' }),
      );
      await finishEnrolmentSession(within, enrolment.session);
    });
    deps.metrics.activationSteps.inc({ step: 'second_factor_enrolled' });
    ctx.cookies.set(enrolmentCookie(ctx), null, cookieOptions(ctx, 0));
    // Post/redirect/get: the closing page has an address of its own, so reloading it or switching its language shows it again.
    ctx.cookies.set(doneCookie(ctx), `${method}:${enrolment.user.role}`, cookieOptions(ctx, 15 * 60_000));
    ctx.status = 303;
    ctx.redirect('/activate/done');
  }

  router.get('/done', (ctx) => {
    const [method, role] = (ctx.cookies.get(doneCookie(ctx), { signed: true }) ?? '').split(':');
    if (!isCodeMethod(method)) return message(ctx, 400, 'activate.setupExpiredTitle', 'activate.setupExpired');
    const words = SECOND_FACTORS[method].words;
    const locale = localeOf(ctx);
    const starts = deps.clients.filter((client) => client.initiate_login_uri && client.client_id !== DMS_CLIENT_ID);
    const links = [
      ...starts.map((client) => ({ href: client.initiate_login_uri as string, label: msg('done.loginTo', { client: configuredClientName(client, locale) }) })),
      ...(role === 'da' ? [{ href: '/dms', label: 'done.toDms' as const }] : []),
    ];
    // A DA who loses the factor asks another DA of the firm (or HKSCC), not themselves.
    page(ctx, 200, 'activate-done', { ready: words.ready, lost: role === 'da' ? 'done.lostDa' : words.lost, links });
  });

  /** Queues a code for the enrolment and says on the page what became of it (as the login's code page does). */
  async function sendCode(ctx: Context, enrolment: Enrolment, resend: boolean): Promise<{ status: number; values: { notice?: Translatable; error?: Translatable; codeSent?: boolean } }> {
    const outcome = await sendEmailOtp(deps.emailOtp, { id: enrolment.user.id, email: enrolment.user.email as string }, emailBinding(enrolment), 'enrolment');
    const actor = userActor(enrolment.user, origin(ctx));
    if (!outcome.queued) {
      ctx.set('Retry-After', String(outcome.retryAfterSeconds));
      const seconds = outcome.retryAfterSeconds;
      // Too soon after another code: the page says truthfully whether this set-up has one to enter.
      const codeSent = resend && (await hasOpenEmailOtp(deps.emailOtp, enrolment.user.id, emailBinding(enrolment)));
      return { status: resend ? 429 : 200, values: { codeSent, error: msg(codeSent ? 'otp.wait' : 'otp.notSentYet', { seconds }) } };
    }
    const delivery = await codeDelivery(deps.emailOtp, outcome.mailJobId);
    if (delivery === 'mail_unavailable') {
      await queries.audit.record(auditEvent(actor, 'email_otp.send', 'failure', enrolment.user, { reason: 'mail_unavailable', queued: true, purpose: 'enrolment' }));
      return { status: 200, values: { error: msg('otp.mailUnavailable', { minutes: Math.max(1, Math.round(deps.emailOtp.settings.ttlSeconds / 60)) }) } };
    }
    if (delivery === 'sending') return { status: 200, values: { notice: msg('otp.sending') } };
    return { status: 200, values: resend ? { notice: msg('otp.sent') } : {} };
  }

  function renderCodePage(ctx: Context, status: number, enrolment: Enrolment, values: { error?: Translatable; notice?: Translatable; codeSent?: boolean } = {}) {
    page(ctx, status, 'otp', {
      base: '/activate',
      csrf: csrf.issue(enrolment.binding),
      otherWays: [],
      method: 'email',
      email: maskEmail(enrolment.user.email ?? ''),
      digits: 6,
      canChangeMethod: false,
      changingMethod: false,
      canChangePassword: false,
      changingPassword: false,
      error: values.error,
      notice: values.notice,
      codeSent: values.codeSent ?? true,
    });
  }

  async function renderEnrolTotp(ctx: Context, status: number, enrolment: Enrolment, error?: Translatable) {
    page(ctx, status, 'enrol-totp', await authenticatorPage(deps, { base: '/activate', csrf: csrf.issue(enrolment.binding) }, enrolment.user, error));
  }

  router.get('/method', async (ctx) => {
    const enrolment = await loadEnrolment(ctx);
    if (!enrolment) return;
    // Past the second-factor deadline, a user whose exception lets them set one up is told until when (as at login).
    const until = await deps.deadlines?.exceptionUntil?.('secondFactor', enrolment.user.id);
    page(ctx, 200, 'choose-method', {
      base: '/activate',
      csrf: csrf.issue(enrolment.binding),
      email: enrolment.user.email ? maskEmail(enrolment.user.email) : undefined,
      current: null,
      notice: until ? msg('exceptions.notice.second_factor_deadline', { until }) : undefined,
    });
  });

  router.post('/method', async (ctx) => {
    const request = await loadEnrolmentForm(ctx, methodForm);
    if (!request) return;
    ctx.status = 303;
    ctx.redirect(request.form.method === 'totp' ? '/activate/enrol-totp' : '/activate/otp');
  });

  router.get('/enrol-totp', async (ctx) => {
    const enrolment = await loadEnrolment(ctx);
    if (enrolment) await renderEnrolTotp(ctx, 200, enrolment);
  });

  router.post('/enrol-totp', async (ctx) => {
    const request = await loadEnrolmentForm(ctx, codeForm, 'totp');
    if (!request) return;
    if (await guard.refused(ctx, 'otpFailures')) return;
    const verdict = await confirmTotpEnrolment(deps.totp, request.enrolment.user.id, request.form.code);
    if (verdict !== 'accepted') {
      await guard.count(ctx, 'otpFailures');
      return renderEnrolTotp(ctx, 400, request.enrolment, 'enrol.wrongCode');
    }
    await complete(ctx, request.enrolment, 'totp');
  });

  router.get('/otp', async (ctx) => {
    const enrolment = await loadEnrolment(ctx);
    if (!enrolment) return;
    // Send a code when the page is first shown; reloading does not send another.
    if (await hasOpenEmailOtp(deps.emailOtp, enrolment.user.id, emailBinding(enrolment))) return renderCodePage(ctx, 200, enrolment);
    if (!(await guard.spend(ctx, 'emails'))) return;
    const sent = await sendCode(ctx, enrolment, false);
    renderCodePage(ctx, sent.status, enrolment, sent.values);
  });

  router.post('/otp', async (ctx) => {
    const request = await loadEnrolmentForm(ctx, codeForm, 'email');
    if (!request) return;
    if (await guard.refused(ctx, 'otpFailures')) return;
    const verdict = await verifyEmailOtp(deps.emailOtp, request.enrolment.user.id, emailBinding(request.enrolment), request.form.code);
    if (verdict === 'accepted') return complete(ctx, request.enrolment, 'email');
    await guard.count(ctx, 'otpFailures');
    await queries.audit.record(
      auditEvent(userActor(request.enrolment.user, origin(ctx)), 'second_factor.enrol', 'failure', request.enrolment.user, { method: 'email', reason: verdict }),
    );
    renderCodePage(ctx, 401, request.enrolment, {
      error: codeProblem(verdict),
    });
  });

  router.post('/otp/resend', async (ctx) => {
    const request = await loadEnrolmentForm(ctx, csrfForm);
    if (!request) return;
    const { enrolment } = request;
    if (!(await guard.spend(ctx, 'emails'))) return;
    const sent = await sendCode(ctx, enrolment, true);
    renderCodePage(ctx, sent.status, enrolment, sent.values);
  });

  return router;
}
