/**
 * Authentication Context Class References (`acr`) and Authentication Method References
 * (`amr`, RFC 8176) that this provider puts in ID tokens. A relying party reads `acr` to
 * learn which level was met and `amr` to learn how.
 */
import { SECOND_FACTOR_METHODS, SECOND_FACTORS, type SecondFactorMethod } from '../factors/second-factors.js';
import type { LoginMethod } from '../policy/access.js';

export const ACR = {
  /** Password and a one-time password (TOTP or email): the level CCASS Terminal and DMS ask for. */
  twoFactor: 'urn:hkscc:ccass:acr:2fa',
  /** An X.509 smartcard certificate over mutual TLS: accepted until smartcards are switched off. */
  smartcard: 'urn:hkscc:ccass:acr:smartcard',
  /** OpenID EAP ACR Values 1.0: phishing-resistant (a security key or passkey, or the smartcard). */
  phishingResistant: 'phr',
  /** OpenID EAP ACR Values 1.0: phishing-resistant with a hardware-protected key (a device-bound key, or the smartcard). */
  phishingResistantHardware: 'phrh',
} as const;

export const ACR_VALUES_SUPPORTED: readonly string[] = Object.values(ACR);

/** How a login was made, as far as the level it meets is concerned. */
export type Assurance = 'two-factor' | 'security-key' | 'device-bound-key' | 'smartcard';

/**
 * The levels each way of logging in meets: a security key is a second factor too, so it meets
 * the 2FA level; a synced passkey is phishing-resistant; a key that never leaves its device
 * (and the smartcard) is phishing-resistant and hardware-protected. A smartcard login never
 * meets the 2FA level: a client that asks for 2FA never gets a smartcard login.
 */
const MEETS: Record<Assurance, readonly string[]> = {
  'two-factor': [ACR.twoFactor],
  'security-key': [ACR.twoFactor, ACR.phishingResistant],
  'device-bound-key': [ACR.twoFactor, ACR.phishingResistant, ACR.phishingResistantHardware],
  smartcard: [ACR.smartcard, ACR.phishingResistant, ACR.phishingResistantHardware],
};

/** The acr each way names when the request asked for none. */
const NATURAL_ACR: Record<Assurance, string> = {
  'two-factor': ACR.twoFactor,
  'security-key': ACR.phishingResistant,
  'device-bound-key': ACR.phishingResistantHardware,
  smartcard: ACR.smartcard,
};

/**
 * What an acr found on a session meets (nothing, for a value this provider never issues).
 * Only key logins are ever named phr or phrh (a smartcard login always names the smartcard's
 * acr), so phr and phrh read back as key logins, which meet the 2FA level too.
 */
export function levelsMetBy(acr: string | undefined): readonly string[] {
  const assurance = (Object.keys(NATURAL_ACR) as Assurance[]).find((candidate) => NATURAL_ACR[candidate] === acr);
  return assurance ? MEETS[assurance] : acr === ACR.twoFactor ? MEETS['two-factor'] : [];
}

/** Whether a session (or ID token) with `acr` meets `wanted`: a relying party checks this, not equality. */
export function acrMeets(acr: string | undefined, wanted: string): boolean {
  return levelsMetBy(acr).includes(wanted);
}

/**
 * The acr of a login: the first of the requested values it meets (acr_values are in order of
 * preference, OIDC Core 3.1.2.1), else the level it naturally names.
 */
export function acrOf(assurance: Exclude<Assurance, 'smartcard'>, requested: readonly string[]): string {
  return requested.find((value) => MEETS[assurance].includes(value)) ?? NATURAL_ACR[assurance];
}

/** What a request accepts: the acr values it names (all when none), less what its client excludes. */
export interface AcceptedLevels {
  /** Acr values a login may meet to satisfy the request (any one of them). */
  acrs: readonly string[];
}

/**
 * The acr values a request accepts: those its `acr_values` name that this provider knows (all
 * when it names none), without the smartcard for a client that requires two factors and only
 * the phishing-resistant ones for a client that requires those.
 */
export function acceptedLevels(requested: readonly string[], client: { requiresTwoFactor: boolean; requiresPhishingResistant: boolean }): string[] {
  const known = requested.filter((value) => ACR_VALUES_SUPPORTED.includes(value));
  let acrs = known.length ? [...new Set(known)] : [...ACR_VALUES_SUPPORTED];
  if (client.requiresTwoFactor) acrs = acrs.filter((value) => value !== ACR.smartcard);
  if (client.requiresPhishingResistant) acrs = acrs.filter((value) => value === ACR.phishingResistant || value === ACR.phishingResistantHardware);
  return acrs;
}

/** Whether only a hardware-protected login will do (phrh, or the smartcard): a synced passkey will not. */
export function onlyHardwareProtected(acrs: readonly string[]): boolean {
  return !acrs.includes(ACR.twoFactor) && !acrs.includes(ACR.phishingResistant);
}

/** Whether a login made this way satisfies a request that accepts `acrs`. */
export function satisfies(assurance: Assurance, acrs: readonly string[]): boolean {
  return acrs.some((value) => MEETS[assurance].includes(value));
}

/** The login methods (for the phase rules) whose level some accepted acr allows. */
export function acceptedMethods(acrs: readonly string[]): LoginMethod[] {
  const methods: LoginMethod[] = [];
  if (satisfies('smartcard', acrs)) methods.push('smartcard');
  if (satisfies('device-bound-key', acrs)) methods.push('two-factor');
  return methods;
}

/** The acr a login by `method` gets when nothing was asked for. */
export function acrFor(method: LoginMethod): string {
  return method === 'smartcard' ? ACR.smartcard : ACR.twoFactor;
}

/**
 * RFC 8176 §2 values: "pwd" password, "otp" one-time password, "mfa" more than one factor.
 * RFC 8176 has no value that says where an OTP came from, so one more value tells the two
 * methods apart (RFC 8176 allows values agreed between the parties): "totp" for an
 * authenticator app, "email" for a code sent to the designated email address.
 */
export const AMR = {
  password: 'pwd',
  oneTimePassword: 'otp',
  multipleFactors: 'mfa',
  totp: 'totp',
  email: 'email',
  smartcard: 'sc',
  hardwareKey: 'hwk',
  softwareKey: 'swk',
  userPresence: 'user',
  pin: 'pin',
} as const;

/** RFC 8176: "sc" smart card, "hwk" proof of possession of a hardware-secured key. */
export const SMARTCARD_AMR: readonly string[] = [AMR.smartcard, AMR.hardwareKey];

/**
 * The factors a login proved, as recorded between steps: the password, second factors, and
 * what a security key's assertion said about itself — that the user was verified on the key
 * (PIN or biometric), and that the key is bound to its device (not a synced passkey).
 */
export type ProvenFactor = 'pwd' | 'sc' | SecondFactorMethod | 'recovery' | 'user-verified' | 'device-bound';

/** What a set of proven factors amounts to (a password login: the smartcard is its own step). */
export function assuranceOf(factors: readonly ProvenFactor[]): Exclude<Assurance, 'smartcard'> {
  if (!factors.includes('webauthn')) return 'two-factor';
  return factors.includes('device-bound') ? 'device-bound-key' : 'security-key';
}

/**
 * pwd, the kinds of second factor ("otp", "hwk"), "mfa" when there was one, then each OTP
 * method, in the registry's order. A key that verified its user adds "user" and "pin" (RFC
 * 8176: a presence test and a PIN or pattern; the authenticator does not say whether it was a
 * PIN or a biometric, so "pin" is the claim both support). A recovery code is a one-time password.
 */
export function amrFor(factors: readonly ProvenFactor[]): string[] {
  const second = SECOND_FACTOR_METHODS.filter((method) => factors.includes(method)).map((method) => SECOND_FACTORS[method].amr);
  const recovery = factors.includes('recovery') ? [{ kind: AMR.oneTimePassword, method: undefined }] : [];
  const all = [...second, ...recovery];
  if (!all.length) return [AMR.password];
  const verified = factors.includes('webauthn') && factors.includes('user-verified') ? [AMR.userPresence, AMR.pin] : [];
  // RFC 8176: "hwk" is a hardware-secured key; a passkey synced between devices is a software-secured one ("swk").
  const kind = (amr: { kind: string }) => (amr.kind === AMR.hardwareKey && !factors.includes('device-bound') ? AMR.softwareKey : amr.kind);
  return [AMR.password, ...new Set(all.map(kind)), ...verified, AMR.multipleFactors, ...all.flatMap((amr) => (amr.method ? [amr.method] : []))];
}
