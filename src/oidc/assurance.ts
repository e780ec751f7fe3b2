/**
 * Authentication Context Class References (`acr`) and Authentication Method References
 * (`amr`, RFC 8176) that this provider puts in ID tokens. A relying party reads `acr` to
 * learn which level was met and `amr` to learn how.
 */
export const ACR = {
  /** Password and a one-time password (TOTP or email): the only way a password login completes. */
  twoFactor: 'urn:hkscc:ccass:acr:2fa',
} as const;

export const ACR_VALUES_SUPPORTED: readonly string[] = Object.values(ACR);

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
} as const;

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
