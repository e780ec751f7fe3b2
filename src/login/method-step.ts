/**
 * Choosing how to receive codes: a user without a second factor (after proving the
 * designated email address with a code), or one who asked to change theirs (after proving
 * the current one). Enrolling goes through the second-factor registry, as activation and
 * DMS do; a user who replaced a factor has the sessions opened with the old one ended.
 */
import { revokeUserAccess } from '../directory/access-revocation.js';
import { userActor } from '../kernel/actor.js';
import { switchSecondFactor, type CodeMethod } from '../factors/second-factors.js';
import { confirmTotpEnrolment } from '../factors/totp-service.js';
import type { Queries } from '../store/index.js';
import { completeLogin } from './completion.js';
import { recordLoginEvent } from './events.js';
import { refused, type Login, type LoginOutcome, type LoginServices } from './login.js';

/** Makes `method` the user's factor, audited, ending what the old factor had opened: in `within`. */
async function enrol(services: LoginServices, login: Login, method: CodeMethod, within: Queries): Promise<void> {
  const { user, request } = login;
  await switchSecondFactor(within, user, method);
  await recordLoginEvent(services, request, { type: 'second_factor.enrol', outcome: 'success', who: user, details: { method, previous: user.second_factor } }, within);
  // A first enrolment ends nothing that was in use; this login goes on either way.
  if (user.second_factor !== null) {
    await revokeUserAccess({ queries: within, notices: services.notices }, user, 'second_factor_change', userActor(user, request.origin), request.uid);
  }
}

/** Codes by email from now on (the address was just proven by this login's code). */
export async function chooseEmailCodes(services: LoginServices, login: Login): Promise<LoginOutcome> {
  if (!login.user.email) return refused(400, 'error.notAccepted', 'login.error.noEmail');
  await services.queries.transaction((within) => enrol(services, login, 'email', within));
  return completeLogin(services, login, login.proven);
}

/** The first code from the authenticator app confirms its secret; the login then completes. */
export async function confirmAuthenticator(services: LoginServices, login: Login, code: string): Promise<LoginOutcome & { failedAttempt?: boolean }> {
  const verdict = await confirmTotpEnrolment(services.totp, login.user.id, code);
  if (verdict !== 'accepted') return { kind: 'retry', status: 400, error: 'enrol.wrongCode', failedAttempt: true };
  await services.queries.transaction(async (within) => {
    await enrol(services, login, 'totp', within);
    await within.loginProgress.addFactor(login.request.uid, 'totp');
  });
  return completeLogin(services, login, [...login.proven, 'totp']);
}
