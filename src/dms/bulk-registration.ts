/**
 * A DA's CSV upload of designated emails. The file is checked whole first (size, encoding,
 * columns, row count, every cell's text): if that fails nothing is applied. Rows with
 * problems are rejected with their line number and change nothing. Every other row is then
 * applied in one transaction with everything it causes (its link, its mail, its audit
 * record): the upload is applied whole or not at all, and a report comes back only once it
 * is. Rows that already match change nothing and send nothing, so uploading the same file
 * again is harmless — and brings back any row whose link was lost.
 */
import { auditDmsAction, findFirmUser, type DelegatedAdministrator, type DmsDependencies } from './administration.js';
import { parseEmailRegistrations, type CsvLimits, type CsvParseResult, type RegistrationRow, type RejectedRow } from './csv-registrations.js';
import type { CsvFileProblem, RowProblem } from '../directory/csv-problems.js';
import { ActivationDeadlinePassedError, applyDesignatedEmail, deadlineRefusalEvent } from '../enrolment/activation-links.js';
import { NotFoundError } from '../kernel/errors.js';
import { enrolmentOpen } from '../policy/phases.js';
import { dmsRefusal } from './refusals.js';

export type RowOutcome = 'registered' | 'changed' | 'unchanged' | 'resent' | 'rejected';

export interface RowReport {
  line: number;
  userId: string | null;
  outcome: RowOutcome;
  /** For rejected rows: what is wrong, as codes (the page and the API word them). */
  problems: RowProblem[];
  /** Whether an activation link was queued for the user. */
  activationQueued?: boolean;
}

export type UploadReport =
  | { accepted: true; summary: Record<RowOutcome, number>; rows: RowReport[] }
  | { accepted: false; status: 413 | 415 | 422; problem: CsvFileProblem };

export async function registerEmailsFromCsv(deps: DmsDependencies, da: DelegatedAdministrator, bytes: Uint8Array, limits: CsvLimits): Promise<UploadReport> {
  const parsed = await checkEmailCsv(deps, da, bytes, limits);
  // A file refused whole changes nothing, and the DA is told why at once: nothing to record.
  if (!parsed.ok) return { accepted: false, status: parsed.status, problem: parsed.problem };
  return deps.queries.transaction((queries) => applyEmailRegistrations({ ...deps, queries }, da, parsed, bytes.length));
}

/** The file checked whole and split into valid and rejected rows, before any user is looked up (refused when enrolment is closed). */
export async function checkEmailCsv(deps: DmsDependencies, da: DelegatedAdministrator, bytes: Uint8Array, limits: CsvLimits): Promise<CsvParseResult> {
  if (!enrolmentOpen((await deps.policy.current()).phase)) throw dmsRefusal('enrolment_closed');
  return parseEmailRegistrations(bytes, da.participantId, limits);
}

/**
 * Applies the valid rows of a checked upload, with everything they cause, on `deps.queries`
 * (a transaction: the caller's, so that a maker-checker approval commits the rows with its
 * decision). The same rows the upload's preview showed, whether applied at once or approved later.
 */
export async function applyEmailRegistrations(
  deps: DmsDependencies,
  da: DelegatedAdministrator,
  parsed: { rows: readonly RegistrationRow[]; rejected: readonly RejectedRow[]; unchanged?: readonly RegistrationRow[] },
  bytes: number,
): Promise<UploadReport> {
  const { queries } = deps;
  const reports: RowReport[] = parsed.rejected.map((row) => ({ line: row.line, userId: row.userId, outcome: 'rejected', problems: row.problems }));
  // Rows an approved change request previewed as already so: reported, never applied (an approval does what was previewed, no more).
  for (const row of parsed.unchanged ?? []) reports.push({ line: row.line, userId: row.userId, outcome: 'unchanged', problems: [] });
  const summary: Record<RowOutcome, number> = { registered: 0, changed: 0, unchanged: 0, resent: 0, rejected: 0 };
  // In user order, whatever the file's: two uploads at once lock their users in one order and take turns instead of deadlocking.
  for (const row of [...parsed.rows].sort((a, b) => (a.userId < b.userId ? -1 : a.userId > b.userId ? 1 : 0))) {
    let user;
    try {
      user = await findFirmUser({ queries }, da, row.userId);
    } catch (error) {
      if (!(error instanceof NotFoundError)) throw error;
      reports.push({ line: row.line, userId: row.userId, outcome: 'rejected', problems: [{ code: 'no_such_user', user: row.userId, participant: da.participantId }] });
      continue;
    }
    let result;
    try {
      result = await applyDesignatedEmail(deps, queries, user.id, row.email, da);
    } catch (error) {
      // Past the email registration deadline a row that would mail a link is refused before it changed anything; the others go on.
      if (!(error instanceof ActivationDeadlinePassedError)) throw error;
      await queries.audit.record(deadlineRefusalEvent(error, da));
      reports.push({ line: row.line, userId: row.userId, outcome: 'rejected', problems: [{ code: 'activation_deadline_passed', deadline: error.deadline.toISOString() }] });
      continue;
    }
    reports.push({ line: row.line, userId: row.userId, outcome: result.outcome, problems: [], ...(result.activation === 'not_needed' ? {} : { activationQueued: true }) });
  }
  for (const report of reports) summary[report.outcome] += 1;
  await auditDmsAction({ queries }, da, 'dms.csv_upload', 'success', { bytes, ...summary });
  reports.sort((a, b) => a.line - b.line);
  return { accepted: true, summary, rows: reports };
}
