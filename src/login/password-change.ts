/**
 * A new password during a login, once both factors are proven. The current password is
 * typed again (ASVS 2.1.6): a wrong one is a failed factor like any other. Whoever held a
 * session opened with the old password must log in again; this login goes on.
 */
import { revokeUserAccess } from '../directory/access-revocation.js';
import { userActor } from '../kernel/actor.js';
import { passwordProblemList } from '../factors/password.js';
import { passwordRefusal, type Translatable } from '../i18n/translate.js';
import { completeLogin } from './completion.js';
import { recordLoginEvent } from './events.js';
import { recordFailedFactor } from './failed-factor.js';
import { CANNOT_LOG_IN_NOW, type Login, type LoginOutcome, type LoginServices, stepAfter } from './login.js';

export interface NewPasswordInput {
  current: string;
  password: string;
  confirmation: string;
}

export async function changePasswordDuringLogin(services: LoginServices, login: Login, input: NewPasswordInput): Promise<LoginOutcome & { failedAttempt?: boolean }> {
  const { user, request } = login;
  const current = user.password_hash ? await services.hasher.verify(user.password_hash, input.current) : false;
  if (!current) {
    const { locked } = await recordFailedFactor(services, request, { factor: 'password_change', reason: 'wrong_password', user, countable: true });
    if (locked) return { ...CANNOT_LOG_IN_NOW, failedAttempt: true };
    return { kind: 'retry', status: 401, error: 'change.wrongCurrent', failedAttempt: true };
  }
  const problems = passwordProblemList(input.password, services.passwordRules, { userId: user.user_id, participantId: user.participant_id });
  const error: Translatable | undefined = problems.length
    ? passwordRefusal(problems)
    : input.password !== input.confirmation
      ? 'change.mismatch'
      : input.password === input.current
        ? 'change.same'
        : undefined;
  if (error) return { kind: 'retry', status: 400, error };

  const hash = await services.hasher.hash(input.password);
  await services.queries.transaction(async (within) => {
    await within.users.setPasswordHash(user.id, hash);
    await recordLoginEvent(services, request, { type: 'user.password.change', outcome: 'success', who: user, details: { by: 'user' } }, within);
    await revokeUserAccess({ queries: within, notices: services.notices }, user, 'password_change', userActor(user, request.origin), request.uid);
    await within.loginProgress.setPasswordChange(request.uid, false);
  });
  if (stepAfter({ ...login, changePassword: false }, login.proven) === 'complete') return completeLogin(services, login, login.proven);
  return { kind: 'next' };
}
