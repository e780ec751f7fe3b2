/**
 * Every failed factor of a login ends here — a wrong password, a wrong or replayed code, a
 * wrong current password when changing it: the failure is counted towards the lock, audited
 * and measured, and a lock it causes ends the user's sessions and tokens and tells them, all
 * in one transaction (a crash leaves either all of it or none).
 */
import { revokeUserAccess } from '../directory/access-revocation.js';
import type { Actor } from '../kernel/actor.js';
import { lockEndsAt } from '../policy/lockout.js';
import type { UserRow } from '../store/users.js';
import { recordLoginEvent } from './events.js';
import type { LoginRequest, LoginServices } from './login.js';

export type LoginFactor = 'password' | 'totp' | 'email_otp' | 'webauthn' | 'recovery_code' | 'password_change';

export interface FactorFailure {
  factor: LoginFactor;
  reason: string;
  /** The account, when one was found (an unknown user is counted as nothing). */
  user?: UserRow | undefined;
  /** Whether it counts towards the lock (a wrong password of an account that can lock does; a disabled one does not). */
  countable: boolean;
  /** What was typed, for the audit record when no user was found. */
  typed?: { participant_id: string; user_id: string } | undefined;
}

export async function recordFailedFactor(services: LoginServices, request: LoginRequest, failure: FactorFailure): Promise<{ locked: boolean }> {
  const { user, factor, reason } = failure;
  if (factor !== 'password' && factor !== 'password_change') services.metrics.secondFactorFailures.inc({ method: factor });
  if (factor === 'password') services.metrics.logins.inc({ method: 'password+otp', outcome: 'failure', phase: request.policy.phase });
  const actor: Actor = { name: 'system:lockout', ip: request.origin.ip, requestId: request.origin.requestId };
  const locked = await services.queries.transaction(async (within) => {
    // One counting statement whether or not there is an account to count on: no failure takes longer than another.
    const counted = await within.users.recordFailure(user?.id, services.lockout.threshold, lockEndsAt(services.lockout, user?.lockout_count ?? 0, services.clock.now()), failure.countable);
    const details = factor === 'password' ? { method: 'password', reason, ...(counted.locked ? { locked: true } : {}) } : { reason, locked: counted.locked };
    await recordLoginEvent(services, request, { type: `login.${factor}`, outcome: 'failure', who: user ?? failure.typed, details }, within);
    // A code used twice: the user's password and code may both be in someone else's hands.
    if (reason === 'replayed' && user) await services.notices.send(within, user, 'code_replayed', { ip: request.origin.ip });
    // A key whose counter went back may have been copied: its holder should know at once.
    if (reason === 'counter_regressed' && user) await services.notices.send(within, user, 'key_counter_regressed', { ip: request.origin.ip });
    if (counted.locked && user) {
      await recordLoginEvent(services, request, { type: 'account.lock', outcome: 'success', who: user, details: { after: factor } }, within);
      await revokeUserAccess({ queries: within, notices: services.notices }, user, 'lock', actor);
      await within.loginProgress.finish(request.uid);
    }
    return counted.locked;
  });
  if (locked) services.metrics.lockouts.inc();
  return { locked };
}
