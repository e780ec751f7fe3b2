/**
 * Which page a login shows next, from what it has proven so far (held server-side, per
 * interaction), what the user has enrolled and what the request accepts. Pure: the routes
 * ask, then render.
 *
 * A password alone never completes a login. A user with no second factor yet first proves
 * the designated email address with an emailed code, then chooses a method: so a stolen
 * password is not enough to enrol an attacker's authenticator. Likewise a user who asks to
 * change their method chooses the new one only after proving the current one, and a user who
 * asks to change their password sets the new one only then. A recovery code stands in for
 * the second factor once, and leads straight to choosing a new method.
 *
 * A request that accepts only phishing-resistant logins (`phr`) is satisfied by a security
 * key alone: codes are not offered, and a user without a key is told so.
 */
import { SECOND_FACTORS, usableFactors, type FactorHolder, type SecondFactor, type SecondFactorMethod } from '../factors/second-factors.js';
import type { ProvenFactor } from '../oidc/assurance.js';

/** The pages of a login, in the order they can come: each second factor's step comes from the registry. */
export type LoginStep =
  | 'password'
  | SecondFactor['step']
  | 'recovery-code'
  | 'new-password'
  | 'choose-method'
  | 'no-second-factor'
  | 'needs-security-key'
  | 'smartcard-bridge'
  | 'complete';

export interface StepContext {
  changeMethod?: boolean;
  changePassword?: boolean;
  /** The factor the user picked ("use another way"), or 'recovery' for a recovery code. */
  chosen?: string | null;
  /** The request accepts only phishing-resistant factors (acr `phr`/`phrh`). */
  phishingResistant?: boolean;
  /** Unused recovery codes the user has. */
  recoveryCodes?: number;
}

/** The second factors this login may use: the user's usable ones, only phishing-resistant ones when the request says so. */
export function factorsForLogin(user: FactorHolder, phishingResistant = false): SecondFactor[] {
  return usableFactors(user).filter((factor) => !phishingResistant || factor.phishingResistant);
}

/** Whether a recovery code may stand in for the second factor in this login. */
export function recoveryAllowed(context: StepContext): boolean {
  return (context.recoveryCodes ?? 0) > 0 && !context.phishingResistant;
}

export function nextLoginStep(proven: readonly ProvenFactor[] | undefined, user: FactorHolder, context: StepContext = {}): LoginStep {
  // A smartcard login waits only for the offer of a security key (it completes from that page).
  if (proven?.includes('sc')) return 'smartcard-bridge';
  if (!proven?.includes('pwd')) return 'password';
  // A new password, like a new method, only once both current factors are proven.
  const done = context.changePassword ? 'new-password' : context.changeMethod ? 'choose-method' : 'complete';
  const factors = factorsForLogin(user, context.phishingResistant);
  if (factors.some((factor) => proven.includes(factor.method))) return done;
  // A recovery code proves the login once; the user then sets up a new way (the lost one is gone).
  if (proven.includes('recovery') && !context.phishingResistant) return context.changePassword ? 'new-password' : 'choose-method';
  if (context.chosen === 'recovery' && recoveryAllowed(context)) return 'recovery-code';
  const chosen = factors.find((factor) => factor.method === context.chosen);
  if (chosen) return chosen.step;
  const [offered] = factors;
  if (offered) return offered.step;
  if (context.phishingResistant) return 'needs-security-key';
  // No usable factor yet: the designated email address is proven with a code, then a method chosen.
  if (!user.email) return 'no-second-factor';
  return proven.includes('email') ? 'choose-method' : 'email-otp';
}

/** The factor whose proof a login's step asks for, if it asks for one. */
export function factorOfStep(step: LoginStep): SecondFactor | undefined {
  return Object.values(SECOND_FACTORS).find((factor) => factor.step === step);
}

/** The other ways this login may go instead of the step it is on (for "use another way"). */
export function otherWays(step: LoginStep, user: FactorHolder, context: StepContext): (SecondFactorMethod | 'recovery')[] {
  const current = factorOfStep(step)?.method;
  const ways: (SecondFactorMethod | 'recovery')[] = factorsForLogin(user, context.phishingResistant)
    .map((factor) => factor.method)
    .filter((method) => method !== current);
  if (recoveryAllowed(context) && step !== 'recovery-code') ways.push('recovery');
  return ways;
}
