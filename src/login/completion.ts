/**
 * The end of a login: when every factor it needs is proven, the phase and the client are
 * asked once more (the phase may have changed, or an operator pinned one, since the password
 * step) and the login is handed to oidc-provider with its acr and amr.
 */
import { acrOf, amrFor, assuranceOf, satisfies, type ProvenFactor } from '../oidc/assurance.js';
import { refusalFor } from '../policy/access.js';
import { loginAuditEvents, recordLoginEvent, recordLoginEvents, type LoginEvent } from './events.js';
import { CANNOT_LOG_IN_NOW, refused, stepAfter, type Login, type LoginOutcome, type LoginServices } from './login.js';
import { ACCESS_REFUSALS } from './refusals.js';

/** `earlier`: events of this step not yet recorded (the factor just proven), written with the verdict. */
export async function completeLogin(services: LoginServices, login: Login, proven: readonly ProvenFactor[], earlier: readonly LoginEvent[] = []): Promise<LoginOutcome> {
  const { request, user } = login;
  const amr = amrFor(proven);
  const assurance = assuranceOf(proven);
  // Fail closed: the steps never get here with less than the request accepts (a synced passkey
  // where only a device-bound key will do is refused before); should they, nothing completes.
  if (!satisfies(assurance, request.requirement.acrs)) {
    await services.queries.loginProgress.finish(request.uid);
    await recordLoginEvents(services, request, [...earlier, { type: 'login', outcome: 'failure', who: user, details: { method: proven.join('+'), reason: 'level_not_met' } }]);
    return refused(403, 'login.error.needsKeyTitle', 'login.error.needsHardwareKey');
  }
  // The first requested level this login meets (a key login asked for 2FA says 2FA), else the one it names.
  const acr = acrOf(assurance, request.requirement.requested ?? []);
  const refusal = refusalFor('two-factor', request.policy.phase, request.policy.pilots.has(user.participant_id), request.requirement);
  if (refusal) {
    await services.queries.loginProgress.finish(request.uid);
    await recordLoginEvents(services, request, [...earlier, { type: 'login', outcome: 'failure', who: user, details: { method: proven.join('+'), reason: refusal } }]);
    return refused(403, 'login.error.notThisWay', ACCESS_REFUSALS[refusal]);
  }
  const records = loginAuditEvents(services, request, [...earlier, { type: 'login', outcome: 'success', who: user, details: { method: proven.join('+'), amr, acr } }]);
  // Locked or disabled while this request ran: nothing of the login is recorded, and it does not complete.
  if (!(await services.queries.loginProgress.complete(request.uid, user.id, services.clock.now(), records))) return CANNOT_LOG_IN_NOW;
  return { kind: 'complete', accountId: user.id, acr, amr };
}

/** After a factor was proven (`event` says how): complete the login, or save the progress and show the next step. */
export async function advance(services: LoginServices, login: Login, factors: ProvenFactor | readonly ProvenFactor[], event: LoginEvent): Promise<LoginOutcome> {
  const proven = [...login.proven, ...(typeof factors === 'string' ? [factors] : factors)];
  // A completed login's progress row is deleted, so it is not updated first.
  if (stepAfter(login, proven) === 'complete') return completeLogin(services, login, proven, [event]);
  await services.queries.loginProgress.addFactors(login.request.uid, proven.slice(login.proven.length));
  await recordLoginEvent(services, login.request, event);
  return { kind: 'next' };
}
