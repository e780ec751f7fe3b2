/**
 * The end of a login: when every factor it needs is proven, the phase and the client are
 * asked once more (the phase may have changed, or an operator pinned one, since the password
 * step) and the login is handed to oidc-provider with its acr and amr.
 */
import { ACR, amrFor, type ProvenFactor } from '../oidc/assurance.js';
import { refusalFor } from '../policy/access.js';
import { loginAuditEvents, recordLoginEvent, recordLoginEvents, type LoginEvent } from './events.js';
import { CANNOT_LOG_IN_NOW, refused, type Login, type LoginOutcome, type LoginServices } from './login.js';
import { ACCESS_REFUSALS } from './refusals.js';
import { nextLoginStep } from './steps.js';

/** `earlier`: events of this step not yet recorded (the factor just proven), written with the verdict. */
export async function completeLogin(services: LoginServices, login: Login, proven: readonly ProvenFactor[], earlier: readonly LoginEvent[] = []): Promise<LoginOutcome> {
  const { request, user } = login;
  const amr = amrFor(proven);
  const refusal = refusalFor('two-factor', request.policy.phase, request.policy.pilots.has(user.participant_id), request.requirement);
  if (refusal) {
    await services.queries.loginProgress.finish(request.uid);
    await recordLoginEvents(services, request, [...earlier, { type: 'login', outcome: 'failure', who: user, details: { method: proven.join('+'), reason: refusal } }]);
    return refused(403, 'login.error.notThisWay', ACCESS_REFUSALS[refusal]);
  }
  const records = loginAuditEvents(services, request, [...earlier, { type: 'login', outcome: 'success', who: user, details: { method: proven.join('+'), amr, acr: ACR.twoFactor } }]);
  // Locked or disabled while this request ran: nothing of the login is recorded, and it does not complete.
  if (!(await services.queries.loginProgress.complete(request.uid, user.id, services.clock.now(), records))) return CANNOT_LOG_IN_NOW;
  return { kind: 'complete', accountId: user.id, acr: ACR.twoFactor, amr };
}

/** After a factor was proven (`event` says how): complete the login, or save the progress and show the next step. */
export async function advance(services: LoginServices, login: Login, factor: ProvenFactor, event: LoginEvent): Promise<LoginOutcome> {
  const proven = [...login.proven, factor];
  // A completed login's progress row is deleted, so it is not updated first.
  if (nextLoginStep(proven, login.user, login.changeMethod, login.changePassword) === 'complete') return completeLogin(services, login, proven, [event]);
  await services.queries.loginProgress.addFactor(login.request.uid, factor);
  await recordLoginEvent(services, login.request, event);
  return { kind: 'next' };
}
