/**
 * Participant and user identifiers as people type them. Both are case-insensitive in
 * CCASS, so they are trimmed and upper-cased before use; anything else is refused rather
 * than guessed at.
 */
const PARTICIPANT_ID = /^[A-Z0-9]{2,10}$/;
const USER_ID = /^[A-Z0-9][A-Z0-9._-]{0,31}$/;

export function normaliseParticipantId(input: string): string | undefined {
  const value = input.trim().toUpperCase();
  return PARTICIPANT_ID.test(value) ? value : undefined;
}

export function normaliseUserId(input: string): string | undefined {
  const value = input.trim().toUpperCase();
  return USER_ID.test(value) ? value : undefined;
}

export const PARTICIPANT_ID_RULE = '2-10 letters or digits, e.g. B01234';
export const USER_ID_RULE = '1-32 letters, digits, ".", "_" or "-", starting with a letter or digit';

// A deliberately simple check (something@domain.tld, no spaces): deliverability is proven
// by the activation email, not by a regular expression.
const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,253}\.[^\s@.]{2,63}$/;

export function normaliseEmail(input: string): string | undefined {
  const value = input.trim();
  return EMAIL.test(value) && value.length <= 254 ? value.toLowerCase() : undefined;
}
