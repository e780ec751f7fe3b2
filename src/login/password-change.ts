/**
 * A new password during a login, once both factors are proven. The current password is
 * typed again (ASVS 2.1.6; the checks are factors/password-change.ts): a wrong one is a
 * failed factor like any other. Whoever held a session opened with the old password must log
 * in again; this login goes on.
 */
import { revokeUserAccess } from '../directory/access-revocation.js';
import { userActor } from '../kernel/actor.js';
import { checkPasswordChange, type PasswordChangeInput } from '../factors/password-change.js';
import { completeLogin } from './completion.js';
import { recordLoginEvent } from './events.js';
import { recordFailedFactor } from './failed-factor.js';
import { CANNOT_LOG_IN_NOW, type Login, type LoginOutcome, type LoginServices, stepAfter } from './login.js';

export async function changePasswordDuringLogin(services: LoginServices, login: Login, input: PasswordChangeInput): Promise<LoginOutcome & { failedAttempt?: boolean }> {
  const { user, request } = login;
  const check = await checkPasswordChange(services, user, input);
  if (check.kind === 'wrongCurrent') {
    const { locked } = await recordFailedFactor(services, request, { factor: 'password_change', reason: 'wrong_password', user, countable: true });
    if (locked) return { ...CANNOT_LOG_IN_NOW, failedAttempt: true };
    return { kind: 'retry', status: 401, error: 'change.wrongCurrent', failedAttempt: true };
  }
  if (check.kind === 'refused') return { kind: 'retry', status: 400, error: check.error };

  await services.queries.transaction(async (within) => {
    await within.users.setPasswordHash(user.id, check.hash);
    await recordLoginEvent(services, request, { type: 'user.password.change', outcome: 'success', who: user, details: { by: 'user' } }, within);
    await revokeUserAccess({ queries: within, notices: services.notices }, user, 'password_change', userActor(user, request.origin), request.uid);
    await within.loginProgress.setPasswordChange(request.uid, false);
  });
  if (stepAfter({ ...login, changePassword: false }, login.proven) === 'complete') return completeLogin(services, login, login.proven);
  return { kind: 'next' };
}
