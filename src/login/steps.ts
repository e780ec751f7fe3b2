/**
 * Which page a login shows next, from what it has proven so far (held server-side, per
 * interaction) and what the user has enrolled. Pure: the routes ask, then render.
 *
 * A password alone never completes a login. A user with no second factor yet first proves
 * the designated email address with an emailed code, then chooses a method: so a stolen
 * password is not enough to enrol an attacker's authenticator. Likewise a user who asks to
 * change their method chooses the new one only after proving the current one, and a user who
 * asks to change their password sets the new one only then.
 */
import { SECOND_FACTORS, type SecondFactor, type SecondFactorMethod } from '../factors/second-factors.js';
import type { ProvenFactor } from '../oidc/assurance.js';

/** The pages of a login, in the order they can come: each second factor's step comes from the registry. */
export type LoginStep = 'password' | SecondFactor['step'] | 'new-password' | 'choose-method' | 'no-second-factor' | 'complete';

export function nextLoginStep(
  proven: readonly ProvenFactor[] | undefined,
  user: { second_factor: SecondFactorMethod | null; email: string | null },
  changeMethod = false,
  changePassword = false,
): LoginStep {
  if (!proven?.includes('pwd')) return 'password';
  // A new password, like a new method, only once both current factors are proven.
  const done = changePassword ? 'new-password' : changeMethod ? 'choose-method' : 'complete';
  const enrolled = user.second_factor ? SECOND_FACTORS[user.second_factor] : undefined;
  if (enrolled?.usableBy(user)) return proven.includes(enrolled.method) ? done : enrolled.step;
  // No usable factor yet: the designated email address is proven with a code, then a method chosen.
  if (!user.email) return 'no-second-factor';
  return proven.includes('email') ? 'choose-method' : 'email-otp';
}
