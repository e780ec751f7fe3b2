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
import type { ProvenFactor } from '../oidc/assurance.js';
import type { SecondFactorMethod } from '../store/users.js';

export type LoginStep = 'password' | 'totp' | 'email-otp' | 'new-password' | 'choose-method' | 'no-second-factor' | 'complete';

export function nextLoginStep(
  proven: readonly ProvenFactor[] | undefined,
  user: { second_factor: SecondFactorMethod | null; email: string | null },
  changeMethod = false,
  changePassword = false,
): LoginStep {
  if (!proven?.includes('pwd')) return 'password';
  // A new password, like a new method, only once both current factors are proven.
  const done = changePassword ? 'new-password' : changeMethod ? 'choose-method' : 'complete';
  if (user.second_factor === 'totp') return proven.includes('totp') ? done : 'totp';
  if (!user.email) return 'no-second-factor';
  if (user.second_factor === 'email') return proven.includes('email') ? done : 'email-otp';
  return proven.includes('email') ? 'choose-method' : 'email-otp';
}
