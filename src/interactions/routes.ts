/**
 * The login pages oidc-provider sends the browser to (`/interaction/:uid`): password, then
 * a second factor (or, for a user without one, an emailed code and the choice of a method),
 * then back to the relying party. Routes parse and check the form, call domain functions
 * with plain data, and render or redirect.
 *
 * Nothing is trusted from the form but what the user typed: which interaction this is,
 * what it asked for, and which factors it has proven come from server-side state found
 * by the interaction cookie (oidc-provider's interaction and our login_progress row).
 */
import type { IncomingMessage } from 'node:http';
import Router from '@koa/router';
import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import type { ProviderRef } from '../oidc/provider-host.js';
import { localeOf, pageLocale, preferUiLocales } from '../http/locale.js';
import { announcedHongKongTime, type Locale } from '../i18n/locales.js';
import { msg, passwordRefusal, type Translatable } from '../i18n/translate.js';
import type { LoginProgress } from '../store/login-progress.js';
import { errors as oidcErrors } from 'oidc-provider';
import QRCode from 'qrcode';
import { z } from 'zod';
import type { Clock } from '../clock.js';
import { codeDelivery, hasOpenEmailOtp, sendEmailOtp, verifyEmailOtp, type EmailOtpDependencies, type SendOutcome } from '../factors/email-otp.js';
import { passwordProblemList, type PasswordHasher, type PasswordRules } from '../factors/password.js';
import { confirmTotpEnrolment, pendingTotpEnrolment, verifyTotp, type TotpDependencies } from '../factors/totp-service.js';
import type { Renderer } from '../http/render.js';
import { noStore } from '../http/security-headers.js';
import type { Logger } from '../observability/logger.js';
import { acceptedMethods, ACR, acrFor, amrFor, SMARTCARD_AMR, type ProvenFactor } from '../oidc/assurance.js';
import { requiresTwoFactor } from '../oidc/clients.js';
import { DMS_CLIENT_ID } from '../dms/sign-in.js';
import { loginAccess, passwordLoginMayApply, phaseBanner, REFUSAL_MESSAGES, type PhaseBanner, refusalFor, type ClientRequirement, type LoginMethod } from '../policy/access.js';
import type { PhasePolicy } from '../policy/phase-policy.js';
import type { Phase } from '../policy/phases.js';
import type { SmartcardTrustStore } from '../factors/smartcard-trust.js';
import type { PresentedCertificate } from './client-certificate.js';
import { authenticateWithSmartcard, type SmartcardFailureReason } from './smartcard-login.js';
import { isLocked, lockEndsAt, type LockoutPolicy } from '../policy/lockout.js';
import type { Metrics } from '../observability/metrics.js';
import type { RateLimits } from '../policy/rate-limits.js';
import { rateLimitGuard } from '../http/rate-limit-guard.js';
import type { Queries } from '../store/index.js';
import type { UserRow } from '../store/users.js';
import type { CsrfTokens } from './csrf.js';
import { nextLoginStep, type LoginStep } from './login-steps.js';
import { revokeUserAccess } from '../directory/access-revocation.js';
import { createSecurityNotices } from '../mail/security-notices.js';
import { userActor, type Actor } from '../directory/actor.js';
import { authenticateWithPassword, recordPasswordFailure } from './password-login.js';

export interface InteractionDependencies {
  /** This node's provider (rebuilt when signing keys rotate: ask for it on each use). */
  provider: ProviderRef;
  queries: Queries;
  hasher: PasswordHasher;
  render: Renderer;
  csrf: CsrfTokens;
  log: Logger;
  clock: Clock;
  lockout: LockoutPolicy;
  interactionTtlSeconds: number;
  /** Which methods the phase in force allows; every login's audit record names the phase. */
  policy: PhasePolicy;
  /** Smartcard login, when configured. */
  smartcard?: SmartcardLogin | undefined;
  metrics: Metrics;
  /** What a new password must satisfy (a user may change theirs during a login). */
  passwordRules: PasswordRules;
  /** Per-address limits on failed passwords and codes, and on emails sent. */
  limits: RateLimits;
  totp: TotpDependencies;
  emailOtp: EmailOtpDependencies;
}

export interface SmartcardLogin {
  trust: SmartcardTrustStore;
  certificateOf: (req: IncomingMessage) => PresentedCertificate;
  /** The origin the "Log in with smartcard" form posts to (the TLS listener, or the proxy's). */
  loginOrigin: string;
}

export const GENERIC_LOGIN_ERROR = 'The participant ID, user ID or password is not correct.';
const INCOMPLETE_LOGIN_ERROR = 'Enter your participant ID, user ID and password.';
const WRONG_CODE = 'That code is not correct, or it has already been used. Enter the current code.';
const LOCKED_MESSAGE =
  'Too many failed attempts: your account is locked for now. Try again later, or ask your Delegated Administrator to unlock it.';

const loginForm = z.object({
  csrf: z.string().max(200),
  participantId: z.string().max(64),
  userId: z.string().max(64),
  password: z.string().max(1024),
});
const SMARTCARD_NOT_ACCEPTED =
  'Your smartcard could not be accepted. Log in with your password and one-time code, or contact HKSCC about your smartcard.';
const SMARTCARD_MESSAGES: Partial<Record<SmartcardFailureReason, string>> = {
  expired: 'Your smartcard certificate has expired. Log in with your password and one-time code, or contact HKSCC about a new smartcard.',
  revoked: 'This smartcard has been revoked. Log in with your password and one-time code, or contact HKSCC.',
  unbound: 'This smartcard is not registered to a CCASS user. Log in with your password and one-time code, or contact HKSCC to register the card.',
  locked: LOCKED_MESSAGE,
  disabled: 'Your account is disabled. Ask your Delegated Administrator.',
};

const csrfOnlyForm = z.object({ csrf: z.string().max(200) });
const codeForm = z.object({ csrf: z.string().max(200), code: z.string().max(32) });
const methodForm = z.object({ csrf: z.string().max(200), method: z.enum(['totp', 'email']) });
const newPasswordForm = z.object({ csrf: z.string().max(200), current: z.string().max(1024), password: z.string().max(1024), confirmation: z.string().max(1024) });

/** The phase banner as a message in the page's language (its instant written for that language). */
function bannerMessage(banner: PhaseBanner | undefined, locale: Locale): Translatable | undefined {
  if (!banner) return undefined;
  return banner.at ? msg(banner.key, { time: announcedHongKongTime(banner.at, locale) }) : banner.key;
}

type InteractionDetails = Awaited<ReturnType<Provider['interactionDetails']>>;
type InteractionResult = Parameters<Provider['interactionResult']>[2];

interface LoginState {
  details: InteractionDetails;
  user: UserRow;
  proven: ProvenFactor[];
  changeMethod: boolean;
  changePassword: boolean;
  step: LoginStep;
}

export function interactionRoutes(deps: InteractionDependencies): Router {
  const { provider, render, csrf, queries, clock } = deps;
  const router = new Router({ prefix: '/interaction' });
  router.use(noStore);
  const guard = rateLimitGuard({ limits: deps.limits, metrics: deps.metrics, log: deps.log, audit: queries.audit, render });
  const notices = createSecurityNotices({ outbox: deps.emailOtp.outbox, now: () => clock.now() });

  function renderMessage(ctx: Context, status: number, title: string, message: string) {
    ctx.status = status;
    ctx.type = 'html';
    ctx.body = render('error', { title, message, requestId: ctx.state['requestId'] }, pageLocale(ctx));
  }

  /** The interaction the browser's cookie points at, which must be the one in the URL. */
  async function loadInteraction(ctx: Context): Promise<InteractionDetails | undefined> {
    try {
      const details = await provider.current().interactionDetails(ctx.req, ctx.res);
      if (details.uid === ctx['params'].uid) {
        preferUiLocales(ctx, details.params['ui_locales']);
        return details;
      }
    } catch (error) {
      if (!(error instanceof oidcErrors.SessionNotFound)) throw error;
    }
    renderMessage(
      ctx,
      400,
      'Your login has expired',
      'This login page has expired or was opened in another browser. Go back to the application you were using and start the login again.',
    );
    return undefined;
  }

  /** Parses a form and checks its CSRF token; answers 400/403 itself and returns undefined when they fail. */
  function parseForm<T extends { csrf: string }>(ctx: Context, details: InteractionDetails, schema: z.ZodType<T>): T | undefined {
    const parsed = schema.safeParse(ctx.request.body);
    if (!parsed.success) {
      renderMessage(ctx, 400, 'Request not accepted', 'The form was incomplete. Go back and try again.');
      return undefined;
    }
    if (!csrf.verify(details.uid, parsed.data.csrf)) {
      renderMessage(ctx, 403, 'Request not accepted', 'Your form expired. Please go back and try again.');
      return undefined;
    }
    return parsed.data;
  }

  /** Where a login with a proven password stands; undefined (and a page already rendered) if it cannot go on. */
  async function loadLoginState(ctx: Context, details: InteractionDetails, loaded?: LoginProgress): Promise<LoginState | undefined> {
    if (details.prompt.name !== 'login') {
      renderMessage(ctx, 400, 'Request not accepted', 'This login step is already complete.');
      return undefined;
    }
    const progress = loaded ?? (await queries.loginProgress.find(details.uid, clock.now()));
    const user = progress ? await queries.users.findBySubject(progress.userId) : undefined;
    if (!progress || !user) {
      ctx.status = 303;
      ctx.redirect(`/interaction/${details.uid}`);
      return undefined;
    }
    if (user.status !== 'active' || isLocked(user, clock.now())) {
      await queries.loginProgress.finish(details.uid);
      renderMessage(ctx, 403, 'You cannot log in now', LOCKED_MESSAGE);
      return undefined;
    }
    const proven = progress.factors as ProvenFactor[];
    return {
      details,
      user,
      proven,
      changeMethod: progress.changeMethod,
      changePassword: progress.changePassword,
      step: nextLoginStep(proven, user, progress.changeMethod, progress.changePassword),
    };
  }

  /**
   * The common start of a second-factor form post: the interaction, the checked form, and the
   * login state, which must be at one of `steps`. Undefined when a response was already given.
   */
  async function stepPost<T extends { csrf: string }>(
    ctx: Context,
    schema: z.ZodType<T>,
    steps: readonly LoginStep[],
  ): Promise<{ details: InteractionDetails; form: T; state: LoginState } | undefined> {
    const details = await loadInteraction(ctx);
    if (!details) return undefined;
    const form = parseForm(ctx, details, schema);
    if (!form) return undefined;
    const state = await loadLoginState(ctx, details);
    if (!state) return undefined;
    if (!steps.includes(state.step)) {
      renderMessage(ctx, 400, 'Request not accepted', 'This step does not apply to your login now. Go back and follow the page shown.');
      return undefined;
    }
    return { details, form, state };
  }

  async function clientName(details: InteractionDetails): Promise<string> {
    const client = await provider.current().Client.find(String(details.params['client_id']));
    return client?.clientName ?? 'CCASS';
  }

  /** Which login methods this request's client accepts: its acr_values and its configuration. */
  async function requirementOf(details: InteractionDetails): Promise<ClientRequirement> {
    const clientId = String(details.params['client_id']);
    const client = await provider.current().Client.find(clientId);
    const raw = details.params['acr_values'];
    const requested = typeof raw === 'string' ? raw.split(' ').filter(Boolean) : [];
    return { accepts: acceptedMethods(requested, client ? requiresTwoFactor(client) : false), administration: clientId === DMS_CLIENT_ID };
  }

  async function renderLogin(ctx: Context, details: InteractionDetails, values: { participantId?: string; userId?: string; error?: Translatable } = {}) {
    const [snapshot, requirement] = await Promise.all([deps.policy.current(), requirementOf(details)]);
    const access = loginAccess(snapshot.phase, false, requirement);
    ctx.type = 'html';
    ctx.body = render('login', {
      uid: details.uid,
      csrf: csrf.issue(details.uid),
      clientName: await clientName(details),
      participantId: values.participantId ?? '',
      userId: values.userId ?? '',
      error: values.error,
      // Before anyone has typed who they are, a pilot participant might be the one at the keyboard.
      showPassword: passwordLoginMayApply(snapshot.phase, snapshot.pilots.size > 0, requirement),
      smartcardAction: deps.smartcard && access.smartcard ? `${deps.smartcard.loginOrigin}/interaction/${details.uid}/smartcard` : undefined,
      banner: bannerMessage(phaseBanner(snapshot), localeOf(ctx)),
    }, pageLocale(ctx));
  }

  /** Why `method` may not complete this login now (phase, pilot, client), or null. */
  async function policyRefusal(details: InteractionDetails, method: LoginMethod, user?: UserRow) {
    const [snapshot, requirement] = await Promise.all([deps.policy.current(), requirementOf(details)]);
    return refusalFor(method, snapshot.phase, user ? snapshot.pilots.has(user.participant_id) : false, requirement);
  }

  function renderCodePage(ctx: Context, state: LoginState, values: { error?: Translatable; notice?: Translatable } = {}) {
    ctx.type = 'html';
    ctx.body = render('otp', {
      base: `/interaction/${state.details.uid}`,
      csrf: csrf.issue(state.details.uid),
      method: state.step === 'totp' ? 'totp' : 'email',
      email: maskEmail(state.user.email ?? ''),
      digits: state.step === 'totp' ? deps.totp.parameters.digits : 6,
      // An enrolled user may ask to change method; the new one is chosen after this code.
      canChangeMethod: state.user.second_factor !== null && !state.changeMethod && !state.changePassword,
      changingMethod: state.changeMethod,
      canChangePassword: state.user.second_factor !== null && !state.changeMethod && !state.changePassword,
      changingPassword: state.changePassword,
      error: values.error,
      notice: values.notice,
    }, pageLocale(ctx));
  }

  function renderNewPassword(ctx: Context, state: LoginState, error?: Translatable) {
    ctx.type = 'html';
    ctx.body = render('change-password', {
      base: `/interaction/${state.details.uid}`,
      csrf: csrf.issue(state.details.uid),
      participantId: state.user.participant_id,
      userId: state.user.user_id,
      minLength: deps.passwordRules.minLength,
      maxLength: deps.passwordRules.maxLength,
      error,
    }, pageLocale(ctx));
  }

  async function renderEnrolTotp(ctx: Context, state: LoginState, error?: Translatable) {
    const enrolment = await pendingTotpEnrolment(deps.totp, state.user);
    ctx.type = 'html';
    ctx.body = render('enrol-totp', {
      base: `/interaction/${state.details.uid}`,
      csrf: csrf.issue(state.details.uid),
      qrCode: await QRCode.toDataURL(enrolment.uri, { errorCorrectionLevel: 'M', margin: 2, width: 240 }),
      manualKey: enrolment.manualKey,
      issuer: deps.totp.issuer,
      digits: deps.totp.parameters.digits,
      error,
    }, pageLocale(ctx));
  }

  /**
   * Queues a code for this login and says on the page what became of it: sent, on its way,
   * or held up by the mail server (then the queue sends it when the server is back, if the
   * login still waits). Audited either way; a held-up code is a failure the operators count.
   */
  async function sendCode(ctx: Context, state: LoginState, resend: boolean): Promise<{ status: number; values: { notice?: Translatable; error?: Translatable } }> {
    const outcome: SendOutcome = await sendEmailOtp(deps.emailOtp, { id: state.user.id, email: state.user.email as string }, state.details.uid);
    if (!outcome.queued) {
      await audit(ctx, 'email_otp.send', 'failure', state.user, state.details, { reason: outcome.reason });
      ctx.set('Retry-After', String(outcome.retryAfterSeconds));
      return { status: resend ? 429 : 200, values: { error: msg('otp.wait', { seconds: outcome.retryAfterSeconds }) } };
    }
    const delivery = await codeDelivery(deps.emailOtp, outcome.mailJobId);
    if (delivery === 'mail_unavailable') {
      await audit(ctx, 'email_otp.send', 'failure', state.user, state.details, { reason: 'mail_unavailable', queued: true });
      const minutes = Math.max(1, Math.round(deps.emailOtp.settings.ttlSeconds / 60));
      return { status: 200, values: { error: msg('otp.mailUnavailable', { minutes }) } };
    }
    await audit(ctx, 'email_otp.send', 'success', state.user, state.details, { delivery });
    if (delivery === 'sending') return { status: 200, values: { notice: msg('otp.sending') } };
    return { status: 200, values: resend ? { notice: msg('otp.sent') } : {} };
  }

  /**
   * Records an event of this login (with the phase in force). Inside a transaction, pass the
   * phase read before it began: reading it may need a connection of its own, and a transaction
   * that waits for one while holding another can starve the pool.
   */
  async function audit(ctx: Context, type: string, outcome: 'success' | 'failure', user: UserRow | undefined, details: InteractionDetails, extra: Record<string, unknown> = {}, within: Pick<Queries, 'audit'> = queries, knownPhase?: Phase) {
    // A login's verdict: completed or refused by policy ('login'), or a refused smartcard.
    const phase = knownPhase ?? (await deps.policy.current()).phase;
    if (type === 'login' || (type === 'login.smartcard' && outcome === 'failure')) {
      deps.metrics.logins.inc({ method: extra['method'] === 'smartcard' ? 'smartcard' : 'password+otp', outcome, phase });
    }
    await within.audit.record({
      type,
      outcome,
      participantId: user?.participant_id ?? null,
      userId: user?.user_id ?? null,
      clientId: String(details.params['client_id']),
      ip: ctx.ip,
      requestId: ctx.state['requestId'] as string,
      details: { ...extra, phase },
    });
  }

  /** A failed second factor: counts towards the lock; answers with the page to show next. */
  async function secondFactorFailed(ctx: Context, state: LoginState, method: string, reason: string): Promise<boolean> {
    if (method !== 'password_change') deps.metrics.secondFactorFailures.inc({ method });
    // The failure, its record, a replay's notice, and a lock with all it ends and tells the user: one transaction.
    const { phase } = await deps.policy.current();
    const locked = await queries.transaction(async (within) => {
      const counted = await within.users.recordFailure(state.user.id, deps.lockout.threshold, lockEndsAt(deps.lockout, state.user.lockout_count, clock.now()));
      await audit(ctx, `login.${method}`, 'failure', state.user, state.details, { reason, locked: counted.locked }, within, phase);
      // A code used twice: the user's password and code may both be in someone else's hands.
      if (reason === 'replayed') await notices.send(within, state.user, 'code_replayed', { ip: ctx.ip });
      if (counted.locked) {
        await audit(ctx, 'account.lock', 'success', state.user, state.details, { after: method }, within, phase);
        await revokeUserAccess({ queries: within, notices }, state.user, 'lock', lockoutActor(ctx));
        await within.loginProgress.finish(state.details.uid);
      }
      return counted.locked;
    });
    if (locked) {
      deps.metrics.lockouts.inc();
      renderMessage(ctx, 403, 'You cannot log in now', LOCKED_MESSAGE);
    }
    return locked;
  }

  function lockoutActor(ctx: Context): Actor {
    return { name: 'system:lockout', ip: ctx.ip, requestId: ctx.state['requestId'] as string };
  }

  /** A user who replaced their second factor: sessions opened with the old one end (this login goes on). */
  async function endOtherAccessAfterChange(ctx: Context, state: LoginState, within: Queries) {
    if (state.user.second_factor === null) return; // a first enrolment changes nothing that was in use
    const actor = userActor(state.user, { ip: ctx.ip, requestId: ctx.state['requestId'] as string });
    await revokeUserAccess({ queries: within, notices }, state.user, 'second_factor_change', actor, state.details.uid);
  }

  /**
   * Hands the interaction's result to oidc-provider and sends the browser back to it. What
   * `provider.interactionResult(..., { mergeWithLastSubmission: false })` does, on the
   * interaction this request already loaded, instead of reading it from the database again.
   */
  async function finish(ctx: Context, details: InteractionDetails, result: InteractionResult) {
    details.result = result;
    await details.save(details.exp - Math.floor(Date.now() / 1000));
    ctx.status = 303;
    ctx.redirect(details.returnTo);
  }

  /** Every factor the login needs is proven: hand the result to oidc-provider. */
  async function completeLogin(ctx: Context, state: LoginState, proven: ProvenFactor[]) {
    const amr = amrFor(proven);
    await queries.loginProgress.finish(state.details.uid);
    // The phase may have changed (or an operator pinned one) since the password step.
    const refusal = await policyRefusal(state.details, 'two-factor', state.user);
    if (refusal) {
      await audit(ctx, 'login', 'failure', state.user, state.details, { method: proven.join('+'), reason: refusal });
      renderMessage(ctx, 403, 'You cannot log in this way now', REFUSAL_MESSAGES[refusal]);
      return;
    }
    await queries.users.recordLogin(state.user.id, 'two-factor', clock.now());
    await audit(ctx, 'login', 'success', state.user, state.details, { method: proven.join('+'), amr, acr: ACR.twoFactor });
    await finish(ctx, state.details, { login: { accountId: state.user.id, acr: ACR.twoFactor, amr, remember: true } });
  }

  /** After a step succeeded: finish, or show the next step (post/redirect/get). */
  async function advance(ctx: Context, state: LoginState, factor: ProvenFactor) {
    const proven = [...state.proven, factor];
    // A code proves a factor and changes nothing about the user: the state loaded for this
    // request still holds. A completed login's progress row is deleted, so it is not updated first.
    if (nextLoginStep(proven, state.user, state.changeMethod, state.changePassword) === 'complete') {
      await completeLogin(ctx, state, proven);
      return;
    }
    await queries.loginProgress.addFactor(state.details.uid, factor);
    ctx.status = 303;
    ctx.redirect(`/interaction/${state.details.uid}`);
  }

  router.get('/:uid', async (ctx) => {
    const details = await loadInteraction(ctx);
    if (!details) return;
    if (details.prompt.name === 'consent') {
      const missing = (details.prompt.details['missingOIDCScope'] as string[] | undefined) ?? [];
      ctx.type = 'html';
      ctx.body = render('consent', {
        uid: details.uid,
        csrf: csrf.issue(details.uid),
        clientName: await clientName(details),
        scopes: missing.filter((scope) => scope !== 'openid'),
      }, pageLocale(ctx));
      return;
    }
    if (details.prompt.name !== 'login') return ctx.throw(400, `unsupported interaction prompt ${details.prompt.name}`);

    const progress = await queries.loginProgress.find(details.uid, clock.now());
    if (!progress) {
      await renderLogin(ctx, details);
      return;
    }
    const state = await loadLoginState(ctx, details, progress);
    if (!state) return;
    switch (state.step) {
      case 'password':
        await renderLogin(ctx, details);
        return;
      case 'totp':
        renderCodePage(ctx, state);
        return;
      case 'email-otp': {
        // Send a code when the page is first shown; reloading does not send another.
        let values = {};
        if (!(await hasOpenEmailOtp(deps.emailOtp, state.user.id, details.uid))) {
          if (!(await guard.spend(ctx, 'emails'))) return;
          values = (await sendCode(ctx, state, false)).values;
        }
        renderCodePage(ctx, state, values);
        return;
      }
      case 'new-password':
        renderNewPassword(ctx, state);
        return;
      case 'choose-method':
        ctx.type = 'html';
        ctx.body = render('choose-method', {
          base: `/interaction/${details.uid}`,
          csrf: csrf.issue(details.uid),
          email: state.user.email ? maskEmail(state.user.email) : undefined,
          current: state.user.second_factor,
        }, pageLocale(ctx));
        return;
      case 'no-second-factor':
        await queries.loginProgress.finish(details.uid);
        renderMessage(
          ctx,
          403,
          'Your account is not ready for login yet',
          'A second factor is needed to log in, and your account has no designated email address to set one up. Ask your Delegated Administrator to register your email address.',
        );
        return;
      case 'complete':
        await completeLogin(ctx, state, state.proven);
        return;
    }
  });

  router.post('/:uid/login', async (ctx) => {
    const details = await loadInteraction(ctx);
    if (!details) return;
    const parsed = loginForm.safeParse(ctx.request.body);
    if (!parsed.success || !csrf.verify(details.uid, parsed.data.csrf)) {
      ctx.status = parsed.success ? 403 : 400;
      const partial = (ctx.request.body ?? {}) as Record<string, unknown>;
      await renderLogin(ctx, details, {
        participantId: typeof partial['participantId'] === 'string' ? partial['participantId'].slice(0, 64) : '',
        userId: typeof partial['userId'] === 'string' ? partial['userId'].slice(0, 64) : '',
        error: parsed.success ? 'Your login form expired. Please enter your details again.' : INCOMPLETE_LOGIN_ERROR,
      });
      return;
    }
    if (details.prompt.name !== 'login') return ctx.throw(400, 'this login step is already complete');

    const input = parsed.data;
    if (!input.participantId.trim() || !input.userId.trim() || !input.password) {
      ctx.status = 400;
      await renderLogin(ctx, details, { participantId: input.participantId, userId: input.userId, error: INCOMPLETE_LOGIN_ERROR });
      return;
    }

    // Checked before any work: an address that failed too often gets no more guesses for now.
    if (await guard.refused(ctx, 'loginFailures')) return;
    const passwordDeps = { users: queries.users, hasher: deps.hasher, clock, lockout: deps.lockout };
    const outcome = await authenticateWithPassword(passwordDeps, input);
    const { phase } = await deps.policy.current();
    const passwordAudit = (result: 'success' | 'failure', extra: Record<string, unknown>) => ({
      type: 'login.password',
      outcome: result,
      participantId: outcome.user?.participant_id ?? input.participantId.trim().slice(0, 64),
      userId: outcome.user?.user_id ?? input.userId.trim().slice(0, 64),
      clientId: String(details.params['client_id']),
      ip: ctx.ip,
      requestId: ctx.state['requestId'] as string,
      details: { method: 'password', phase, ...extra },
    });
    if (!outcome.ok) {
      // The failure, its record, and a lock with all it ends and tells the user: one transaction.
      const failed = outcome;
      const lockedNow = await queries.transaction(async (within) => {
        const locked = await recordPasswordFailure({ ...passwordDeps, users: within.users }, failed);
        await within.audit.record(passwordAudit('failure', { reason: failed.reason, ...(locked ? { locked: true } : {}) }));
        if (locked && failed.user) {
          await audit(ctx, 'account.lock', 'success', failed.user, details, { after: 'password' }, within, phase);
          await revokeUserAccess({ queries: within, notices }, failed.user, 'lock', lockoutActor(ctx));
        }
        return locked;
      });
      deps.metrics.logins.inc({ method: 'password+otp', outcome: 'failure', phase });
      if (lockedNow) deps.metrics.lockouts.inc();
      await guard.count(ctx, 'loginFailures');
      ctx.status = 401;
      await renderLogin(ctx, details, { participantId: input.participantId, userId: input.userId, error: GENERIC_LOGIN_ERROR });
      return;
    }
    await queries.audit.record(passwordAudit('success', {}));
    const refusal = await policyRefusal(details, 'two-factor', outcome.user);
    if (refusal) {
      await audit(ctx, 'login', 'failure', outcome.user, details, { method: 'password', reason: refusal });
      ctx.status = 403;
      await renderLogin(ctx, details, { participantId: input.participantId, userId: input.userId, error: REFUSAL_MESSAGES[refusal] });
      return;
    }
    // The password is proven for this interaction only, and for no longer than an interaction
    // lives (measured on our clock, like every other expiry we keep).
    await queries.loginProgress.start(details.uid, outcome.user.id, ['pwd'], new Date(clock.now().getTime() + deps.interactionTtlSeconds * 1000));
    ctx.status = 303;
    ctx.redirect(`/interaction/${details.uid}`);
  });

  /**
   * "Log in with smartcard": the form on the login page posts here, over the listener (or
   * proxy) that asks the browser for its client certificate.
   */
  router.post('/:uid/smartcard', async (ctx) => {
    const details = await loadInteraction(ctx);
    if (!details) return;
    if (!parseForm(ctx, details, csrfOnlyForm)) return;
    if (details.prompt.name !== 'login') {
      renderMessage(ctx, 400, 'Request not accepted', 'This login step is already complete.');
      return;
    }
    const smartcard = deps.smartcard;
    if (!smartcard) {
      renderMessage(ctx, 404, 'Smartcard login is not available', 'This server does not accept smartcards. Log in with your password and one-time code.');
      return;
    }
    const presented = smartcard.certificateOf(ctx.req);
    if (presented.kind !== 'certificate') {
      const reason = {
        none: 'no_certificate',
        'untrusted-header': 'untrusted_certificate_header',
        'repeated-header': 'repeated_certificate_header',
        'malformed-header': 'malformed_certificate_header',
      }[presented.kind];
      await audit(ctx, 'login.smartcard', 'failure', undefined, details, { method: 'smartcard', reason });
      if (presented.kind !== 'none') deps.log.warn({ requestId: ctx.state['requestId'], ip: ctx.req.socket.remoteAddress, reason }, 'client certificate header refused');
      const message =
        presented.kind === 'none'
          ? 'Your browser did not present a smartcard certificate. Insert your smartcard, check that its software is running, and try again, or log in with your password and one-time code.'
          : SMARTCARD_NOT_ACCEPTED;
      renderMessage(ctx, 400, 'No smartcard certificate', message);
      return;
    }

    const outcome = await authenticateWithSmartcard({ trust: smartcard.trust, bindings: queries.smartcardBindings, users: queries.users, clock }, presented.der, presented.chain);
    const card = outcome.certificate && { fingerprint: outcome.certificate.fingerprint, serial: outcome.certificate.serial, issuer: outcome.certificate.issuer, source: presented.source };
    // The phase and the client decide first: after the cut-off no card opens anything.
    const refusal = await policyRefusal(details, 'smartcard', outcome.user);
    if (refusal) {
      await audit(ctx, 'login.smartcard', 'failure', outcome.user, details, { method: 'smartcard', reason: refusal, ...(card ? { certificate: card } : {}) });
      renderMessage(ctx, 403, 'Smartcard login is not accepted', REFUSAL_MESSAGES[refusal]);
      return;
    }
    if (!outcome.ok) {
      await audit(ctx, 'login.smartcard', 'failure', outcome.user, details, { method: 'smartcard', reason: outcome.reason, ...(card ? { certificate: card } : {}) });
      if (outcome.reason === 'trust_unavailable' || outcome.reason === 'revocation_unknown') {
        deps.log.error({ reason: outcome.reason, problems: smartcard.trust.problems() }, 'smartcard login refused: trust material unusable');
      }
      renderMessage(ctx, 403, 'Smartcard not accepted', SMARTCARD_MESSAGES[outcome.reason] ?? SMARTCARD_NOT_ACCEPTED);
      return;
    }
    const acr = acrFor('smartcard');
    const amr = [...SMARTCARD_AMR];
    await queries.users.recordLogin(outcome.user.id, 'smartcard', clock.now());
    await audit(ctx, 'login', 'success', outcome.user, details, { method: 'smartcard', amr, acr, certificate: card });
    await finish(ctx, details, { login: { accountId: outcome.user.id, acr, amr, remember: true } });
  });

  router.post('/:uid/otp', async (ctx) => {
    const details = await loadInteraction(ctx);
    if (!details) return;
    const form = parseForm(ctx, details, codeForm);
    if (!form) return;
    const state = await loadLoginState(ctx, details);
    if (!state) return;
    if ((state.step === 'totp' || state.step === 'email-otp') && (await guard.refused(ctx, 'otpFailures'))) return;
    // Any other step (e.g. a stale tab): show the page that applies now.
    if (state.step === 'totp') {
      const verdict = await verifyTotp(deps.totp, state.user.id, form.code);
      if (verdict === 'accepted') {
        await audit(ctx, 'login.totp', 'success', state.user, details);
        await advance(ctx, state, 'totp');
        return;
      }
      await guard.count(ctx, 'otpFailures');
      if (await secondFactorFailed(ctx, state, 'totp', verdict)) return;
      ctx.status = 401;
      renderCodePage(ctx, state, { error: WRONG_CODE });
      return;
    }
    if (state.step === 'email-otp') {
      const verdict = await verifyEmailOtp(deps.emailOtp, state.user.id, details.uid, form.code);
      if (verdict === 'accepted') {
        await audit(ctx, 'login.email_otp', 'success', state.user, details);
        await advance(ctx, state, 'email');
        return;
      }
      await guard.count(ctx, 'otpFailures');
      if (await secondFactorFailed(ctx, state, 'email_otp', verdict)) return;
      ctx.status = 401;
      const error =
        verdict === 'rejected' ? WRONG_CODE : 'That code has expired or was tried too many times. Ask for a new code below.';
      renderCodePage(ctx, state, { error });
      return;
    }
    ctx.status = 303;
    ctx.redirect(`/interaction/${details.uid}`);
  });

  router.post('/:uid/otp/resend', async (ctx) => {
    const request = await stepPost(ctx, csrfOnlyForm, ['email-otp']);
    if (!request) return;
    const { state } = request;
    if (!(await guard.spend(ctx, 'emails'))) return;
    const sent = await sendCode(ctx, state, true);
    ctx.status = sent.status;
    renderCodePage(ctx, state, sent.values);
  });

  router.post('/:uid/method', async (ctx) => {
    const request = await stepPost(ctx, methodForm, ['choose-method']);
    if (!request) return;
    const { details, form, state } = request;
    if (form.method === 'totp') {
      ctx.status = 303;
      ctx.redirect(`/interaction/${details.uid}/enrol-totp`);
      return;
    }
    if (!state.user.email) return ctx.throw(400, 'email codes need a designated email address');
    const { phase } = await deps.policy.current();
    await queries.transaction(async (within) => {
      if (state.user.second_factor === 'totp') await within.totpCredentials.remove(state.user.id);
      await within.users.setSecondFactor(state.user.id, 'email');
      await audit(ctx, 'second_factor.enrol', 'success', state.user, details, { method: 'email', previous: state.user.second_factor }, within, phase);
      await endOtherAccessAfterChange(ctx, state, within);
    });
    await completeLogin(ctx, state, state.proven);
  });

  router.post('/:uid/change-method', async (ctx) => {
    const request = await stepPost(ctx, csrfOnlyForm, ['totp', 'email-otp']);
    if (!request) return;
    if (request.state.user.second_factor === null) return ctx.throw(400, 'no second factor to change yet');
    await queries.loginProgress.requestMethodChange(request.details.uid);
    ctx.status = 303;
    ctx.redirect(`/interaction/${request.details.uid}`);
  });

  router.post('/:uid/change-password', async (ctx) => {
    const request = await stepPost(ctx, csrfOnlyForm, ['totp', 'email-otp']);
    if (!request) return;
    await queries.loginProgress.setPasswordChange(request.details.uid, true);
    ctx.status = 303;
    ctx.redirect(`/interaction/${request.details.uid}`);
  });

  /**
   * The new password, once both factors of this login are proven. The current password is
   * typed again (ASVS 2.1.6): a wrong one counts towards the lock like any failed password.
   */
  router.post('/:uid/password', async (ctx) => {
    const request = await stepPost(ctx, newPasswordForm, ['new-password']);
    if (!request) return;
    const { details, form, state } = request;
    if (await guard.refused(ctx, 'loginFailures')) return;
    const current = state.user.password_hash ? await deps.hasher.verify(state.user.password_hash, form.current) : false;
    if (!current) {
      await guard.count(ctx, 'loginFailures');
      if (await secondFactorFailed(ctx, state, 'password_change', 'wrong_password')) return;
      ctx.status = 401;
      renderNewPassword(ctx, state, 'Your current password is not correct.');
      return;
    }
    const problems = passwordProblemList(form.password, deps.passwordRules, { userId: state.user.user_id, participantId: state.user.participant_id });
    const error: Translatable | undefined = problems.length
      ? passwordRefusal(problems)
      : form.password !== form.confirmation
        ? 'The two new passwords are not the same. Type the same password in both fields.'
        : form.password === form.current
          ? 'Choose a password different from your current one.'
          : undefined;
    if (error) {
      ctx.status = 400;
      renderNewPassword(ctx, state, error);
      return;
    }
    const hash = await deps.hasher.hash(form.password);
    const actor = userActor(state.user, { ip: ctx.ip, requestId: ctx.state['requestId'] as string });
    const { phase } = await deps.policy.current();
    await queries.transaction(async (within) => {
      await within.users.setPasswordHash(state.user.id, hash);
      await audit(ctx, 'user.password.change', 'success', state.user, details, { by: 'user' }, within, phase);
      // Whoever held a session opened with the old password must log in again; this login goes on.
      await revokeUserAccess({ queries: within, notices }, state.user, 'password_change', actor, details.uid);
      await within.loginProgress.setPasswordChange(details.uid, false);
    });
    const next = nextLoginStep(state.proven, state.user, state.changeMethod, false);
    if (next === 'complete') {
      await completeLogin(ctx, state, state.proven);
      return;
    }
    ctx.status = 303;
    ctx.redirect(`/interaction/${details.uid}`);
  });

  router.get('/:uid/enrol-totp', async (ctx) => {
    const details = await loadInteraction(ctx);
    if (!details) return;
    const state = await loadLoginState(ctx, details);
    if (!state) return;
    if (state.step !== 'choose-method') {
      renderMessage(ctx, 400, 'Request not accepted', 'This step does not apply to your login now. Go back and follow the page shown.');
      return;
    }
    await renderEnrolTotp(ctx, state);
  });

  router.post('/:uid/enrol-totp', async (ctx) => {
    const request = await stepPost(ctx, codeForm, ['choose-method']);
    if (!request) return;
    const { details, form, state } = request;
    if (await guard.refused(ctx, 'otpFailures')) return;
    const verdict = await confirmTotpEnrolment(deps.totp, state.user.id, form.code);
    if (verdict !== 'accepted') {
      await guard.count(ctx, 'otpFailures');
      ctx.status = 400;
      await renderEnrolTotp(ctx, state, 'That code does not match. Check that the app shows the CCASS account you just added, and enter its current code.');
      return;
    }
    const { phase } = await deps.policy.current();
    await queries.transaction(async (within) => {
      await within.users.setSecondFactor(state.user.id, 'totp');
      await audit(ctx, 'second_factor.enrol', 'success', state.user, details, { method: 'totp', previous: state.user.second_factor }, within, phase);
      await endOtherAccessAfterChange(ctx, state, within);
      await within.loginProgress.addFactor(details.uid, 'totp');
    });
    await completeLogin(ctx, state, [...state.proven, 'totp']);
  });

  router.post('/:uid/confirm', async (ctx) => {
    const details = await loadInteraction(ctx);
    if (!details) return;
    if (!parseForm(ctx, details, csrfOnlyForm)) return;
    const accountId = details.session?.accountId;
    if (details.prompt.name !== 'consent' || !accountId) return ctx.throw(400, 'nothing to confirm');

    const grant = details.grantId
      ? await provider.current().Grant.find(details.grantId)
      : new (provider.current().Grant)({ accountId, clientId: String(details.params['client_id']) });
    if (!grant) return ctx.throw(400, 'the grant for this request no longer exists');
    const missingScopes = details.prompt.details['missingOIDCScope'] as string[] | undefined;
    const missingClaims = details.prompt.details['missingOIDCClaims'] as string[] | undefined;
    if (missingScopes?.length) grant.addOIDCScope(missingScopes.join(' '));
    if (missingClaims?.length) grant.addOIDCClaims(missingClaims);
    const grantId = await grant.save();
    await finish(ctx, details, { consent: { grantId } });
  });

  router.post('/:uid/abort', async (ctx) => {
    const details = await loadInteraction(ctx);
    if (!details) return;
    if (!parseForm(ctx, details, csrfOnlyForm)) return;
    await queries.loginProgress.finish(details.uid);
    await finish(ctx, details, { error: 'access_denied', error_description: 'The user cancelled the login.' });
  });

  return router;
}

/** "alice.chan@example.com" → "a********@example.com": enough to recognise, not to harvest. */
export function maskEmail(email: string): string {
  const at = email.indexOf('@');
  if (at < 1) return '';
  return `${email[0]}${'*'.repeat(Math.max(at - 1, 1))}${email.slice(at)}`;
}

