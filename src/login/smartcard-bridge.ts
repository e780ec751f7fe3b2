/**
 * The smartcard bridge: a user who just logged in with the smartcard and has no security key
 * is offered to register one there and then. The card vouches for the new key — the login is
 * the card's, proven a moment ago — so the user is never without a phishing-resistant login
 * through the cut-off. The key, its audit record and the user's notice commit together; the
 * smartcard login completes whether the user registers a key or not.
 */
import type { PublicKeyCredentialCreationOptionsJSON } from '@simplewebauthn/server';
import { beginRegistration, cleanKeyName, finishRegistration, parseCredentialResponse } from '../factors/webauthn.js';
import type { Translatable } from '../i18n/translate.js';
import { smartcardExceptionFor } from './smartcard-exception.js';
import { refusalFor } from '../policy/access.js';
import { recordLoginEvent } from './events.js';
import { factorHolder, refused, type Login, type LoginOutcome, type LoginServices } from './login.js';
import { firstSecondFactorClosed, secondFactorClosedMessage } from '../reminders/deadline-doors.js';
import { completeSmartcardLogin } from './smartcard-step.js';

export async function bridgeChallenge(services: LoginServices, login: Login): Promise<PublicKeyCredentialCreationOptionsJSON> {
  return beginRegistration(services.webauthn, { user: login.user, binding: login.request.uid });
}

/** A key's name as typed, cleaned (else the default). */
export function keyName(typed: string, fallback: string): string {
  return cleanKeyName(typed) || fallback;
}

export async function registerKeyWithSmartcard(
  services: LoginServices,
  login: Login,
  input: { name: string; credential: string; defaultName: string },
): Promise<LoginOutcome | { kind: 'register-again'; error: Translatable }> {
  if (login.step !== 'smartcard-bridge') return { kind: 'next' };
  // The card vouches for a key only while cards are accepted: a page left open across the cut-off registers nothing.
  const { policy, requirement } = login.request;
  const exception = await smartcardExceptionFor(services, policy.phase, login.user);
  if (refusalFor('smartcard', policy.phase, policy.pilots.has(login.user.participant_id), requirement, { smartcard: Boolean(exception) })) return completeSmartcardLogin(services, login, {});
  // Past the second-factor deadline a user with no second factor registers no first one here either (a page left open across it).
  const deadline = await firstSecondFactorClosed(services.deadlines, login.user.id, factorHolder(login));
  if (deadline) {
    await recordLoginEvent(services, login.request, { type: 'webauthn.register', outcome: 'failure', who: login.user, details: { reason: 'deadline_passed', vouchedBy: 'smartcard', deadline: deadline.at.toISOString() } });
    await services.queries.loginProgress.finish(login.request.uid);
    return refused(403, 'deadlines.secondFactor.pastTitle', secondFactorClosedMessage(login.user.role, deadline));
  }
  const response = parseCredentialResponse('registration', input.credential);
  const name = keyName(input.name, input.defaultName);
  const verdict = await services.queries.transaction(async (within) => {
    if (!response) return { kind: 'refused', reason: 'malformed' } as const;
    const result = await finishRegistration({ ...services.webauthn, credentials: within.webauthnCredentials, challenges: within.webauthnChallenges }, { user: login.user, binding: login.request.uid }, response, {
      name,
      registeredWith: 'smartcard',
    });
    if (result.kind !== 'registered') return result;
    await recordLoginEvent(services, login.request, { type: 'webauthn.register', outcome: 'success', who: login.user, details: { credential: result.credential.id, name, vouchedBy: 'smartcard', deviceType: result.credential.device_type } }, within);
    await services.notices.send(within, login.user, 'security_key_added', { by: `user:${login.user.participant_id}/${login.user.user_id}`, ip: login.request.origin.ip, params: { name } });
    return result;
  });
  if (verdict.kind !== 'registered') {
    await recordLoginEvent(services, login.request, { type: 'webauthn.register', outcome: 'failure', who: login.user, details: { reason: verdict.reason, vouchedBy: 'smartcard' } });
    return { kind: 'register-again', error: 'bridge.failed' };
  }
  return completeSmartcardLogin(services, login, { securityKey: verdict.credential.id });
}

export async function skipKeyRegistration(services: LoginServices, login: Login): Promise<LoginOutcome> {
  if (login.step !== 'smartcard-bridge') return { kind: 'next' };
  return completeSmartcardLogin(services, login, { securityKey: 'not_now' });
}
