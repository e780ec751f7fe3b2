/**
 * The second factor of a login: a code from the authenticator app, or one emailed to the
 * designated email address. Which one is asked for comes from the second-factor registry; a
 * wrong code goes down the one failed-factor path (counted, audited, perhaps locking).
 */
import { codeDelivery, hasOpenEmailOtp, sendEmailOtp } from '../factors/email-otp.js';
import { codeProblem, type CodeFactor, type CodeVerdict } from '../factors/second-factors.js';
import { msg, type Translatable } from '../i18n/translate.js';
import { advance, completeLoginUsingCode } from './completion.js';
import { recordLoginEvent } from './events.js';
import { recordFailedFactor } from './failed-factor.js';
import { factorOfStep } from './steps.js';
import { CANNOT_LOG_IN_NOW, stepAfter, type Login, type LoginOutcome, type LoginServices, type ResultRow } from './login.js';

/** `resultRow`: the interaction's result, written with the completion when this code completes the login. */
export async function submitCode(services: LoginServices, login: Login, code: string, resultRow?: ResultRow): Promise<LoginOutcome & { failedAttempt?: boolean }> {
  const factor = factorOfStep(login.step);
  // Any other step (e.g. a stale tab): show the page that applies now.
  if (factor?.proof !== 'code') return { kind: 'next' };
  const attempt = { userId: login.user.id, binding: login.request.uid, code, credentials: login.credentials };
  const proven = { type: `login.${factor.eventName}`, outcome: 'success', who: login.user } as const;
  // A code that completes the login is used up by the statement that completes it, where its
  // factor allows (one round trip and one commit fewer); any other is used up as it is checked.
  if (factor.check && stepAfter(login, [...login.proven, factor.method]) === 'complete') {
    const check = await factor.check(services, attempt);
    if (check.verdict !== 'valid') return failedCode(services, login, factor, check.verdict);
    const outcome = await completeLoginUsingCode(services, login, [...login.proven, factor.method], [proven], check.use, resultRow);
    return outcome.kind === 'code_used' ? failedCode(services, login, factor, 'replayed') : outcome;
  }
  const verdict = await factor.verify(services, attempt);
  if (verdict === 'accepted') return advance(services, login, factor.method, proven, resultRow);
  return failedCode(services, login, factor, verdict);
}

async function failedCode(services: LoginServices, login: Login, factor: CodeFactor, verdict: Exclude<CodeVerdict, 'accepted'>): Promise<LoginOutcome & { failedAttempt?: boolean }> {
  const { locked } = await recordFailedFactor(services, login.request, { factor: factor.eventName, reason: verdict, user: login.user, countable: true });
  if (locked) return { ...CANNOT_LOG_IN_NOW, failedAttempt: true };
  return { kind: 'retry', status: 401, error: codeProblem(verdict), failedAttempt: true };
}

/** What the code page says about the emailed code: sent, on its way, held up, or not sent (and when to ask). */
export interface CodeMailing {
  status: number;
  /** Whether this login has a code the user can enter; if not, the page says so instead of "enter the code we sent". */
  codeSent: boolean;
  notice?: Translatable;
  error?: Translatable;
  retryAfterSeconds?: number;
}

/**
 * Queues a code for this login (when the page is first shown, or on "send a new code") and
 * says what became of it. Audited either way; a held-up code is a failure the operators count.
 */
export async function sendLoginCode(services: LoginServices, login: Login, resend: boolean): Promise<CodeMailing> {
  const { request, user } = login;
  const outcome = await sendEmailOtp(services.emailOtp, { id: user.id, email: user.email as string }, request.uid);
  if (!outcome.queued) {
    await recordLoginEvent(services, request, { type: 'email_otp.send', outcome: 'failure', who: user, details: { reason: outcome.reason } });
    // Too soon after another code (e.g. the one that finished an activation): say truthfully that none was sent for this login.
    const codeSent = resend && (await hasOpenEmailOtp(services.emailOtp, user.id, request.uid));
    const seconds = outcome.retryAfterSeconds;
    return { status: resend ? 429 : 200, codeSent, retryAfterSeconds: seconds, error: codeSent ? msg('otp.wait', { seconds }) : msg('otp.notSentYet', { seconds }) };
  }
  const delivery = await codeDelivery(services.emailOtp, outcome.mailJobId);
  if (delivery === 'mail_unavailable') {
    await recordLoginEvent(services, request, { type: 'email_otp.send', outcome: 'failure', who: user, details: { reason: 'mail_unavailable', queued: true } });
    const minutes = Math.max(1, Math.round(services.emailOtp.settings.ttlSeconds / 60));
    return { status: 200, codeSent: true, error: msg('otp.mailUnavailable', { minutes }) };
  }
  await recordLoginEvent(services, request, { type: 'email_otp.send', outcome: 'success', who: user, details: { delivery } });
  if (delivery === 'sending') return { status: 200, codeSent: true, notice: 'otp.sending' };
  return { status: 200, codeSent: true, ...(resend ? { notice: 'otp.sent' as const } : {}) };
}
