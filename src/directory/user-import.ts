/**
 * An operator's bulk import of users (`ccass-auth user import <csv>`): the user lists HKSCC
 * holds for each participant. Columns: participant_id, user_id, display_name; optional
 * email. New users are added; a user who exists is left as they are, except that an email
 * in the file is registered (which queues an activation link for a user who has not
 * activated). Every cell is checked first; rows with problems change nothing. The other rows
 * are applied in one transaction with all they cause (links, their mails, audit records):
 * the file is applied whole or not at all, so a killed import leaves nothing half done, and
 * re-running the same file brings every row to the state it asks for.
 */
import type { Actor } from './actor.js';
import { readCsvTable, repeatedValues, type CsvLimits } from './csv-table.js';
import { emailProblem, isPlainText, normaliseEmail, normaliseParticipantId, normaliseUserId, PARTICIPANT_ID_RULE, USER_ID_RULE } from './identifiers.js';
import { addUser, displayNameProblem } from './users.js';
import { applyDesignatedEmail, type ActivationDependencies } from '../enrolment/activation-links.js';
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
  /** An activation link was queued for the user. */
  activationQueued?: boolean;
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
    const unreadable = Object.entries(record.cells).filter(([, value]) => !isPlainText(value)).map(([column]) => column);
    if (unreadable.length) {
      const problems = unreadable.map((column) => `the ${column} cell holds a NUL or another control character`);
      return { line: record.line, participantId: null, userId: null, displayName: '', email: undefined, problems };
    }
    const problems: string[] = [];
    const participantId = normaliseParticipantId(record.cells['participant_id'] ?? '') ?? null;
    if (!participantId) problems.push(`participant ID is not valid: ${PARTICIPANT_ID_RULE}`);
    const userId = normaliseUserId(record.cells['user_id'] ?? '') ?? null;
    if (!userId) problems.push(`user ID is not valid: ${USER_ID_RULE}`);
    const displayName = (record.cells['display_name'] ?? '').trim();
    const nameProblem = displayNameProblem(displayName);
    if (nameProblem) problems.push(nameProblem);
    const rawEmail = record.cells['email'] ?? '';
    const email = rawEmail ? (normaliseEmail(rawEmail) ?? null) : undefined;
    if (email === null) {
      problems.push(emailProblem(rawEmail) === 'formula' ? `email "${rawEmail}" starts with =, +, - or @ (a spreadsheet formula): not an address` : `email "${rawEmail}" is not an address like name@example.com`);
    }
    return { line: record.line, participantId, userId, displayName, email, problems };
  });
  const key = (row: { participantId: string | null; userId: string | null }) => (row.participantId && row.userId ? `${row.participantId}/${row.userId}` : null);
  for (const [user, lines] of repeatedValues(checked.map((row) => ({ line: row.line, key: key(row) })))) {
    for (const row of checked) if (key(row) === user) row.problems.push(`user ${user} appears on lines ${lines.join(', ')}: list each user once`);
  }

  // Registering an email opens enrolment, which only some phases allow; adding users is always allowed.
  const enrolmentClosed = await deps.policy.assertEnrolmentOpen().then(
    () => undefined,
    (error: unknown) => {
      if (isDomainError(error)) return error.message;
      throw error;
    },
  );
  const rows: ImportRow[] = [];
  const byUser = (row: { participantId: string | null; userId: string | null }) => `${row.participantId ?? ''}/${row.userId ?? ''}`;
  await deps.queries.transaction(async (queries) => {
    // In user order, whatever the file's: two imports at once lock their users in one order and take turns instead of deadlocking.
    for (const row of [...checked].sort((a, b) => (byUser(a) < byUser(b) ? -1 : byUser(a) > byUser(b) ? 1 : 0))) {
      const report: ImportRow = { line: row.line, participantId: row.participantId, userId: row.userId, outcome: 'rejected', problems: row.problems };
      rows.push(report);
      if (row.email && enrolmentClosed) row.problems.push(enrolmentClosed);
      if (row.problems.length || !row.participantId || !row.userId) continue;
      if (!(await queries.participants.findById(row.participantId))) {
        report.problems.push(`participant ${row.participantId} does not exist: add it first (participant add)`);
        continue;
      }
      try {
        // A savepoint per row: a row refused by the rules (a domain error) leaves no trace, the others stay.
        await queries.transaction(async (within) => {
          let user = await within.users.findByLogin(row.participantId as string, row.userId as string);
          if (!user) {
            await addUser(within, { participantId: row.participantId as string, userId: row.userId as string, displayName: row.displayName }, actor.name);
            user = await within.users.findByLogin(row.participantId as string, row.userId as string);
            report.outcome = 'added';
          } else {
            report.outcome = 'unchanged';
          }
          if (user && row.email) {
            const registration = await applyDesignatedEmail(deps, within, user.id, row.email, actor);
            if (registration.outcome !== 'unchanged' && report.outcome === 'unchanged') report.outcome = 'updated';
            if (registration.activation !== 'not_needed') report.activationQueued = true;
          }
        });
      } catch (error) {
        if (!isDomainError(error)) throw error;
        report.outcome = 'rejected';
        report.problems.push(error.message);
      }
    }
  });
  const summary: Record<ImportOutcome, number> = { added: 0, updated: 0, unchanged: 0, rejected: 0 };
  for (const row of rows) summary[row.outcome] += 1;
  rows.sort((a, b) => a.line - b.line);
  return { accepted: true, summary, rows };
}
