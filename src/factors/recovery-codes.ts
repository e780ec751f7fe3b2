/**
 * Recovery codes: a way back in for a user who lost their phone or key. Ten codes of 80 random
 * bits each (16 characters of an alphabet without look-alikes), shown once, stored as keyed
 * hashes, each accepted once, in place of the second factor. A new set replaces the old one.
 */
import { randomBytes } from 'node:crypto';
import type { Clock } from '../kernel/clock.js';
import type { SecretBox } from '../secrets/secret-box.js';
import type { RecoveryCodeQueries } from '../store/recovery-codes.js';

export const RECOVERY_CODE_COUNT = 10;
/** Crockford's base32: no I, L, O or U, so a code read off paper is typed right. */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const LENGTH = 16; // 16 × 5 bits = 80 bits
const PURPOSE = 'recovery-code';

export interface RecoveryCodeDependencies {
  codes: RecoveryCodeQueries;
  box: SecretBox;
  clock: Clock;
}

export type RecoveryVerdict = 'accepted' | 'rejected' | 'not_enrolled';

function newCode(): string {
  const bytes = randomBytes(LENGTH);
  let code = '';
  // 256 is a multiple of 32: every character is uniform.
  for (const byte of bytes) code += ALPHABET[byte % 32];
  return code;
}

/** Shown to the user: four groups of four. */
export function formatRecoveryCode(code: string): string {
  return code.match(/.{1,4}/g)?.join('-') ?? code;
}

/** What the user typed, as stored: upper case, without spaces or dashes, look-alikes read as Crockford says. */
export function normaliseRecoveryCode(typed: string): string {
  return typed.toUpperCase().replace(/[\s-]/g, '').replace(/[IL]/g, '1').replace(/O/g, '0');
}

/** Makes a new set for the user (the old one stops working) and returns the codes, to be shown once. */
export async function issueRecoveryCodes(deps: RecoveryCodeDependencies, userId: string): Promise<string[]> {
  const codes = Array.from({ length: RECOVERY_CODE_COUNT }, newCode);
  await deps.codes.replaceSet(userId, codes.map((code) => deps.box.keyedHash(PURPOSE, `${userId}:${code}`)), deps.clock.now());
  return codes.map(formatRecoveryCode);
}

/** Accepts one of the user's unused codes, once (of two concurrent uses of one code, one wins). */
export async function useRecoveryCode(deps: RecoveryCodeDependencies, userId: string, typed: string): Promise<RecoveryVerdict> {
  const code = normaliseRecoveryCode(typed);
  const unused = await deps.codes.unusedHashes(userId);
  if (unused.length === 0) return 'not_enrolled';
  if (code.length !== LENGTH || ![...code].every((character) => ALPHABET.includes(character))) return 'rejected';
  const match = unused.find((stored) => deps.box.matchesKeyedHash(PURPOSE, `${userId}:${code}`, stored));
  if (!match) return 'rejected';
  return (await deps.codes.consume(userId, match, deps.clock.now())) ? 'accepted' : 'rejected';
}
