/**
 * A DA's CSV of designated emails, checked without touching the database. The file is
 * refused whole (see readCsvTable) or split into valid rows and rejected rows, each with its
 * line number. A row naming another participant is rejected without looking that
 * participant up; a user listed twice is ambiguous, so all of that user's rows are rejected.
 *
 * Columns: user_id, email; optional participant_id (must be the DA's own).
 */
import { readCsvTable, repeatedValues, type CsvLimits } from '../directory/csv-table.js';
import { emailProblem, isPlainText, normaliseEmail, normaliseParticipantId, normaliseUserId, PARTICIPANT_ID_RULE, USER_ID_RULE } from '../directory/identifiers.js';
import { msg, type Translatable } from '../i18n/translate.js';

export type { CsvLimits } from '../directory/csv-table.js';

export const EMAIL_CSV_COLUMNS = { required: ['user_id', 'email'], optional: ['participant_id'] } as const;

export interface RegistrationRow {
  line: number;
  userId: string;
  email: string;
}

export interface RejectedRow {
  line: number;
  userId: string | null;
  problems: Translatable[];
}

export type CsvParseResult =
  | { ok: true; rows: RegistrationRow[]; rejected: RejectedRow[] }
  | { ok: false; status: 413 | 415 | 422; problem: string };

export function parseEmailRegistrations(bytes: Uint8Array, participantId: string, limits: CsvLimits): CsvParseResult {
  const table = readCsvTable(bytes, EMAIL_CSV_COLUMNS, limits);
  if (!table.ok) return table;

  const checked = table.records.map((record) => {
    const problems: Translatable[] = [];
    // Text first: a cell with a NUL or a control character is no value anybody typed, and is never looked at further.
    const unreadable = Object.entries(record.cells).filter(([, value]) => !isPlainText(value)).map(([column]) => column);
    if (unreadable.length) {
      return { line: record.line, userId: null, email: null, problems: unreadable.map((column) => msg('dms.row.badText', { column })) };
    }
    const userId = normaliseUserId(record.cells['user_id'] ?? '') ?? null;
    if (!userId) problems.push(`user ID "${record.cells['user_id'] ?? ''}" is not valid: ${USER_ID_RULE}`);
    const email = normaliseEmail(record.cells['email'] ?? '') ?? null;
    if (emailProblem(record.cells['email'] ?? '') === 'formula') problems.push(msg('dms.row.formulaEmail', { email: record.cells['email'] ?? '' }));
    else if (!email) problems.push(`email "${record.cells['email'] ?? ''}" is not an address like name@example.com`);
    const givenParticipant = record.cells['participant_id'];
    if (givenParticipant) {
      const rowParticipant = normaliseParticipantId(givenParticipant);
      if (!rowParticipant) problems.push(`participant ID "${givenParticipant}" is not valid: ${PARTICIPANT_ID_RULE}`);
      else if (rowParticipant !== participantId) problems.push(`participant ${rowParticipant} is not your firm: you can only register users of ${participantId}`);
    }
    return { line: record.line, userId, email, problems };
  });

  for (const [userId, lines] of repeatedValues(checked.map((row) => ({ line: row.line, key: row.userId })))) {
    for (const row of checked) {
      if (row.userId === userId) row.problems.push(`user ${userId} appears on lines ${lines.join(', ')}: list each user once`);
    }
  }

  const rows: RegistrationRow[] = [];
  const rejected: RejectedRow[] = [];
  for (const row of checked) {
    if (row.problems.length || !row.userId || !row.email) rejected.push({ line: row.line, userId: row.userId, problems: row.problems });
    else rows.push({ line: row.line, userId: row.userId, email: row.email });
  }
  return { ok: true, rows, rejected };
}
