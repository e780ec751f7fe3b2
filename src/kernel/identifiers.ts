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

/**
 * The rules in English, for callers that still name them in a field (policy/phase-control.ts).
 * People read them from the catalogue: `directory.participantIdRule`, `directory.userIdRule`.
 * @deprecated name the field with a code (`invalid_participant_id`) and show the catalogue's words.
 */
export const PARTICIPANT_ID_RULE = '2-10 letters or digits, e.g. B01234';
/** @deprecated as PARTICIPANT_ID_RULE. */
export const USER_ID_RULE = '1-32 letters, digits, ".", "_" or "-", starting with a letter or digit';

// RFC 5322 §3.2.3 dot-atom, ASCII only: the relay is not assumed to speak SMTPUTF8. Whether
// the address receives mail is proven by the activation email, not by a regular expression.
const LOCAL_PART = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
const DOMAIN_LABEL = /^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$/;
const TOP_LEVEL = /^(?:[A-Za-z]{2,63}|xn--[A-Za-z0-9-]{1,59})$/;
/**
 * A spreadsheet reads a cell starting with one of these as a formula (OWASP "CSV injection"):
 * an address like "=HYPERLINK(…)@x.com" is no address a DA meant, and it would be exported
 * again in reports that DAs open in spreadsheets.
 */
const FORMULA_START = /^[=+\-@]/;

export type EmailProblem = 'not_an_address' | 'formula';

/** Why `input` is not a designated email address, or undefined when it is one. */
export function emailProblem(input: string): EmailProblem | undefined {
  const value = input.trim();
  if (FORMULA_START.test(value)) return 'formula';
  const at = value.lastIndexOf('@');
  if (at < 1 || value.length > 254) return 'not_an_address';
  const local = value.slice(0, at);
  const labels = value.slice(at + 1).split('.');
  if (local.length > 64 || !LOCAL_PART.test(local)) return 'not_an_address';
  if (labels.length < 2 || value.length - at - 1 > 253 || !labels.every((label) => DOMAIN_LABEL.test(label))) return 'not_an_address';
  if (!TOP_LEVEL.test(labels.at(-1) as string)) return 'not_an_address';
  return undefined;
}

export function normaliseEmail(input: string): string | undefined {
  return emailProblem(input) ? undefined : input.trim().toLowerCase();
}

/**
 * Text a person typed into one field (a CSV cell, a name): no NUL, no control characters
 * (they are nobody's name or address, and PostgreSQL cannot store a NUL), no lone surrogates.
 */
export function isPlainText(value: string): boolean {
  if (!value.isWellFormed()) return false;
  for (const character of value) {
    const code = character.codePointAt(0) as number;
    if (code < 0x20 || (code >= 0x7f && code <= 0x9f) || code === 0x2028 || code === 0x2029) return false;
  }
  return true;
}
