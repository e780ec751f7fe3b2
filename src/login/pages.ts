/**
 * What each login page shows, from the login as plain data: the routes pick the page, these
 * fill it. Text is catalogue messages only (the views' types say so).
 */
import QRCode from 'qrcode';
import { pendingTotpEnrolment } from '../factors/totp-service.js';
import type { ChooseMethodView, CodeView, ConsentView, EnrolTotpView, LoginView, NewPasswordView, OtherWay, RecoveryCodeView, RegisterKeyView, SecurityKeyView } from '../web/views.js';
import { factorHolder, stepContext } from './login.js';
import { otherWays } from './steps.js';
import { announcedHongKongTime, type Locale } from '../i18n/locales.js';
import { msg, type Message, type Translatable } from '../i18n/translate.js';
import { claimDescriptions, scopeDescriptions } from '../oidc/scopes.js';
import { loginAccess, passwordLoginMayApply, phaseBanner, type PhaseBanner } from '../policy/access.js';
import { approachingDeadline, type DeadlineCalendar } from '../reminders/calendar.js';
import { usableFactors } from '../factors/second-factors.js';
import type { CodeMailing } from './code-step.js';
import type { Login, LoginRequest, LoginServices } from './login.js';
import { maskEmail } from './mask-email.js';

/** The form's target and its CSRF token: every page of one interaction posts with these. */
export interface FormContext {
  base: string;
  csrf: string;
}

export interface LoginPageInput extends FormContext {
  uid: string;
  clientName: string;
  request: LoginRequest;
  smartcard?: { loginOrigin: string } | undefined;
  locale: Locale;
  participantId?: string;
  userId?: string;
  /** Someone's dated smartcard exception is in force: after the cut-off the smartcard button stays for them. */
  smartcardExceptions?: boolean;
  /** The deadlines, and the instant: one within the largest reminder offset is named on the page. */
  calendar?: DeadlineCalendar | undefined;
  now?: Date;
}

export function loginPage(input: LoginPageInput, error?: Translatable): LoginView {
  const { policy, requirement } = input.request;
  const banner = phaseBanner(policy);
  return {
    uid: input.uid,
    csrf: input.csrf,
    clientName: input.clientName,
    participantId: input.participantId ?? '',
    userId: input.userId ?? '',
    error,
    // Before anyone has typed who they are, a pilot participant might be the one at the keyboard.
    showPassword: passwordLoginMayApply(policy.phase, policy.pilots.size > 0, requirement),
    smartcardAction: input.smartcard && loginAccess(policy.phase, false, requirement, { smartcard: input.smartcardExceptions === true }).smartcard ? `${input.smartcard.loginOrigin}${input.base}/smartcard` : undefined,
    banner: banner && (banner.at ? msg(banner.key, { time: announcedHongKongTime(banner.at, input.locale) }) : banner.key),
    deadlineNotice: input.calendar && input.now ? deadlineNotice(input.calendar, input.now, banner) : undefined,
  };
}

/**
 * The deadline the login page names, one line: the soonest one ahead within the largest reminder
 * offset. The second-factor one says when smartcard login ends too, unless the phase banner
 * already does.
 */
export function deadlineNotice(calendar: DeadlineCalendar, now: Date, banner?: PhaseBanner): Message | undefined {
  const deadline = approachingDeadline(calendar, now);
  if (!deadline) return undefined;
  if (deadline.kind === 'emailRegistration') return msg('calendar.login.emailRegistration', { deadline: deadline.at });
  const cutOff = calendar.smartcardEnds;
  if (!cutOff || cutOff.getTime() <= now.getTime() || banner?.key === 'banner.smartcardEnds') return msg('calendar.login.secondFactorOnly', { deadline: deadline.at });
  if (cutOff.getTime() === deadline.at.getTime()) return msg('calendar.login.secondFactorAtCutOff', { deadline: deadline.at });
  return msg('calendar.login.secondFactor', { deadline: deadline.at, cutOff });
}

export function codePage(services: Pick<LoginServices, 'totp'>, form: FormContext, login: Login, mailing: Partial<CodeMailing> = {}): CodeView {
  const totp = login.step === 'totp';
  // An enrolled user may ask to change method or password; the new one is set after this code.
  const canChange = login.user.second_factor !== null && !login.changeMethod && !login.changePassword;
  return {
    ...form,
    method: totp ? 'totp' : 'email',
    email: maskEmail(login.user.email ?? ''),
    digits: totp ? services.totp.parameters.digits : 6,
    codeSent: totp || mailing.codeSent !== false,
    canChangeMethod: canChange,
    changingMethod: login.changeMethod,
    canChangePassword: canChange,
    changingPassword: login.changePassword,
    otherWays: waysOf(login),
    error: mailing.error,
    notice: mailing.notice,
  };
}

export function newPasswordPage(services: Pick<LoginServices, 'passwordRules'>, form: FormContext, login: Login, error?: Translatable): NewPasswordView {
  return {
    ...form,
    participantId: login.user.participant_id,
    userId: login.user.user_id,
    minLength: services.passwordRules.minLength,
    maxLength: services.passwordRules.maxLength,
    error,
  };
}

/** `exceptionUntil`: past the second-factor deadline, the end of the user's exception that lets them enrol still. */
export function choiceOfMethodPage(form: FormContext, login: Login, exceptionUntil?: Date): ChooseMethodView {
  const recovered = login.proven.includes('recovery');
  const excepted = exceptionUntil && usableFactors(factorHolder(login)).length === 0 ? msg('exceptions.notice.second_factor_deadline', { until: exceptionUntil }) : undefined;
  const notices = [...(recovered ? ['recovery.used' as const] : []), ...(excepted ? [excepted] : [])];
  return { ...form, email: login.user.email ? maskEmail(login.user.email) : undefined, current: login.user.second_factor, notice: notices.length ? notices : undefined };
}

/** The other ways this login's second-factor page offers. */
function waysOf(login: Login): OtherWay[] {
  return otherWays(login.step, factorHolder(login), stepContext(login));
}

/** JSON for a <script type="application/json"> element: nothing in it can end the element. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026');
}

export function securityKeyPage(form: FormContext, login: Login, options: unknown, error?: Translatable): SecurityKeyView {
  return { ...form, options: scriptJson(options), otherWays: waysOf(login), error };
}

export function recoveryCodePage(form: FormContext, login: Login, error?: Translatable): RecoveryCodeView {
  return { ...form, otherWays: waysOf(login), error };
}

export function registerKeyPage(form: FormContext, options: unknown, now: Date, error?: Translatable, exceptionUntil?: Date): RegisterKeyView {
  return { ...form, options: scriptJson(options), defaultName: msg('key.defaultName', { date: now }), error, ...(exceptionUntil ? { exception: msg('smartcard.exceptionUntil', { until: exceptionUntil }) } : {}) };
}

/** The QR code and key of the user's pending authenticator secret (the same one on a reload). */
export async function authenticatorPage(services: Pick<LoginServices, 'totp'>, form: FormContext, user: Pick<Login, 'user'> | Login['user'], error?: Translatable): Promise<EnrolTotpView> {
  const account = 'user' in user ? user.user : user;
  const enrolment = await pendingTotpEnrolment(services.totp, account);
  return {
    ...form,
    qrCode: await QRCode.toDataURL(enrolment.uri, { errorCorrectionLevel: 'M', margin: 2, width: 240 }),
    manualKey: enrolment.manualKey,
    issuer: services.totp.issuer,
    digits: services.totp.parameters.digits,
    error,
  };
}

export function consentPage(form: FormContext, uid: string, clientName: string, prompt: Record<string, unknown>): ConsentView {
  const missing = (prompt['missingOIDCScope'] as string[] | undefined) ?? [];
  // Claims asked for one by one (the claims parameter): in words too, after the scopes.
  const claims = (prompt['missingOIDCClaims'] as string[] | undefined) ?? [];
  // openid included: it is what tells the client who the user is (participant ID and user ID).
  return { uid, csrf: form.csrf, clientName, scopes: [...scopeDescriptions(missing), ...claimDescriptions(claims, missing)] };
}
