/**
 * The second factors, one entry each: what a login proves with it, the `amr` it adds to an
 * ID token, the login step and page that ask for it, how it is proven, whether the user has
 * it, what removing it deletes, and the words that name it. Everything that enrols, switches,
 * resets or shows a second factor (login, activation, DMS, the security page, the readiness
 * report) goes through this table, so a new factor is one entry here, its store module and
 * its view.
 *
 * Two kinds: a *code method* (TOTP or email codes — a user has at most one, in
 * `users.second_factor`) and *security keys* (WebAuthn — any number, in addition to the code
 * method). A login offers the phishing-resistant factor first when the user has one.
 */
import type { MessageKey } from '../i18n/translate.js';
import type { Queries } from '../store/index.js';
import { verifyEmailOtp, type EmailOtpDependencies } from './email-otp.js';
import type { TotpCredentialRow } from '../store/totp-credentials.js';
import { checkTotp, verifyTotp, type TotpDependencies } from './totp-service.js';

/** In the order a login offers them when the user has several: phishing-resistant first. */
export const SECOND_FACTOR_METHODS = ['webauthn', 'totp', 'email'] as const;
export type SecondFactorMethod = (typeof SECOND_FACTOR_METHODS)[number];
/** The methods that deliver a code, of which a user has at most one (`users.second_factor`). */
export const CODE_METHODS = ['totp', 'email'] as const;
export type CodeMethod = (typeof CODE_METHODS)[number];

export function isSecondFactorMethod(value: unknown): value is SecondFactorMethod {
  return typeof value === 'string' && (SECOND_FACTOR_METHODS as readonly string[]).includes(value);
}

export function isCodeMethod(value: unknown): value is CodeMethod {
  return typeof value === 'string' && (CODE_METHODS as readonly string[]).includes(value);
}

/** What a user holds of their second factors, as the login steps need it. */
export interface FactorHolder {
  second_factor: CodeMethod | null;
  email: string | null;
  /** How many security keys or passkeys the user has registered. */
  securityKeys: number;
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

interface FactorEntry<M extends SecondFactorMethod> {
  method: M;
  /**
   * RFC 8176 §2: the kind of factor ("otp": a one-time password, "hwk": a hardware-secured
   * key). RFC 8176 has no value saying where an OTP came from, so one more value (allowed
   * between the parties) names the code method.
   */
  amr: { kind: 'otp' | 'hwk'; method?: string };
  /** Whether it resists phishing (an origin-bound key): the only kind a client requiring `phr` accepts. */
  phishingResistant: boolean;
  /** The login step that asks for it, and the name its events carry in audit and metrics. */
  step: 'totp' | 'email-otp' | 'security-key';
  eventName: 'totp' | 'email_otp' | 'webauthn';
  /** Whether the user can log in with it as things stand (email codes need an address). */
  usableBy(user: FactorHolder): boolean;
  /** Deletes what the user holds of this factor (its secret, pending or active; every key). */
  removeCredentials(queries: Queries, userId: string): Promise<void>;
  /** Words that name it: in DMS and reports, and on the page that closes a set-up. */
  words: { name: MessageKey; ready: MessageKey; lost: MessageKey };
}

/**
 * A right code whose use is written with what it proves, in one statement (a TOTP time step,
 * claimed as the login completes): until then it proves nothing.
 */
export interface PendingCodeUse {
  totpStep: number;
}

/** Uses up a checked code on its own (a login it did not complete after all); false: it was used meanwhile. */
export function useCode(services: FactorServices, userId: string, use: PendingCodeUse): Promise<boolean> {
  return services.totp.credentials.claimStep(userId, use.totpStep);
}

/** A code checked by a factor that can leave its use to the statement completing the login. */
export type CodeCheck = { verdict: 'valid'; use: PendingCodeUse } | { verdict: Exclude<CodeVerdict, 'accepted'> };

/** A factor proven by typing a code. */
export interface CodeFactor extends FactorEntry<CodeMethod> {
  proof: 'code';
  /** Checks a code of this factor (a code is accepted once). */
  verify(services: FactorServices, attempt: CodeAttempt): Promise<CodeVerdict>;
  /**
   * Checks a code without using it up, for a login this code completes: the completion writes
   * the use (PendingCodeUse) in its own statement and completes only if the use succeeds.
   * Factors without it are used up by verify.
   */
  check?(services: FactorServices, attempt: CodeAttempt): Promise<CodeCheck>;
}

/** A factor proven by a WebAuthn assertion of a registered key (src/factors/webauthn.ts). */
export interface KeyFactor extends FactorEntry<'webauthn'> {
  proof: 'assertion';
}

export type SecondFactor = CodeFactor | KeyFactor;

export const SECOND_FACTORS: Readonly<{ webauthn: KeyFactor; totp: CodeFactor; email: CodeFactor }> = {
  webauthn: {
    method: 'webauthn',
    proof: 'assertion',
    amr: { kind: 'hwk' },
    phishingResistant: true,
    step: 'security-key',
    eventName: 'webauthn',
    usableBy: (user) => user.securityKeys > 0,
    removeCredentials: (queries, userId) => queries.webauthnCredentials.removeAll(userId),
    words: { name: 'dms.factor.webauthn', ready: 'done.webauthn', lost: 'done.lostWebauthn' },
  },
  totp: {
    method: 'totp',
    proof: 'code',
    amr: { kind: 'otp', method: 'totp' },
    phishingResistant: false,
    step: 'totp',
    eventName: 'totp',
    usableBy: (user) => user.second_factor === 'totp',
    verify: (services, attempt) => verifyTotp(services.totp, attempt.userId, attempt.code, attempt.credentials?.totp),
    check: async (services, attempt) => {
      const check = await checkTotp(services.totp, attempt.userId, attempt.code, attempt.credentials?.totp);
      return check.verdict === 'valid' ? { verdict: 'valid', use: { totpStep: check.step } } : check;
    },
    removeCredentials: (queries, userId) => queries.totpCredentials.remove(userId),
    words: { name: 'dms.factor.totp', ready: 'done.totp', lost: 'done.lostTotp' },
  },
  email: {
    method: 'email',
    proof: 'code',
    amr: { kind: 'otp', method: 'email' },
    phishingResistant: false,
    step: 'email-otp',
    eventName: 'email_otp',
    usableBy: (user) => user.second_factor === 'email' && user.email !== null,
    verify: (services, attempt) => verifyEmailOtp(services.emailOtp, attempt.userId, attempt.binding, attempt.code),
    // The codes die with their login; the address itself belongs to the user, not to the factor.
    removeCredentials: async () => {},
    words: { name: 'dms.factor.email', ready: 'done.email', lost: 'done.lostEmail' },
  },
};

/** The factors the user can log in with now, in the order a login offers them. */
export function usableFactors(user: FactorHolder): SecondFactor[] {
  return SECOND_FACTOR_METHODS.map((method) => SECOND_FACTORS[method]).filter((factor) => factor.usableBy(user));
}

/** Whether the user has any second factor at all (a code method or a key). */
export function hasSecondFactor(user: FactorHolder): boolean {
  return user.second_factor !== null || user.securityKeys > 0;
}

/**
 * Makes `method` the user's code method, deleting what the previous one held (the new one's
 * own credentials, such as a TOTP secret just confirmed, were saved by its enrolment). Keys
 * stay: they are in addition to the code method.
 */
export async function switchSecondFactor(queries: Queries, user: { id: string; second_factor: CodeMethod | null }, method: CodeMethod): Promise<void> {
  if (user.second_factor && user.second_factor !== method) await SECOND_FACTORS[user.second_factor].removeCredentials(queries, user.id);
  await queries.users.setSecondFactor(user.id, method);
}

/** Removes every second factor the user has (and any set-up in progress, and their recovery codes): the next login enrols anew. */
export async function removeSecondFactors(queries: Queries, userId: string): Promise<void> {
  for (const factor of Object.values(SECOND_FACTORS)) await factor.removeCredentials(queries, userId);
  await queries.recoveryCodes.removeAll(userId);
  await queries.users.setSecondFactor(userId, null);
}

/** A verdict as what the page tells the user: the code was wrong, or there is no code left to try. */
export function codeProblem(verdict: Exclude<CodeVerdict, 'accepted'>): MessageKey {
  return verdict === 'expired' || verdict === 'exhausted' ? 'otp.expired' : 'otp.wrongCode';
}
