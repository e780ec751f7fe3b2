/**
 * The end of a login: when every factor it needs is proven, the phase and the client are
 * asked once more (the phase may have changed, or an operator pinned one, since the password
 * step) and the login is handed to oidc-provider with its acr and amr.
 */
import { ACR, amrFor, type ProvenFactor } from '../oidc/assurance.js';
import { refusalFor } from '../policy/access.js';
import { recordLoginEvent } from './events.js';
import { refused, type Login, type LoginOutcome, type LoginServices } from './login.js';
import { ACCESS_REFUSALS } from './refusals.js';
import { nextLoginStep } from './steps.js';

export async function completeLogin(services: LoginServices, login: Login, proven: readonly ProvenFactor[]): Promise<LoginOutcome> {
  const { request, user } = login;
  const amr = amrFor(proven);
  await services.queries.loginProgress.finish(request.uid);
  const refusal = refusalFor('two-factor', request.policy.phase, request.policy.pilots.has(user.participant_id), request.requirement);
  if (refusal) {
    await recordLoginEvent(services, request, { type: 'login', outcome: 'failure', who: user, details: { method: proven.join('+'), reason: refusal } });
    return refused(403, 'login.error.notThisWay', ACCESS_REFUSALS[refusal]);
  }
  await services.queries.users.recordLogin(user.id, 'two-factor', services.clock.now());
  await recordLoginEvent(services, request, { type: 'login', outcome: 'success', who: user, details: { method: proven.join('+'), amr, acr: ACR.twoFactor } });
  return { kind: 'complete', accountId: user.id, acr: ACR.twoFactor, amr };
}

/** After a factor was proven: complete the login, or save the progress and show the next step. */
export async function advance(services: LoginServices, login: Login, factor: ProvenFactor): Promise<LoginOutcome> {
  const proven = [...login.proven, factor];
  // A completed login's progress row is deleted, so it is not updated first.
  if (nextLoginStep(proven, login.user, login.changeMethod, login.changePassword) === 'complete') return completeLogin(services, login, proven);
  await services.queries.loginProgress.addFactor(login.request.uid, factor);
  return { kind: 'next' };
}
