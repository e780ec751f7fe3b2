/**
 * The common-password blocklist.
 *
 * NIST SP 800-63B §5.1.1.2 requires checking a new password against "a list that contains
 * values known to be commonly-used, expected, or compromised" and refusing it if listed.
 * The list ships with the service as data/common-passwords.txt (its header says where it
 * comes from and under which licence); it is read once, on first use, into a Set.
 */
import { readFileSync } from 'node:fs';

const LIST_FILE = new URL('./data/common-passwords.txt', import.meta.url);

let blocklist: Set<string> | undefined;

/** The form in which passwords are listed and compared: NFKC, outer whitespace trimmed, lowercase. */
export function comparisonForm(password: string): string {
  return password.normalize('NFKC').trim().toLowerCase();
}

function loadBlocklist(): Set<string> {
  const entries = readFileSync(LIST_FILE, 'utf8')
    .split('\n')
    .map(comparisonForm)
    .filter((line) => line !== '' && !line.startsWith('#'));
  return new Set(entries);
}

/** True when `password` is on the shipped list of common or breached passwords, whatever its case. */
export function isCommonPassword(password: string): boolean {
  blocklist ??= loadBlocklist();
  return blocklist.has(comparisonForm(password));
}
