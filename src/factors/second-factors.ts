/**
 * The second factors, one entry each: what a login proves with it, the `amr` it adds to an
 * ID token, the login step and code page that ask for it, how its code is checked, what
 * removing it deletes, and the words that name it. Everything that enrols, switches, resets
 * or shows a second factor (login, activation, DMS, the readiness report) goes through this
 * table, so a new factor is one entry here, its store module and its view.
 */
import type { MessageKey } from '../i18n/translate.js';
import type { Queries } from '../store/index.js';
import { verifyEmailOtp, type EmailOtpDependencies } from './email-otp.js';
import type { TotpCredentialRow } from '../store/totp-credentials.js';
import { verifyTotp, type TotpDependencies } from './totp-service.js';

export const SECOND_FACTOR_METHODS = ['totp', 'email'] as const;
export type SecondFactorMethod = (typeof SECOND_FACTOR_METHODS)[number];

export function isSecondFactorMethod(value: unknown): value is SecondFactorMethod {
  return typeof value === 'string' && (SECOND_FACTOR_METHODS as readonly string[]).includes(value);
}

/** What checking a code can find, whatever the factor. */
export type CodeVerdict = 'accepted' | 'rejected' | 'replayed' | 'expired' | 'exhausted' | 'not_enrolled';

export interface FactorServices {
  totp: TotpDependencies;
  emailOtp: EmailOtpDependencies;
}

/** What a user's factors hold, when it was loaded along with the user (absent: look it up). */
export interface FactorCredentials {
  totp?: TotpCredentialRow | null;
}

/** Where a code must match: the user, and the login (or activation) it was issued for. */
export interface CodeAttempt {
  userId: string;
  credentials?: FactorCredentials;
  /** The interaction (or enrolment session) a code is bound to; TOTP codes are not bound. */
  binding: string;
  code: string;
}

export interface SecondFactor {
  method: SecondFactorMethod;
  /**
   * RFC 8176 §2: the kind of factor ("otp": a one-time password). RFC 8176 has no value saying
   * where an OTP came from, so one more value (allowed between the parties) names the method.
   */
  amr: { kind: 'otp'; method: string };
  /** The login step that asks for it, and the name its events carry in audit and metrics. */
  step: 'totp' | 'email-otp';
  eventName: 'totp' | 'email_otp';
  /** Whether the user can log in with it as things stand (email codes need an address). */
  usableBy(user: { email: string | null }): boolean;
  /** Checks a code of this factor (a code is accepted once). */
  verify(services: FactorServices, attempt: CodeAttempt): Promise<CodeVerdict>;
  /** Deletes what the user holds of this factor (its secret, pending or active). */
  removeCredentials(queries: Queries, userId: string): Promise<void>;
  /** Words that name it: in DMS and reports, and on the page that closes a set-up. */
  words: { name: MessageKey; ready: MessageKey; lost: MessageKey };
}

export const SECOND_FACTORS: Readonly<Record<SecondFactorMethod, SecondFactor>> = {
  totp: {
    method: 'totp',
    amr: { kind: 'otp', method: 'totp' },
    step: 'totp',
    eventName: 'totp',
    usableBy: () => true,
    verify: (services, attempt) => verifyTotp(services.totp, attempt.userId, attempt.code, attempt.credentials?.totp),
    removeCredentials: (queries, userId) => queries.totpCredentials.remove(userId),
    words: { name: 'dms.factor.totp', ready: 'done.totp', lost: 'done.lostTotp' },
  },
  email: {
    method: 'email',
    amr: { kind: 'otp', method: 'email' },
    step: 'email-otp',
    eventName: 'email_otp',
    usableBy: (user) => user.email !== null,
    verify: (services, attempt) => verifyEmailOtp(services.emailOtp, attempt.userId, attempt.binding, attempt.code),
    // The codes die with their login; the address itself belongs to the user, not to the factor.
    removeCredentials: async () => {},
    words: { name: 'dms.factor.email', ready: 'done.email', lost: 'done.lostEmail' },
  },
};

/**
 * Makes `method` the user's second factor, deleting what the previous one held (the new one's
 * own credentials, such as a TOTP secret just confirmed, were saved by its enrolment).
 */
export async function switchSecondFactor(queries: Queries, user: { id: string; second_factor: SecondFactorMethod | null }, method: SecondFactorMethod): Promise<void> {
  if (user.second_factor && user.second_factor !== method) await SECOND_FACTORS[user.second_factor].removeCredentials(queries, user.id);
  await queries.users.setSecondFactor(user.id, method);
}

/** Removes every second factor the user has (and any set-up in progress): the next login enrols anew. */
export async function removeSecondFactors(queries: Queries, userId: string): Promise<void> {
  for (const factor of Object.values(SECOND_FACTORS)) await factor.removeCredentials(queries, userId);
  await queries.users.setSecondFactor(userId, null);
}

/** A verdict as what the page tells the user: the code was wrong, or there is no code left to try. */
export function codeProblem(verdict: Exclude<CodeVerdict, 'accepted'>): MessageKey {
  return verdict === 'expired' || verdict === 'exhausted' ? 'otp.expired' : 'otp.wrongCode';
}
