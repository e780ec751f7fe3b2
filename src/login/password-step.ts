/**
 * The first step: participant ID, user ID and password. Whatever went wrong, the page says
 * one generic sentence (the reason is for the audit trail), so it reveals nothing about
 * which accounts exist, are locked or disabled. A proven password is held server-side for
 * this interaction only; the phase and the client then decide whether a password login may
 * go on at all.
 */
import { refusalFor } from '../policy/access.js';
import { authenticateWithPassword, type PasswordLoginInput } from './password-check.js';
import { loginAuditEvents, recordLoginEvents } from './events.js';
import { recordFailedFactor } from './failed-factor.js';
import { ACCESS_REFUSALS } from './refusals.js';
import type { LoginOutcome, LoginRequest, LoginServices } from './login.js';
import type { ProgressLookahead } from '../store/login-progress.js';

/** `ahead`: the request's interaction lookup, which may have brought the user the form names. */
export async function submitPassword(services: LoginServices, request: LoginRequest, input: PasswordLoginInput, ahead?: ProgressLookahead): Promise<LoginOutcome> {
  if (!input.participantId.trim() || !input.userId.trim() || !input.password) return { kind: 'retry', status: 400, error: 'login.error.incomplete' };
  const outcome = await authenticateWithPassword({ users: services.queries.users, hasher: services.hasher, clock: services.clock, lockout: services.lockout }, input, ahead);
  const typed = { participant_id: input.participantId.trim().slice(0, 64), user_id: input.userId.trim().slice(0, 64) };
  if (!outcome.ok) {
    await recordFailedFactor(services, request, { factor: 'password', reason: outcome.reason, user: outcome.user, countable: outcome.countable, typed });
    return { kind: 'retry', status: 401, error: 'login.error.generic' };
  }
  const { user } = outcome;
  const proven = { type: 'login.password', outcome: 'success', who: user, details: { method: 'password' } } as const;
  const refusal = refusalFor('two-factor', request.policy.phase, request.policy.pilots.has(user.participant_id), request.requirement);
  if (refusal) {
    await recordLoginEvents(services, request, [proven, { type: 'login', outcome: 'failure', who: user, details: { method: 'password', reason: refusal } }]);
    return { kind: 'retry', status: 403, error: ACCESS_REFUSALS[refusal] };
  }
  // Proven for this interaction only, and for no longer than an interaction lives (on our clock).
  const expiresAt = new Date(services.clock.now().getTime() + services.interactionTtlSeconds * 1000);
  await services.queries.loginProgress.start(request.uid, user.id, ['pwd'], expiresAt, loginAuditEvents(services, request, [proven]));
  return { kind: 'next' };
}
