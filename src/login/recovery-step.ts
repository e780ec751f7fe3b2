/**
 * A recovery code in place of the second factor: accepted once, it proves this login and leads
 * straight to choosing a new method (the lost one is not trusted any more). The user is told
 * by email, and the use is audited, in the transaction that uses the code; a wrong code goes
 * down the failed-factor path like a wrong one-time code.
 */
import { useRecoveryCode } from '../factors/recovery-codes.js';
import { recordLoginEvent } from './events.js';
import { recordFailedFactor } from './failed-factor.js';
import { CANNOT_LOG_IN_NOW, stepContext, type Login, type LoginOutcome, type LoginServices } from './login.js';
import { recoveryAllowed } from './steps.js';

export async function submitRecoveryCode(services: LoginServices, login: Login, code: string): Promise<LoginOutcome & { failedAttempt?: boolean }> {
  if (login.step !== 'recovery-code' || !recoveryAllowed(stepContext(login))) return { kind: 'next' };
  const accepted = await services.queries.transaction(async (within) => {
    const verdict = await useRecoveryCode({ ...services.recoveryCodes, codes: within.recoveryCodes }, login.user.id, code);
    if (verdict !== 'accepted') return false;
    const left = await within.recoveryCodes.countUnused(login.user.id);
    await within.loginProgress.addFactors(login.request.uid, ['recovery']);
    await recordLoginEvent(services, login.request, { type: 'login.recovery_code', outcome: 'success', who: login.user, details: { left } }, within);
    await services.notices.send(within, login.user, 'recovery_code_used', { by: `user:${login.user.participant_id}/${login.user.user_id}`, ip: login.request.origin.ip, params: { left } });
    return true;
  });
  if (accepted) return { kind: 'next' };
  const { locked } = await recordFailedFactor(services, login.request, { factor: 'recovery_code', reason: 'rejected', user: login.user, countable: true });
  if (locked) return { ...CANNOT_LOG_IN_NOW, failedAttempt: true };
  return { kind: 'retry', status: 401, error: 'recovery.wrong', failedAttempt: true };
}
