/**
 * Security keys and passkeys (WebAuthn Level 3) as a second factor, with SimpleWebAuthn doing
 * what a library does well (CBOR, COSE keys, attestation and assertion signatures, client
 * data, RP ID hashes, flags). What is ours: challenges live in PostgreSQL, single use, bound
 * to the user and to the interaction (or security-page session) that asked, so any node can
 * finish a ceremony another began and none can finish it twice; the signature counter moves
 * forward in one conditional update; the user handle is our opaque user UUID (no name in it).
 *
 * Refusals carry a reason code for the audit record; the user only ever sees one sentence.
 */
import { randomBytes } from 'node:crypto';
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type AuthenticatorTransport,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
} from '@simplewebauthn/server';
import { isoBase64URL, parseAuthenticatorData } from '@simplewebauthn/server/helpers';
import { z } from 'zod';
import type { Clock } from '../kernel/clock.js';
import type { CeremonyPurpose, WebauthnChallengeQueries } from '../store/webauthn-challenges.js';
import type { RegisteredWith, WebauthnCredentialQueries, WebauthnCredentialRow } from '../store/webauthn-credentials.js';

export interface WebauthnSettings {
  rpId: string;
  rpName: string;
  origins: readonly string[];
  timeoutSeconds: number;
  userVerification: 'preferred' | 'required';
  maxCredentialsPerUser: number;
}

export interface WebauthnDependencies {
  credentials: WebauthnCredentialQueries;
  challenges: WebauthnChallengeQueries;
  settings: WebauthnSettings;
  clock: Clock;
}

/** Who a ceremony is for: the user, and the interaction (or session) the challenge is bound to. */
export interface Ceremony {
  user: { id: string; participant_id: string; user_id: string; display_name: string };
  binding: string;
}

export type WebauthnRefusal =
  | 'malformed'
  | 'challenge_unknown'
  | 'unknown_credential'
  | 'user_handle_mismatch'
  | 'counter_regressed'
  | 'replayed'
  | 'invalid'
  | 'already_registered'
  | 'too_many_keys'
  | 'backup_eligibility_changed';

export type AssertionVerdict =
  | { kind: 'accepted'; credential: WebauthnCredentialRow; userVerified: boolean; deviceBound: boolean }
  | { kind: 'refused'; reason: WebauthnRefusal; credential?: WebauthnCredentialRow };

export type RegistrationVerdict = { kind: 'registered'; credential: WebauthnCredentialRow; userVerified: boolean } | { kind: 'refused'; reason: WebauthnRefusal };

const TRANSPORTS = ['ble', 'hybrid', 'internal', 'nfc', 'usb'] as const;
const base64url = z.string().regex(/^[A-Za-z0-9_-]*$/).max(65_536);

// The shape a browser's response must have before anything of it is trusted; the library checks the rest.
const assertionSchema = z.object({
  id: base64url.min(1).max(1364),
  rawId: base64url.min(1).max(1364),
  type: z.literal('public-key'),
  response: z.object({ clientDataJSON: base64url, authenticatorData: base64url, signature: base64url, userHandle: base64url.optional() }).loose(),
  clientExtensionResults: z.object({}).loose().default({}),
  authenticatorAttachment: z.enum(['platform', 'cross-platform']).optional(),
}).loose();

const registrationSchema = z.object({
  id: base64url.min(1).max(1364),
  rawId: base64url.min(1).max(1364),
  type: z.literal('public-key'),
  response: z.object({ clientDataJSON: base64url, attestationObject: base64url, transports: z.array(z.string().max(32)).max(10).optional() }).loose(),
  clientExtensionResults: z.object({}).loose().default({}),
  authenticatorAttachment: z.enum(['platform', 'cross-platform']).optional(),
}).loose();

/** The browser's JSON (from the form), checked for shape; undefined when it is not a credential response at all. */
export function parseCredentialResponse<P extends CeremonyPurpose>(purpose: P, text: string): (P extends 'registration' ? RegistrationResponseJSON : AuthenticationResponseJSON) | undefined {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return undefined;
  }
  const parsed = (purpose === 'registration' ? registrationSchema : assertionSchema).safeParse(json);
  return parsed.success ? (parsed.data as never) : undefined;
}

const userHandle = (userId: string) => new TextEncoder().encode(userId);
const expires = (deps: WebauthnDependencies) => new Date(deps.clock.now().getTime() + deps.settings.timeoutSeconds * 1000);
const transportsOf = (row: WebauthnCredentialRow) => row.transports.filter((t): t is AuthenticatorTransport => (TRANSPORTS as readonly string[]).includes(t));

/** Options for `navigator.credentials.create()`: a new key for this user (not one they already have). */
export async function beginRegistration(deps: WebauthnDependencies, ceremony: Ceremony): Promise<PublicKeyCredentialCreationOptionsJSON> {
  const existing = await deps.credentials.listForUser(ceremony.user.id);
  const options = await generateRegistrationOptions({
    rpName: deps.settings.rpName,
    rpID: deps.settings.rpId,
    userID: userHandle(ceremony.user.id),
    userName: `${ceremony.user.participant_id}/${ceremony.user.user_id}`,
    userDisplayName: ceremony.user.display_name,
    challenge: randomBytes(32),
    timeout: deps.settings.timeoutSeconds * 1000,
    attestationType: 'none',
    excludeCredentials: existing.map((row) => ({ id: row.credential_id, transports: transportsOf(row) })),
    // Discoverable where the authenticator can (a passkey); the login still asks for the password first.
    authenticatorSelection: { residentKey: 'preferred', userVerification: deps.settings.userVerification },
    // ES256, EdDSA, RS256: what security keys and platforms implement.
    supportedAlgorithmIDs: [-7, -8, -257],
  });
  await deps.challenges.issue({ challenge: options.challenge, userId: ceremony.user.id, purpose: 'registration', binding: ceremony.binding, expiresAt: expires(deps) });
  return options;
}

/**
 * Verifies a new credential and stores it under `name`. The challenge is consumed first, so a
 * response is judged once; a refusal stores nothing.
 */
export async function finishRegistration(
  deps: WebauthnDependencies,
  ceremony: Ceremony,
  response: RegistrationResponseJSON,
  details: { name: string; registeredWith: RegisteredWith },
): Promise<RegistrationVerdict> {
  let challengeFound = true;
  let verification;
  try {
    verification = await verifyRegistrationResponse({
      response,
      expectedChallenge: async (challenge) => (challengeFound = await deps.challenges.consume({ challenge, userId: ceremony.user.id, purpose: 'registration', binding: ceremony.binding, now: deps.clock.now() })),
      expectedOrigin: [...deps.settings.origins],
      expectedRPID: deps.settings.rpId,
      requireUserVerification: deps.settings.userVerification === 'required',
      supportedAlgorithmIDs: [-7, -8, -257],
    });
  } catch {
    return { kind: 'refused', reason: challengeFound ? 'invalid' : 'challenge_unknown' };
  }
  if (!verification.verified) return { kind: 'refused', reason: 'invalid' };
  // In the caller's transaction (both callers have one): the count and the insert are one step per user.
  await deps.credentials.lockOwner(ceremony.user.id);
  if ((await deps.credentials.countForUser(ceremony.user.id)) >= deps.settings.maxCredentialsPerUser) return { kind: 'refused', reason: 'too_many_keys' };
  const info = verification.registrationInfo;
  const stored = await deps.credentials.insert({
    user_id: ceremony.user.id,
    credential_id: info.credential.id,
    public_key: Buffer.from(info.credential.publicKey),
    sign_count: info.credential.counter,
    transports: (response.response.transports ?? []).filter((t) => (TRANSPORTS as readonly string[]).includes(t)),
    device_type: info.credentialDeviceType,
    backed_up: info.credentialBackedUp,
    aaguid: info.aaguid,
    name: details.name,
    registered_with: details.registeredWith,
  });
  if (!stored) return { kind: 'refused', reason: 'already_registered' };
  return { kind: 'registered', credential: stored, userVerified: info.userVerified };
}

/**
 * Options for `navigator.credentials.get()`: any of this user's keys, or only those bound to
 * their device (not synced passkeys) when only a hardware-protected login will do.
 */
export async function beginAuthentication(deps: WebauthnDependencies, ceremony: Ceremony, only: { deviceBound?: boolean } = {}): Promise<PublicKeyCredentialRequestOptionsJSON> {
  const existing = (await deps.credentials.listForUser(ceremony.user.id)).filter((row) => !only.deviceBound || row.device_type === 'singleDevice');
  const options = await generateAuthenticationOptions({
    rpID: deps.settings.rpId,
    challenge: randomBytes(32),
    timeout: deps.settings.timeoutSeconds * 1000,
    allowCredentials: existing.map((row) => ({ id: row.credential_id, transports: transportsOf(row) })),
    userVerification: deps.settings.userVerification,
  });
  await deps.challenges.issue({ challenge: options.challenge, userId: ceremony.user.id, purpose: 'authentication', binding: ceremony.binding, expiresAt: expires(deps) });
  return options;
}

/**
 * Verifies an assertion by one of the user's keys. Refused, with nothing changed but the
 * challenge used up: a credential of another user, a challenge of another interaction or an
 * expired one, a wrong origin or RP ID, a bad signature, a user handle that is not this
 * user's, a counter that did not move forward (a cloned key, or a replay).
 */
export async function verifyAssertion(deps: WebauthnDependencies, ceremony: Ceremony, response: AuthenticationResponseJSON): Promise<AssertionVerdict> {
  const credential = await deps.credentials.findByCredentialId(ceremony.user.id, response.id);
  // Consume the challenge even for an unknown credential: whatever was tried, it is not tried twice.
  let challengeFound = true;
  const consume = async (challenge: string) => (challengeFound = await deps.challenges.consume({ challenge, userId: ceremony.user.id, purpose: 'authentication', binding: ceremony.binding, now: deps.clock.now() }));
  if (!credential) {
    await consumeFromClientData(response, consume);
    return { kind: 'refused', reason: 'unknown_credential' };
  }
  if (response.response.userHandle !== undefined && response.response.userHandle !== isoBase64URL.fromBuffer(userHandle(ceremony.user.id))) {
    await consumeFromClientData(response, consume);
    return { kind: 'refused', reason: 'user_handle_mismatch', credential };
  }
  const counter = signCountOf(response);
  if (counter === undefined) return { kind: 'refused', reason: 'malformed', credential };
  if ((counter > 0 || credential.sign_count > 0) && counter <= credential.sign_count) {
    await consumeFromClientData(response, consume);
    return { kind: 'refused', reason: 'counter_regressed', credential };
  }
  let verification;
  try {
    verification = await verifyAuthenticationResponse({
      response,
      expectedChallenge: consume,
      expectedOrigin: [...deps.settings.origins],
      expectedRPID: deps.settings.rpId,
      credential: { id: credential.credential_id, publicKey: new Uint8Array(credential.public_key), counter: credential.sign_count, transports: transportsOf(credential) },
      requireUserVerification: deps.settings.userVerification === 'required',
    });
  } catch {
    return { kind: 'refused', reason: challengeFound ? 'invalid' : 'challenge_unknown', credential };
  }
  if (!verification.verified) return { kind: 'refused', reason: 'invalid', credential };
  const info = verification.authenticationInfo;
  // Backup eligibility is fixed for a credential's life (WebAuthn §6.1.3): a key registered as
  // synced that now says it is bound to its device (or the reverse) is not the key we know.
  if (info.credentialDeviceType !== credential.device_type) return { kind: 'refused', reason: 'backup_eligibility_changed', credential };
  // Of two nodes verifying the same assertion at once, one moves the counter; the other refuses.
  if (!(await deps.credentials.recordUse(credential.id, credential.sign_count, info.newCounter, info.credentialBackedUp, deps.clock.now()))) {
    return { kind: 'refused', reason: 'replayed', credential };
  }
  // Device-bound as registered. The authenticator says so itself: with attestation 'none' nothing
  // proves the model, so phrh is as good as the key's word (SECURITY.md says so).
  return { kind: 'accepted', credential, userVerified: info.userVerified, deviceBound: credential.device_type === 'singleDevice' };
}

/** The signature counter the authenticator reports, or undefined for data that does not parse. */
function signCountOf(response: AuthenticationResponseJSON): number | undefined {
  try {
    return parseAuthenticatorData(isoBase64URL.toBuffer(response.response.authenticatorData)).counter;
  } catch {
    return undefined;
  }
}

/** Uses up the challenge a response names (when its client data parses), without judging the rest. */
async function consumeFromClientData(response: AuthenticationResponseJSON, consume: (challenge: string) => Promise<boolean>): Promise<void> {
  try {
    const clientData = JSON.parse(isoBase64URL.toUTF8String(response.response.clientDataJSON)) as { challenge?: unknown };
    if (typeof clientData.challenge === 'string') await consume(clientData.challenge);
  } catch {
    // Not client data at all: there is no challenge to use up.
  }
}

/** A key's name as typed: without control or bidirectional-override characters, trimmed, at most 64 characters. */
export function cleanKeyName(typed: unknown): string {
  const text = typeof typed === 'string' ? typed : '';
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]/g, '').trim().slice(0, 64);
}

/** The settings in force: the RP ID is the issuer's host unless configured; origins are the issuer's (and the smartcard login's). */
export function webauthnSettings(config: { issuer: string; webauthn: Omit<WebauthnSettings, 'rpId' | 'origins'> & { rpId?: string | undefined; origins?: string[] | undefined } }, extraOrigins: readonly string[] = []): WebauthnSettings {
  const issuer = new URL(config.issuer);
  const origins = config.webauthn.origins?.map((origin) => new URL(origin).origin) ?? [...new Set([issuer.origin, ...extraOrigins])];
  return { ...config.webauthn, rpId: config.webauthn.rpId ?? issuer.hostname, origins };
}
