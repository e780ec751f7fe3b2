/**
 * Authentication Context Class References (`acr`) and Authentication Method References
 * (`amr`, RFC 8176) that this provider puts in ID tokens. A relying party reads `acr` to
 * learn which level was met and `amr` to learn how.
 */
import { SECOND_FACTOR_METHODS, SECOND_FACTORS, type SecondFactorMethod } from '../factors/second-factors.js';
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

/** The factors a login proved, as recorded between steps: the password and second factors. */
export type ProvenFactor = 'pwd' | SecondFactorMethod;

/** pwd, the kinds of second factor ("otp"), "mfa" when there was one, then each method, in the registry's order. */
export function amrFor(factors: readonly ProvenFactor[]): string[] {
  const second = SECOND_FACTOR_METHODS.filter((method) => factors.includes(method)).map((method) => SECOND_FACTORS[method].amr);
  if (!second.length) return [AMR.password];
  return [AMR.password, ...new Set(second.map((amr) => amr.kind)), AMR.multipleFactors, ...second.map((amr) => amr.method)];
}
