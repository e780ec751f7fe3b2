/**
 * Which page a login shows next, from what it has proven so far (held server-side, per
 * interaction) and what the user has enrolled. Pure: the routes ask, then render.
 *
 * A password alone never completes a login. A user with no second factor yet first proves
 * the designated email address with an emailed code, then chooses a method: so a stolen
 * password is not enough to enrol an attacker's authenticator.
 */
import type { ProvenFactor } from '../oidc/assurance.js';
import type { SecondFactorMethod } from '../store/users.js';

export type LoginStep = 'password' | 'totp' | 'email-otp' | 'choose-method' | 'no-second-factor' | 'complete';

export function nextLoginStep(
  proven: readonly ProvenFactor[] | undefined,
  user: { second_factor: SecondFactorMethod | null; email: string | null },
): LoginStep {
  if (!proven?.includes('pwd')) return 'password';
  if (user.second_factor === 'totp') return proven.includes('totp') ? 'complete' : 'totp';
  if (user.second_factor === 'email') return proven.includes('email') && user.email ? 'complete' : user.email ? 'email-otp' : 'no-second-factor';
  if (!user.email) return 'no-second-factor';
  return proven.includes('email') ? 'choose-method' : 'email-otp';
}
