/**
 * Authentication Context Class References (`acr`) and Authentication Method References
 * (`amr`, RFC 8176) that this provider puts in ID tokens. A relying party reads `acr` to
 * learn which level was met and `amr` to learn how.
 */
export const ACR = {
  /** Password only. Issued during the foundation stage; 2FA and smartcard levels follow. */
  password: 'urn:hkscc:ccass:acr:password',
} as const;

export const ACR_VALUES_SUPPORTED: readonly string[] = Object.values(ACR);

/** RFC 8176 §2: "pwd" = password-based authentication. */
export const AMR = {
  password: 'pwd',
} as const;
