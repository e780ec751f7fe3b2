/**
 * An operator's bulk import of users (`ccass-auth user import <csv>`): the user lists HKSCC
 * holds for each participant. Columns: participant_id, user_id, display_name; optional
 * email. New users are added; a user who exists is left as they are, except that an email
 * in the file is registered (which sends an activation link to a user who has not activated).
 * Rows with problems change nothing; re-running the same file changes nothing more.
 */
import type { Actor } from './actor.js';
import { readCsvTable, repeatedValues, type CsvLimits } from './csv-table.js';
import { normaliseEmail, normaliseParticipantId, normaliseUserId, PARTICIPANT_ID_RULE, USER_ID_RULE } from './identifiers.js';
import { addUser } from './users.js';
import { registerDesignatedEmail, type ActivationDependencies } from '../enrolment/activation-links.js';
import { isDomainError } from '../errors.js';
import type { Queries } from '../store/index.js';

export const USER_CSV_COLUMNS = { required: ['participant_id', 'user_id', 'display_name'], optional: ['email'] } as const;

export type ImportOutcome = 'added' | 'updated' | 'unchanged' | 'rejected';

export interface ImportRow {
  line: number;
  participantId: string | null;
  userId: string | null;
  outcome: ImportOutcome;
  problems: string[];
}

export type ImportReport =
  | { accepted: true; summary: Record<ImportOutcome, number>; rows: ImportRow[] }
  | { accepted: false; status: number; problem: string };

export async function importUsers(
  deps: ActivationDependencies & { queries: Queries },
  bytes: Uint8Array,
  actor: Actor,
  limits: CsvLimits,
): Promise<ImportReport> {
  const table = readCsvTable(bytes, USER_CSV_COLUMNS, limits);
  if (!table.ok) return { accepted: false, status: table.status, problem: table.problem };

  const checked = table.records.map((record) => {
    const problems: string[] = [];
    const participantId = normaliseParticipantId(record.cells['participant_id'] ?? '') ?? null;
    if (!participantId) problems.push(`participant ID is not valid: ${PARTICIPANT_ID_RULE}`);
    const userId = normaliseUserId(record.cells['user_id'] ?? '') ?? null;
    if (!userId) problems.push(`user ID is not valid: ${USER_ID_RULE}`);
    const displayName = (record.cells['display_name'] ?? '').trim();
    if (displayName.length < 1 || displayName.length > 200) problems.push('display name must be 1-200 characters');
    const rawEmail = record.cells['email'] ?? '';
    const email = rawEmail ? (normaliseEmail(rawEmail) ?? null) : undefined;
    if (email === null) problems.push(`email "${rawEmail}" is not an address like name@example.com`);
    return { line: record.line, participantId, userId, displayName, email, problems };
  });
  const key = (row: { participantId: string | null; userId: string | null }) => (row.participantId && row.userId ? `${row.participantId}/${row.userId}` : null);
  for (const [user, lines] of repeatedValues(checked.map((row) => ({ line: row.line, key: key(row) })))) {
    for (const row of checked) if (key(row) === user) row.problems.push(`user ${user} appears on lines ${lines.join(', ')}: list each user once`);
  }

  const rows: ImportRow[] = [];
  for (const row of checked) {
    const report: ImportRow = { line: row.line, participantId: row.participantId, userId: row.userId, outcome: 'rejected', problems: row.problems };
    rows.push(report);
    if (row.problems.length || !row.participantId || !row.userId) continue;
    if (!(await deps.queries.participants.findById(row.participantId))) {
      report.problems.push(`participant ${row.participantId} does not exist: add it first (participant add)`);
      continue;
    }
    try {
      let user = await deps.queries.users.findByLogin(row.participantId, row.userId);
      if (!user) {
        await addUser(deps.queries, { participantId: row.participantId, userId: row.userId, displayName: row.displayName }, actor.name);
        user = await deps.queries.users.findByLogin(row.participantId, row.userId);
        report.outcome = 'added';
      } else {
        report.outcome = 'unchanged';
      }
      if (user && row.email) {
        const registration = await registerDesignatedEmail(deps, user, row.email, actor);
        if (registration.outcome !== 'unchanged' && report.outcome === 'unchanged') report.outcome = 'updated';
        if (registration.activation !== 'not_needed' && !registration.activation.sent) report.problems.push('activation email could not be sent');
      }
    } catch (error) {
      if (!isDomainError(error)) throw error;
      report.problems.push(error.message);
    }
  }
  const summary: Record<ImportOutcome, number> = { added: 0, updated: 0, unchanged: 0, rejected: 0 };
  for (const row of rows) summary[row.outcome] += 1;
  return { accepted: true, summary, rows };
}
