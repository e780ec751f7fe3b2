/**
 * Authentication Context Class References (`acr`) and Authentication Method References
 * (`amr`, RFC 8176) that this provider puts in ID tokens. A relying party reads `acr` to
 * learn which level was met and `amr` to learn how.
 */
import type { LoginMethod } from '../policy/access.js';

export const ACR = {
  /** Password and a one-time password (TOTP or email): the only way a password login completes. */
  twoFactor: 'urn:hkscc:ccass:acr:2fa',
  /** An X.509 smartcard certificate over mutual TLS: accepted until smartcards are switched off. */
  smartcard: 'urn:hkscc:ccass:acr:smartcard',
} as const;

export const ACR_VALUES_SUPPORTED: readonly string[] = Object.values(ACR);

const METHOD_BY_ACR: Record<string, LoginMethod> = { [ACR.twoFactor]: 'two-factor', [ACR.smartcard]: 'smartcard' };

/** The acr a login by `method` gets. */
export function acrFor(method: LoginMethod): string {
  return method === 'smartcard' ? ACR.smartcard : ACR.twoFactor;
}

/**
 * The login methods whose level a request accepts: those its `acr_values` name (all when it
 * names none), and only password + OTP for a client configured to require it.
 */
export function acceptedMethods(requestedAcrValues: readonly string[], clientRequiresTwoFactor: boolean): LoginMethod[] {
  const named = requestedAcrValues.flatMap((value) => (METHOD_BY_ACR[value] ? [METHOD_BY_ACR[value]] : []));
  const methods: LoginMethod[] = named.length ? [...new Set(named)] : ['smartcard', 'two-factor'];
  return clientRequiresTwoFactor ? methods.filter((method) => method === 'two-factor') : methods;
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
} as const;

/** RFC 8176: "sc" smart card, "hwk" proof of possession of a hardware-secured key. */
export const SMARTCARD_AMR: readonly string[] = [AMR.smartcard, AMR.hardwareKey];

/** The factors a login proved, as recorded between steps. */
export type ProvenFactor = 'pwd' | 'totp' | 'email';

export function amrFor(factors: readonly ProvenFactor[]): string[] {
  const amr: string[] = [AMR.password];
  const otps = factors.filter((factor) => factor === 'totp' || factor === 'email');
  if (otps.length) amr.push(AMR.oneTimePassword, AMR.multipleFactors);
  if (otps.includes('totp')) amr.push(AMR.totp);
  if (otps.includes('email')) amr.push(AMR.email);
  return amr;
}
