import { msg, type Message } from '../i18n/translate.js';
/**
 * Limits per client address, on top of the per-account lockout: the lockout stops guessing
 * one account's password; these stop one address guessing across many accounts (password
 * spraying), guessing codes and activation links, and making us send mail to many people.
 * Only failures count towards the guessing limits, so a firm whose many users log in from
 * one address at market open is not slowed down by its own successful logins.
 */
export const LIMITED_ACTIONS = ['loginFailures', 'otpFailures', 'activationFailures', 'emails'] as const;
export type LimitedAction = (typeof LIMITED_ACTIONS)[number];

export type RateLimitVerdict = { allowed: true } | { allowed: false; retryAfterSeconds: number };

export interface RateLimits {
  /** Whether `action` from `address` is still within its limit (counts nothing). */
  check(action: LimitedAction, address: string | undefined): Promise<RateLimitVerdict>;
  /**
   * Counts one `action` from `address`. `limitReached` is true for the one count that used
   * up the allowance (worth an audit record), `verdict` whether this one was still allowed.
   */
  consume(action: LimitedAction, address: string | undefined): Promise<{ verdict: RateLimitVerdict; limitReached: boolean }>;
}

/** What a person refused by a limit is told: about their network, never about an account. */
export function rateLimitMessage(retryAfterSeconds: number): Message {
  const minutes = Math.max(1, Math.ceil(retryAfterSeconds / 60));
  return minutes === 1 ? msg('error.tooManyAttemptsOne') : msg('error.tooManyAttempts', { minutes });
}

/** For when limits are switched off (closed load tests only). */
export const NO_RATE_LIMITS: RateLimits = {
  check: async () => ({ allowed: true }),
  consume: async () => ({ verdict: { allowed: true }, limitReached: false }),
};
