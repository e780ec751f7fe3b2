/**
 * An operator's bulk import of users (`ccass-auth user import <csv>`): the user lists HKSCC
 * holds for each participant. Columns: participant_id, user_id, display_name; optional
 * email. New users are added; a user who exists is left as they are, except that an email
 * in the file is registered (which queues an activation link for a user who has not
 * activated). Every cell is checked first; rows with problems change nothing. The other rows
 * are applied in one transaction with all they cause (links, their mails, audit records):
 * the file is applied whole or not at all, so a killed import leaves nothing half done, and
 * re-running the same file brings every row to the state it asks for. The report says what
 * is wrong with a file or a row as codes with values (csv-problems.ts), for the CLI to word.
 */
import type { Actor } from '../kernel/actor.js';
import type { CsvFileProblem, RowProblem } from './csv-problems.js';
import { readCsvTable, repeatedValues, type CsvLimits } from './csv-table.js';
import { emailProblem, isPlainText, normaliseEmail, normaliseParticipantId, normaliseUserId } from '../kernel/identifiers.js';
import { addUser, displayNameProblem } from './users.js';
import { ActivationDeadlinePassedError, applyDesignatedEmail, deadlineRefusalEvent, type ActivationDependencies } from '../enrolment/activation-links.js';
import { ConflictError, isDomainError, NotFoundError } from '../kernel/errors.js';
import { enrolmentOpen } from '../policy/phases.js';
import type { Queries } from '../store/index.js';

export const USER_CSV_COLUMNS = { required: ['participant_id', 'user_id', 'display_name'], optional: ['email'] } as const;

export type ImportOutcome = 'added' | 'updated' | 'unchanged' | 'rejected';

export interface ImportRow {
  line: number;
  participantId: string | null;
  userId: string | null;
  outcome: ImportOutcome;
  problems: RowProblem[];
  /** An activation link was queued for the user. */
  activationQueued?: boolean;
}

export type ImportReport =
  | { accepted: true; summary: Record<ImportOutcome, number>; rows: ImportRow[] }
  | { accepted: false; status: number; problem: CsvFileProblem };

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
      const problems = unreadable.map((column): RowProblem => ({ code: 'bad_text', column }));
      return { line: record.line, participantId: null, userId: null, displayName: '', email: undefined, problems };
    }
    const problems: RowProblem[] = [];
    const rawParticipant = record.cells['participant_id'] ?? '';
    const participantId = normaliseParticipantId(rawParticipant) ?? null;
    if (!participantId) problems.push({ code: 'invalid_participant_id', value: rawParticipant });
    const rawUserId = record.cells['user_id'] ?? '';
    const userId = normaliseUserId(rawUserId) ?? null;
    if (!userId) problems.push({ code: 'invalid_user_id', value: rawUserId });
    const displayName = (record.cells['display_name'] ?? '').trim();
    const nameProblem = displayNameProblem(displayName);
    if (nameProblem) problems.push({ code: 'invalid_display_name', problem: nameProblem });
    const rawEmail = record.cells['email'] ?? '';
    const email = rawEmail ? (normaliseEmail(rawEmail) ?? null) : undefined;
    if (email === null) problems.push({ code: emailProblem(rawEmail) === 'formula' ? 'formula_email' : 'invalid_email', value: rawEmail });
    return { line: record.line, participantId, userId, displayName, email, problems };
  });
  const key = (row: { participantId: string | null; userId: string | null }) => (row.participantId && row.userId ? `${row.participantId}/${row.userId}` : null);
  for (const [user, lines] of repeatedValues(checked.map((row) => ({ line: row.line, key: key(row) })))) {
    for (const row of checked) if (key(row) === user) row.problems.push({ code: 'duplicate_user', user, lines });
  }

  // Registering an email opens enrolment, which only some phases allow; adding users is always allowed.
  const enrolmentClosed = !enrolmentOpen((await deps.policy.current()).phase);
  const rows: ImportRow[] = [];
  const byUser = (row: { participantId: string | null; userId: string | null }) => `${row.participantId ?? ''}/${row.userId ?? ''}`;
  await deps.queries.transaction(async (queries) => {
    // In user order, whatever the file's: two imports at once lock their users in one order and take turns instead of deadlocking.
    for (const row of [...checked].sort((a, b) => (byUser(a) < byUser(b) ? -1 : byUser(a) > byUser(b) ? 1 : 0))) {
      const report: ImportRow = { line: row.line, participantId: row.participantId, userId: row.userId, outcome: 'rejected', problems: row.problems };
      rows.push(report);
      if (row.email && enrolmentClosed) row.problems.push({ code: 'enrolment_closed' });
      if (row.problems.length || !row.participantId || !row.userId) continue;
      if (!(await queries.participants.findById(row.participantId))) {
        report.problems.push({ code: 'no_such_participant', participant: row.participantId });
        continue;
      }
      try {
        // A savepoint per row: a row refused by the rules (a domain error) leaves no trace, the others stay.
        await queries.transaction(async (within) => {
          let user = await within.users.findByLogin(row.participantId as string, row.userId as string);
          if (!user) {
            await addUser(within, { participantId: row.participantId as string, userId: row.userId as string, displayName: row.displayName }, actor);
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
        // Past the email registration deadline: the row's user (added by it, too) is rolled back with its savepoint; the refusal is recorded.
        if (error instanceof ActivationDeadlinePassedError) {
          await queries.audit.record(deadlineRefusalEvent(error, actor));
          report.problems.push({ code: 'activation_deadline_passed', deadline: error.deadline.toISOString() });
          continue;
        }
        report.problems.push({ code: 'not_applied', cause: error instanceof ConflictError ? 'user_exists' : error instanceof NotFoundError ? 'user_gone' : 'refused' });
      }
    }
  });
  const summary: Record<ImportOutcome, number> = { added: 0, updated: 0, unchanged: 0, rejected: 0 };
  for (const row of rows) summary[row.outcome] += 1;
  rows.sort((a, b) => a.line - b.line);
  return { accepted: true, summary, rows };
}
