/**
 * TOTP (RFC 6238) as pure functions over plain data: secrets, codes, time steps and the
 * otpauth:// URI that authenticator apps read from a QR code. Replay protection (a step
 * is accepted once) needs shared state and lives in totp-service.ts.
 */
import { randomBytes } from 'node:crypto';
import { generate, verify } from 'otplib';

export type TotpAlgorithm = 'sha1' | 'sha256' | 'sha512';

export interface TotpParameters {
  algorithm: TotpAlgorithm;
  digits: 6 | 8;
  period: number;
  /** Accepted drift in whole steps either side of now. */
  window: number;
}

/** 160 random bits, the length RFC 4226 §4 recommends and every authenticator app accepts. */
export function generateTotpSecret(): Buffer {
  return randomBytes(20);
}

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** RFC 4648 base32 without padding: how authenticator apps expect the key typed or scanned. */
export function toBase32(bytes: Uint8Array): string {
  let bits = 0;
  let value = 0;
  let output = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      output += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) output += BASE32[(value << (5 - bits)) & 31];
  return output;
}

/** The key as people type it: groups of four. */
export function formatKeyForManualEntry(base32: string): string {
  return base32.replace(/(.{4})/g, '$1 ').trim();
}

export function totpStep(epochSeconds: number, period: number): number {
  return Math.floor(epochSeconds / period);
}

export async function totpCode(secret: Uint8Array, epochSeconds: number, parameters: Pick<TotpParameters, 'algorithm' | 'digits' | 'period'>): Promise<string> {
  return generate({ secret, epoch: epochSeconds, algorithm: parameters.algorithm, digits: parameters.digits, period: parameters.period });
}

/**
 * The time step `code` belongs to, if it is valid within ±window steps of `epochSeconds`
 * and later than `afterStep` (the last step already accepted); otherwise undefined.
 */
export async function matchTotpCode(
  secret: Uint8Array,
  code: string,
  epochSeconds: number,
  parameters: TotpParameters,
  afterStep?: number,
): Promise<number | undefined> {
  if (!new RegExp(`^\\d{${parameters.digits}}$`).test(code)) return undefined;
  const result = await verify({
    secret,
    token: code,
    epoch: epochSeconds,
    epochTolerance: parameters.window * parameters.period,
    algorithm: parameters.algorithm,
    digits: parameters.digits,
    period: parameters.period,
    ...(afterStep !== undefined ? { afterTimeStep: afterStep } : {}),
  });
  // The functional verify is typed for HOTP and TOTP alike; for TOTP the result carries the step.
  return result.valid ? (result as { timeStep?: number }).timeStep : undefined;
}

/**
 * otpauth:// URI for authenticator apps (Google Authenticator "Key URI Format"): the label
 * names issuer, participant and user so that one phone can hold several CCASS accounts.
 */
export function totpUri(options: { issuer: string; participantId: string; userId: string; secret: Uint8Array; parameters: TotpParameters }): string {
  const label = encodeURIComponent(`${options.issuer}:${options.participantId} ${options.userId}`);
  const query = new URLSearchParams({
    secret: toBase32(options.secret),
    issuer: options.issuer,
    algorithm: options.parameters.algorithm.toUpperCase(),
    digits: String(options.parameters.digits),
    period: String(options.parameters.period),
  });
  return `otpauth://totp/${label}?${query.toString()}`;
}

