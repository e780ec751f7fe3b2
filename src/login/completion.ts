/**
 * The end of a login: when every factor it needs is proven, the phase and the client are
 * asked once more (the phase may have changed, or an operator pinned one, since the password
 * step) and the login is handed to oidc-provider with its acr and amr.
 */
import { useCode, type PendingCodeUse } from '../factors/second-factors.js';
import { acrOf, amrFor, assuranceOf, satisfies, type ProvenFactor } from '../oidc/assurance.js';
import { refusalFor } from '../policy/access.js';
import { loginAuditEvents, recordLoginEvent, recordLoginEvents, type LoginEvent } from './events.js';
import { CANNOT_LOG_IN_NOW, refused, stepAfter, type Login, type LoginOutcome, type LoginServices, type ResultRow } from './login.js';
import { ACCESS_REFUSALS } from './refusals.js';

/** `earlier`: events of this step not yet recorded (the factor just proven), written with the verdict. */
export async function completeLogin(services: LoginServices, login: Login, proven: readonly ProvenFactor[], earlier: readonly LoginEvent[] = [], resultRow?: ResultRow): Promise<LoginOutcome> {
  const outcome = await finishLogin(services, login, proven, earlier, undefined, resultRow);
  // Without a pending code there is no code to have been used meanwhile.
  if (outcome.kind === 'code_used') throw new Error('a login without a pending code reported its code used');
  return outcome;
}

/**
 * The completion of a login whose last factor is a code checked but not yet used up (see
 * CodeFactor#check): the code's use is written by the completing statement. 'code_used': it
 * had been used meanwhile (a replay raced this request), and nothing of the login happened.
 */
export function completeLoginUsingCode(
  services: LoginServices,
  login: Login,
  proven: readonly ProvenFactor[],
  earlier: readonly LoginEvent[],
  use: PendingCodeUse,
  resultRow?: ResultRow,
): Promise<LoginOutcome | { kind: 'code_used' }> {
  return finishLogin(services, login, proven, earlier, use, resultRow);
}

async function finishLogin(
  services: LoginServices,
  login: Login,
  proven: readonly ProvenFactor[],
  earlier: readonly LoginEvent[],
  use?: PendingCodeUse,
  resultRow?: ResultRow,
): Promise<LoginOutcome | { kind: 'code_used' }> {
  const { request, user } = login;
  // A refused login still uses its code up: a code shown once counts once, whatever came of it.
  const useUp = async () => {
    if (use && !(await useCode(services, user.id, use))) return { kind: 'code_used' as const };
    return undefined;
  };
  const amr = amrFor(proven);
  const assurance = assuranceOf(proven);
  // Fail closed: the steps never get here with less than the request accepts (a synced passkey
  // where only a device-bound key will do is refused before); should they, nothing completes.
  if (!satisfies(assurance, request.requirement.acrs)) {
    const used = await useUp();
    if (used) return used;
    await services.queries.loginProgress.finish(request.uid);
    await recordLoginEvents(services, request, [...earlier, { type: 'login', outcome: 'failure', who: user, details: { method: proven.join('+'), reason: 'level_not_met' } }]);
    return refused(403, 'login.error.needsKeyTitle', 'login.error.needsHardwareKey');
  }
  // The first requested level this login meets (a key login asked for 2FA says 2FA), else the one it names.
  const acr = acrOf(assurance, request.requirement.requested ?? []);
  const refusal = refusalFor('two-factor', request.policy.phase, request.policy.pilots.has(user.participant_id), request.requirement);
  if (refusal) {
    const used = await useUp();
    if (used) return used;
    await services.queries.loginProgress.finish(request.uid);
    await recordLoginEvents(services, request, [...earlier, { type: 'login', outcome: 'failure', who: user, details: { method: proven.join('+'), reason: refusal } }]);
    return refused(403, 'login.error.notThisWay', ACCESS_REFUSALS[refusal]);
  }
  const records = loginAuditEvents(services, request, [...earlier, { type: 'login', outcome: 'success', who: user, details: { method: proven.join('+'), amr, acr } }]);
  // Locked or disabled while this request ran: nothing of the login is recorded, and it does not complete.
  const result = { accountId: user.id, acr, amr };
  const row = resultRow ? await resultRow(result) : undefined;
  const completed = await services.queries.loginProgress.complete(request.uid, user.id, services.clock.now(), records, use, row);
  if (completed === 'code_used') return { kind: 'code_used' };
  if (completed === 'ended') return CANNOT_LOG_IN_NOW;
  return { kind: 'complete', ...result, ...(row ? { resultWritten: true as const } : {}) };
}

/** After a factor was proven (`event` says how): complete the login, or save the progress and show the next step. */
export async function advance(services: LoginServices, login: Login, factors: ProvenFactor | readonly ProvenFactor[], event: LoginEvent, resultRow?: ResultRow): Promise<LoginOutcome> {
  const proven = [...login.proven, ...(typeof factors === 'string' ? [factors] : factors)];
  // A completed login's progress row is deleted, so it is not updated first.
  if (stepAfter(login, proven) === 'complete') return completeLogin(services, login, proven, [event], resultRow);
  await services.queries.loginProgress.addFactors(login.request.uid, proven.slice(login.proven.length));
  await recordLoginEvent(services, login.request, event);
  return { kind: 'next' };
}
