/**
 * The login pages oidc-provider sends the browser to (`/interaction/:uid`). Each route parses
 * the form, calls one use case of this folder with plain data, and shows what it returned:
 * the next step (post/redirect/get), the same form with why, an error page, or the login
 * handed back to oidc-provider.
 *
 * Nothing is trusted from the form but what the user typed: which interaction this is, what
 * it asked for and which factors it has proven come from server-side state found by the
 * interaction cookie (oidc-provider's interaction and our login_progress row), loaded once
 * per request.
 */
import type { IncomingMessage } from 'node:http';
import Router from '@koa/router';
import type { Context } from 'koa';
import type { z } from 'zod';
import { hasOpenEmailOtp } from '../factors/email-otp.js';
import type { SmartcardTrustStore } from '../factors/smartcard-trust.js';
import { localeOf, pageLocale } from '../web/locale.js';
import { rateLimitGuard } from '../web/rate-limit-guard.js';
import type { Renderer } from '../web/render.js';
import { noStore } from '../web/security-headers.js';
import type { ViewName, Views } from '../web/views.js';
import type { PresentedCertificate } from '../web/client-certificate.js';
import type { CsrfTokens } from '../web/csrf.js';
import type { ProviderRef } from '../oidc/provider-host.js';
import { phaseAllows } from '../policy/access.js';
import type { Phase } from '../policy/phases.js';
import type { PhasePolicy } from '../policy/phase-policy.js';
import type { RateLimits } from '../policy/rate-limits.js';
import { msg, translator, type Translatable } from '../i18n/translate.js';
import { submitCode, sendLoginCode } from './code-step.js';
import { grantConsent } from './consent.js';
import { forms } from './forms.js';
import { BackToStart, checkedForm, finishInteraction, loadInteraction, loaded, loginResult, RefusedPage, refusalPages, resultRow, resumeProvider } from './interaction-request.js';
import { completeLogin } from './completion.js';
import { hintedLogin } from './login-hint.js';
import { findLogin, refused, type Login, type LoginOutcome, type LoginServices } from './login.js';
import { chooseEmailCodes, confirmAuthenticator } from './method-step.js';
import { authenticatorPage, choiceOfMethodPage, codePage, consentPage, loginPage, newPasswordPage, recoveryCodePage, registerKeyPage, securityKeyPage } from './pages.js';
import { smartcardExceptionFor } from './smartcard-exception.js';
import { bridgeChallenge, registerKeyWithSmartcard, skipKeyRegistration } from './smartcard-bridge.js';
import { submitRecoveryCode } from './recovery-step.js';
import { chooseAnotherWay, keyChallenge, submitAssertion } from './security-key-step.js';
import { changePasswordDuringLogin } from './password-change.js';
import { submitPassword } from './password-step.js';
import { loginWithSmartcard } from './smartcard-step.js';
import type { LoginStep } from './steps.js';

export interface InteractionDependencies extends LoginServices {
  /** This node's provider (rebuilt when signing keys rotate: ask for it on each use). */
  provider: ProviderRef;
  render: Renderer;
  csrf: CsrfTokens;
  /** Which methods the phase in force allows; every login's audit record names the phase. */
  policy: PhasePolicy;
  smartcard?: SmartcardLogin | undefined;
  /** Per-address limits on failed passwords and codes, and on emails sent. */
  limits: RateLimits;
}

export interface SmartcardLogin {
  trust: SmartcardTrustStore;
  certificateOf: (req: IncomingMessage) => PresentedCertificate;
  /** The origin the "Log in with smartcard" form posts to (the TLS listener, or the proxy's). */
  loginOrigin: string;
}

const stateNotFor = refused(400, 'error.notAccepted', 'form.wrongStep');

export function interactionRoutes(deps: InteractionDependencies): Router {
  const { provider, render, csrf } = deps;
  const router = new Router({ prefix: '/interaction', sensitive: true });
  const guard = rateLimitGuard({ limits: deps.limits, metrics: deps.metrics, log: deps.log, audit: deps.queries.audit, render });

  function show<V extends ViewName>(ctx: Context, view: V, data: Views[V]) {
    ctx.type = 'html';
    ctx.body = render(view, data, pageLocale(ctx));
  }

  router.use(noStore, refusalPages(render));
  router.param('uid', loadInteraction(deps));
  const form = checkedForm(csrf);

  /** The login of this request, whose step must be one of `steps` (when given). */
  async function login(ctx: Context, steps?: readonly LoginStep[]): Promise<Login | undefined> {
    const { details, request, progress } = loaded(ctx);
    if (details.prompt.name !== 'login') throw new RefusedPage(refused(400, 'error.notAccepted', 'form.stepComplete'));
    const found = loaded(ctx).login ?? (await findLogin(deps, request, progress));
    if (found?.kind === 'refused') throw new RefusedPage(found);
    if (found && steps && !steps.includes(found.step)) throw new RefusedPage(stateNotFor);
    loaded(ctx).login = found;
    return found;
  }

  /** A login that has a proven password (else back to its first page). */
  async function proven(ctx: Context, steps?: readonly LoginStep[]): Promise<Login> {
    const found = await login(ctx, steps);
    if (!found) throw new BackToStart();
    return found;
  }

  const base = (ctx: Context) => `/interaction/${loaded(ctx).details.uid}`;
  const pageContext = (ctx: Context) => ({ base: base(ctx), csrf: csrf.issue(loaded(ctx).details.uid) });

  /** After the cut-off, whether the smartcard button is still worth showing (someone has a dated exception). */
  async function smartcardExceptionsLive(phase: Phase): Promise<boolean> {
    return !phaseAllows(phase, false).smartcard && (await deps.queries.userExceptions.anyLive('smartcard_login', deps.clock.now()));
  }

  async function showStep(ctx: Context, current: Login | undefined, values: { error?: Translatable; notice?: Translatable } = {}): Promise<void> {
    const { details, request, clientName } = loaded(ctx);
    if (!current || current.step === 'password') {
      // The relying party's login_hint fills in who is logging in (login-hint.ts).
      const hinted = hintedLogin(details.params['login_hint']);
      return show(ctx, 'login', loginPage({ ...pageContext(ctx), uid: details.uid, clientName, request, smartcard: deps.smartcard, locale: localeOf(ctx), smartcardExceptions: await smartcardExceptionsLive(request.policy.phase), calendar: deps.deadlines?.calendar, now: deps.clock.now(), ...hinted }, values.error));
    }
    switch (current.step) {
      case 'totp':
        return show(ctx, 'otp', codePage(deps, pageContext(ctx), current, { ...values, codeSent: true }));
      case 'email-otp': {
        // A code is sent when the page is first shown; reloading does not send another.
        if (values.error || values.notice || (await hasOpenEmailOtp(deps.emailOtp, current.user.id, details.uid))) {
          return show(ctx, 'otp', codePage(deps, pageContext(ctx), current, { ...values, codeSent: true }));
        }
        if (!(await guard.spend(ctx, 'emails'))) return;
        const mailing = await sendLoginCode(deps, current, false);
        if (mailing.retryAfterSeconds) ctx.set('Retry-After', String(mailing.retryAfterSeconds));
        return show(ctx, 'otp', codePage(deps, pageContext(ctx), current, mailing));
      }
      case 'security-key': {
        const options = await keyChallenge(deps, current);
        if (!options) throw new RefusedPage(refused(403, 'login.error.needsKeyTitle', 'login.error.needsHardwareKey'));
        return show(ctx, 'security-key', securityKeyPage(pageContext(ctx), current, options, values.error));
      }
      case 'recovery-code':
        return show(ctx, 'recovery-code', recoveryCodePage(pageContext(ctx), current, values.error));
      case 'smartcard-bridge':
        return show(ctx, 'register-key', registerKeyPage(pageContext(ctx), await bridgeChallenge(deps, current), deps.clock.now(), values.error, (await smartcardExceptionFor(deps, request.policy.phase, current.user))?.until));
      case 'needs-security-key':
        await deps.queries.loginProgress.finish(details.uid);
        throw new RefusedPage(refused(403, 'login.error.needsKeyTitle', msg('login.error.needsKey', { client: loaded(ctx).clientName })));
      case 'new-password':
        return show(ctx, 'change-password', newPasswordPage(deps, pageContext(ctx), current, values.error));
      case 'choose-method':
        return show(ctx, 'choose-method', choiceOfMethodPage(pageContext(ctx), current, await deps.deadlines?.exceptionUntil?.('secondFactor', current.user.id)));
      case 'no-second-factor':
        await deps.queries.loginProgress.finish(details.uid);
        throw new RefusedPage(refused(403, 'login.error.notReadyTitle', 'login.error.noEmail'));
      case 'complete':
        return respond(ctx, await completeLogin(deps, current, current.proven));
    }
  }

  /** Shows what a use case returned; `again` renders the form that was posted, with its error. */
  async function respond(ctx: Context, outcome: LoginOutcome, again?: (error: Translatable) => Promise<void> | void): Promise<void> {
    switch (outcome.kind) {
      case 'next':
        ctx.status = 303;
        return ctx.redirect(base(ctx));
      case 'refused':
        throw new RefusedPage(outcome);
      case 'retry':
        ctx.status = outcome.status;
        return again ? again(outcome.error) : showStep(ctx, loaded(ctx).login, { error: outcome.error });
      case 'complete':
        // Written with the completion already (ResultRow): only the redirect is left.
        if (outcome.resultWritten) return resumeProvider(ctx);
        return finishInteraction(ctx, loginResult(outcome));
    }
  }

  router.get('/:uid', async (ctx) => {
    const { details, clientName } = loaded(ctx);
    if (details.prompt.name === 'consent') return show(ctx, 'consent', consentPage(pageContext(ctx), details.uid, clientName, details.prompt.details));
    await showStep(ctx, await login(ctx));
  });

  router.post('/:uid/login', async (ctx) => {
    const body = (ctx.request.body ?? {}) as Record<string, unknown>;
    const typed = { participantId: typeof body['participantId'] === 'string' ? body['participantId'].slice(0, 64) : '', userId: typeof body['userId'] === 'string' ? body['userId'].slice(0, 64) : '' };
    const again = async (error: Translatable) => {
      const { details, request, clientName } = loaded(ctx);
      show(ctx, 'login', loginPage({ ...pageContext(ctx), uid: details.uid, clientName, request, smartcard: deps.smartcard, locale: localeOf(ctx), smartcardExceptions: await smartcardExceptionsLive(request.policy.phase), calendar: deps.deadlines?.calendar, now: deps.clock.now(), ...typed }, error));
    };
    const parsed = forms.login.safeParse(body);
    if (!parsed.success || !csrf.verify(loaded(ctx).details.uid, parsed.data.csrf)) {
      ctx.status = parsed.success ? 403 : 400;
      return again(parsed.success ? 'login.error.formExpired' : 'login.error.incomplete');
    }
    if (loaded(ctx).details.prompt.name !== 'login') throw new RefusedPage(refused(400, 'error.notAccepted', 'form.stepComplete'));
    // Checked before any work: an address that failed too often gets no more guesses for now.
    if (await guard.refused(ctx, 'loginFailures')) return;
    const outcome = await submitPassword(deps, loaded(ctx).request, parsed.data, loaded(ctx).progress);
    if (outcome.kind === 'retry' && outcome.status === 401) await guard.count(ctx, 'loginFailures');
    await respond(ctx, outcome, again);
  });

  // "Log in with smartcard": posted over the listener (or proxy) that asks for the client certificate.
  router.post('/:uid/smartcard', async (ctx) => {
    form(ctx, forms.csrfOnly);
    if (loaded(ctx).details.prompt.name !== 'login') throw new RefusedPage(refused(400, 'error.notAccepted', 'form.stepComplete'));
    if (!deps.smartcard) throw new RefusedPage(refused(404, 'smartcard.unavailableTitle', 'smartcard.unavailable'));
    await respond(ctx, await loginWithSmartcard(deps, deps.smartcard.trust, loaded(ctx).request, deps.smartcard.certificateOf(ctx.req)));
  });

  // A second factor's proof (a code, a key's assertion, a recovery code), each through the same guard.
  function proofRoute<T extends { csrf: string }>(path: string, schema: z.ZodType<T>, submit: (current: Login, input: T, ctx: Context) => Promise<LoginOutcome & { failedAttempt?: boolean }>) {
    router.post(`/:uid/${path}`, async (ctx) => {
      const input = form(ctx, schema);
      const current = await proven(ctx);
      if (await guard.refused(ctx, 'otpFailures')) return;
      const outcome = await submit(current, input, ctx);
      if (outcome.failedAttempt) await guard.count(ctx, 'otpFailures');
      await respond(ctx, outcome);
    });
  }
  proofRoute('otp', forms.code, (current, { code }, ctx) => submitCode(deps, current, code, resultRow(ctx)));
  proofRoute('security-key', forms.credential, (current, { credential }, ctx) => submitAssertion(deps, current, credential, resultRow(ctx)));
  proofRoute('recovery-code', forms.code, (current, { code }) => submitRecoveryCode(deps, current, code));

  router.post('/:uid/register-key', async (ctx) => {
    const input = form(ctx, forms.newKey);
    const current = await proven(ctx, ['smartcard-bridge']);
    const defaultName = translator(localeOf(ctx))(msg('key.defaultName', { date: deps.clock.now() }));
    const outcome = await registerKeyWithSmartcard(deps, current, { ...input, defaultName });
    if (outcome.kind !== 'register-again') return respond(ctx, outcome);
    ctx.status = 400;
    await showStep(ctx, current, { error: outcome.error });
  });

  router.post('/:uid/skip-key', async (ctx) => {
    form(ctx, forms.csrfOnly);
    await respond(ctx, await skipKeyRegistration(deps, await proven(ctx, ['smartcard-bridge'])));
  });

  router.post('/:uid/another-way', async (ctx) => {
    const { way } = form(ctx, forms.way);
    await respond(ctx, await chooseAnotherWay(deps, await proven(ctx), way));
  });

  router.post('/:uid/otp/resend', async (ctx) => {
    form(ctx, forms.csrfOnly);
    const current = await proven(ctx, ['email-otp']);
    if (!(await guard.spend(ctx, 'emails'))) return;
    const mailing = await sendLoginCode(deps, current, true);
    ctx.status = mailing.status;
    if (mailing.retryAfterSeconds) ctx.set('Retry-After', String(mailing.retryAfterSeconds));
    show(ctx, 'otp', codePage(deps, pageContext(ctx), current, mailing));
  });

  router.post('/:uid/method', async (ctx) => {
    const { method } = form(ctx, forms.method);
    const current = await proven(ctx, ['choose-method']);
    if (method === 'totp') {
      ctx.status = 303;
      return ctx.redirect(`${base(ctx)}/enrol-totp`);
    }
    await respond(ctx, await chooseEmailCodes(deps, current));
  });

  router.post('/:uid/change-method', async (ctx) => {
    form(ctx, forms.csrfOnly);
    const current = await proven(ctx, ['totp', 'email-otp', 'security-key']);
    if (current.user.second_factor === null) throw new RefusedPage(stateNotFor);
    await deps.queries.loginProgress.requestMethodChange(current.request.uid);
    await respond(ctx, { kind: 'next' });
  });

  router.post('/:uid/change-password', async (ctx) => {
    form(ctx, forms.csrfOnly);
    const current = await proven(ctx, ['totp', 'email-otp', 'security-key']);
    await deps.queries.loginProgress.setPasswordChange(current.request.uid, true);
    await respond(ctx, { kind: 'next' });
  });

  router.post('/:uid/password', async (ctx) => {
    const input = form(ctx, forms.newPassword);
    const current = await proven(ctx, ['new-password']);
    if (await guard.refused(ctx, 'loginFailures')) return;
    const outcome = await changePasswordDuringLogin(deps, current, input);
    if (outcome.failedAttempt) await guard.count(ctx, 'loginFailures');
    await respond(ctx, outcome);
  });

  router.get('/:uid/enrol-totp', async (ctx) => {
    const current = await proven(ctx, ['choose-method']);
    show(ctx, 'enrol-totp', await authenticatorPage(deps, pageContext(ctx), current));
  });

  router.post('/:uid/enrol-totp', async (ctx) => {
    const { code } = form(ctx, forms.code);
    const current = await proven(ctx, ['choose-method']);
    if (await guard.refused(ctx, 'otpFailures')) return;
    const outcome = await confirmAuthenticator(deps, current, code);
    if (outcome.failedAttempt) await guard.count(ctx, 'otpFailures');
    await respond(ctx, outcome, async (error) => show(ctx, 'enrol-totp', await authenticatorPage(deps, pageContext(ctx), current, error)));
  });

  router.post('/:uid/confirm', async (ctx) => {
    form(ctx, forms.csrfOnly);
    const { details } = loaded(ctx);
    const accountId = details.session?.accountId;
    if (details.prompt.name !== 'consent' || !accountId) throw new RefusedPage(refused(400, 'error.notAccepted', 'form.stepComplete'));
    const grantId = await grantConsent(provider, details, accountId);
    if (!grantId) throw new RefusedPage(refused(400, 'login.error.expiredTitle', 'login.error.expired'));
    await finishInteraction(ctx, { consent: { grantId } });
  });

  router.post('/:uid/abort', async (ctx) => {
    form(ctx, forms.csrfOnly);
    await deps.queries.loginProgress.finish(loaded(ctx).details.uid);
    // For the relying party (RFC 6749 §4.1.2.1: error_description is for its developers, in
    // English); the user is back at the relying party, which words the cancellation its own way.
    await finishInteraction(ctx, { error: 'access_denied', error_description: 'The user cancelled the login.' });
  });

  return router;
}
