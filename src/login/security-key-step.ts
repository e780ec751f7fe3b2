/**
 * The security-key step of a login: the challenge for the user's keys (bound to this
 * interaction), the assertion checked (src/factors/webauthn.ts), and what else a login may
 * use instead ("use a code instead", "use a recovery code"). A refused assertion goes down the
 * same failed-factor path as a wrong code: counted towards the lock, audited, measured.
 */
import type { PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/server';
import { beginAuthentication, parseCredentialResponse, verifyAssertion } from '../factors/webauthn.js';
import { z } from 'zod';
import { onlyHardwareProtected, type ProvenFactor } from '../oidc/assurance.js';
import { advance } from './completion.js';
import { recordFailedFactor } from './failed-factor.js';
import { CANNOT_LOG_IN_NOW, factorHolder, stepContext, type Login, type LoginOutcome, type LoginServices, type ResultRow } from './login.js';
import { otherWays } from './steps.js';

/**
 * The options for `navigator.credentials.get()`: a new challenge each time the page is shown.
 * Where only a hardware-protected login will do (phrh), only the user's device-bound keys are
 * asked for; a user who has none gets undefined (the page that says so).
 */
export async function keyChallenge(services: LoginServices, login: Login): Promise<PublicKeyCredentialRequestOptionsJSON | undefined> {
  const deviceBound = onlyHardwareProtected(login.request.requirement.acrs);
  const options = await beginAuthentication(services.webauthn, { user: login.user, binding: login.request.uid }, { deviceBound });
  return deviceBound && !options.allowCredentials?.length ? undefined : options;
}

/** What the page's script sends when the browser gave no credential (cancelled, timed out, refused by the key). */
const NO_CREDENTIAL = z.object({ error: z.string().max(64) }).strict();

/** `resultRow`: the interaction's result, written with the completion when this key completes the login. */
export async function submitAssertion(services: LoginServices, login: Login, credentialJson: string, resultRow?: ResultRow): Promise<LoginOutcome & { failedAttempt?: boolean }> {
  if (login.step !== 'security-key') return { kind: 'next' };
  // The user cancelled, or the key did not answer: nothing was proven or tried; not a failure to count.
  if (isNoCredential(credentialJson)) return { kind: 'retry', status: 400, error: 'key.cancelled' };
  const response = parseCredentialResponse('authentication', credentialJson);
  const verdict = response ? await verifyAssertion(services.webauthn, { user: login.user, binding: login.request.uid }, response) : ({ kind: 'refused', reason: 'malformed' } as const);
  if (verdict.kind === 'accepted') {
    const proven: ProvenFactor[] = ['webauthn', ...(verdict.userVerified ? ['user-verified' as const] : []), ...(verdict.deviceBound ? ['device-bound' as const] : [])];
    return advance(services, login, proven, {
      type: 'login.webauthn',
      outcome: 'success',
      who: login.user,
      details: { credential: verdict.credential.id, userVerified: verdict.userVerified, deviceBound: verdict.deviceBound },
    }, resultRow);
  }
  const { locked } = await recordFailedFactor(services, login.request, { factor: 'webauthn', reason: verdict.reason, user: login.user, countable: true });
  if (locked) return { ...CANNOT_LOG_IN_NOW, failedAttempt: true };
  return { kind: 'retry', status: 401, error: 'key.failed', failedAttempt: true };
}

function isNoCredential(text: string): boolean {
  try {
    return NO_CREDENTIAL.safeParse(JSON.parse(text)).success;
  } catch {
    return false;
  }
}

/** "Use another way": only a way this login may take (never a code when only a key will do). */
export async function chooseAnotherWay(services: LoginServices, login: Login, way: string): Promise<LoginOutcome> {
  const ways = otherWays(login.step, factorHolder(login), stepContext(login));
  if (!(ways as readonly string[]).includes(way)) return { kind: 'next' };
  await services.queries.loginProgress.chooseFactor(login.request.uid, way);
  return { kind: 'next' };
}
