/**
 * A DA's CSV of designated emails, checked without touching the database. The file is
 * refused whole (see readCsvTable) or split into valid rows and rejected rows, each with its
 * line number and its problems as codes (directory/csv-problems.ts). A row naming another
 * participant is rejected without looking that participant up; a user listed twice is
 * ambiguous, so all of that user's rows are rejected.
 *
 * Columns: user_id, email; optional participant_id (must be the DA's own).
 */
import { readCsvTable, repeatedValues, type CsvFileProblem, type CsvLimits } from '../directory/csv-table.js';
import type { RowProblem } from '../directory/csv-problems.js';
import { emailProblem, isPlainText, normaliseEmail, normaliseParticipantId, normaliseUserId } from '../kernel/identifiers.js';

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
  problems: RowProblem[];
}

export type CsvParseResult =
  | { ok: true; rows: RegistrationRow[]; rejected: RejectedRow[] }
  | { ok: false; status: 413 | 415 | 422; problem: CsvFileProblem };

export function parseEmailRegistrations(bytes: Uint8Array, participantId: string, limits: CsvLimits): CsvParseResult {
  const table = readCsvTable(bytes, EMAIL_CSV_COLUMNS, limits);
  if (!table.ok) return table;

  const checked = table.records.map((record) => {
    const problems: RowProblem[] = [];
    // Text first: a cell with a NUL or a control character is no value anybody typed, and is never looked at further.
    const unreadable = Object.entries(record.cells).filter(([, value]) => !isPlainText(value)).map(([column]) => column);
    if (unreadable.length) {
      return { line: record.line, userId: null, email: null, problems: unreadable.map((column): RowProblem => ({ code: 'bad_text', column })) };
    }
    const rawUserId = record.cells['user_id'] ?? '';
    const userId = normaliseUserId(rawUserId) ?? null;
    if (!userId) problems.push({ code: 'invalid_user_id', value: rawUserId });
    const rawEmail = record.cells['email'] ?? '';
    const email = normaliseEmail(rawEmail) ?? null;
    if (emailProblem(rawEmail) === 'formula') problems.push({ code: 'formula_email', value: rawEmail });
    else if (!email) problems.push({ code: 'invalid_email', value: rawEmail });
    const givenParticipant = record.cells['participant_id'];
    if (givenParticipant) {
      const rowParticipant = normaliseParticipantId(givenParticipant);
      if (!rowParticipant) problems.push({ code: 'invalid_participant_id', value: givenParticipant });
      else if (rowParticipant !== participantId) problems.push({ code: 'other_participant', participant: rowParticipant, own: participantId });
    }
    return { line: record.line, userId, email, problems };
  });

  for (const [userId, lines] of repeatedValues(checked.map((row) => ({ line: row.line, key: row.userId })))) {
    for (const row of checked) {
      if (row.userId === userId) row.problems.push({ code: 'duplicate_user', user: userId, lines });
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
