/**
 * A DA's CSV upload of designated emails. The file is checked whole first (size, encoding,
 * columns, row count): if that fails nothing is applied. Then each valid row is applied on
 * its own and reported with its line number; rows with problems change nothing. Rows that
 * match what is already registered are reported as unchanged and send nothing, so uploading
 * the same file again is harmless.
 */
import { auditDmsAction, findFirmUser, type DelegatedAdministrator, type DmsDependencies } from './administration.js';
import { parseEmailRegistrations, type CsvLimits } from './csv-registrations.js';
import { registerDesignatedEmail } from '../enrolment/activation-links.js';
import { NotFoundError } from '../errors.js';

export type RowOutcome = 'registered' | 'changed' | 'unchanged' | 'rejected';

export interface RowReport {
  line: number;
  userId: string | null;
  outcome: RowOutcome;
  /** For rejected rows: what is wrong. For applied rows: e.g. that the activation email failed. */
  problems: string[];
  activationSent?: boolean;
}

export type UploadReport =
  | { accepted: true; summary: Record<RowOutcome, number>; rows: RowReport[] }
  | { accepted: false; status: 413 | 415 | 422; problem: string };

/** At most this many activation emails in flight at once: quick for hundreds of rows, gentle on the SMTP relay. */
const MAIL_CONCURRENCY = 4;

export async function registerEmailsFromCsv(deps: DmsDependencies, da: DelegatedAdministrator, bytes: Uint8Array, limits: CsvLimits): Promise<UploadReport> {
  await deps.policy.assertEnrolmentOpen();
  const parsed = parseEmailRegistrations(bytes, da.participantId, limits);
  // A file refused whole changes nothing, and the DA is told why at once: nothing to record.
  if (!parsed.ok) return { accepted: false, status: parsed.status, problem: parsed.problem };

  const reports: RowReport[] = parsed.rejected.map((row) => ({ line: row.line, userId: row.userId, outcome: 'rejected', problems: row.problems }));
  const queue = [...parsed.rows];
  const worker = async () => {
    for (let row = queue.shift(); row; row = queue.shift()) {
      try {
        const user = await findFirmUser(deps, da, row.userId);
        const result = await registerDesignatedEmail(deps, user, row.email, da);
        const activationSent = result.activation === 'not_needed' ? undefined : result.activation.sent;
        reports.push({
          line: row.line,
          userId: row.userId,
          outcome: result.outcome,
          problems: activationSent === false ? ['the email is registered, but the activation email could not be sent: use "Resend activation"'] : [],
          ...(activationSent === undefined ? {} : { activationSent }),
        });
      } catch (error) {
        if (!(error instanceof NotFoundError)) throw error;
        reports.push({ line: row.line, userId: row.userId, outcome: 'rejected', problems: [`there is no user ${row.userId} in ${da.participantId}`] });
      }
    }
  };
  await Promise.all(Array.from({ length: MAIL_CONCURRENCY }, worker));

  reports.sort((a, b) => a.line - b.line);
  const summary: Record<RowOutcome, number> = { registered: 0, changed: 0, unchanged: 0, rejected: 0 };
  for (const report of reports) summary[report.outcome] += 1;
  await auditDmsAction(deps, da, 'dms.csv_upload', 'success', { bytes: bytes.length, ...summary });
  return { accepted: true, summary, rows: reports };
}
