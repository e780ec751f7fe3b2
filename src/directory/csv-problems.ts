/**
 * What can be wrong with an uploaded CSV file, as codes with the values a sentence needs:
 * the file as a whole (refused before anything is applied), or one row (rejected, the
 * others applied). Domain code says *what* is wrong; whoever shows it (the DMS pages and
 * API, the CLI) words it from the catalogue in its reader's language.
 */

/** Why a file is refused whole. `status` is the HTTP answer an upload gets for it. */
export type CsvFileProblem =
  | { code: 'too_large'; maxKb: number }
  | { code: 'not_utf8' }
  /** csv-parse could not read it; `cause` says what it found, `line` where (when known). */
  | { code: 'malformed'; cause: CsvSyntaxCause; line?: number | undefined }
  | { code: 'no_rows'; required: readonly string[]; optional: readonly string[] }
  | {
      code: 'bad_header';
      required: readonly string[];
      optional: readonly string[];
      /** The header row as it was found. */
      found: readonly string[];
      missing: readonly string[];
      unknown: readonly string[];
      repeated: readonly string[];
    }
  | { code: 'too_many_rows'; rows: number; maxRows: number };

export type CsvSyntaxCause = 'unclosed_quote' | 'bad_quote' | 'cell_count' | 'other';

/** What the display name of an imported or added user must not be. */
export type DisplayNameProblem = 'bad_text' | 'length' | 'formula';

/** Why one row of a file is rejected; a row can have several. */
export type RowProblem =
  /** A cell holds a NUL or another control character: the row is not looked at further. */
  | { code: 'bad_text'; column: string }
  | { code: 'invalid_user_id'; value: string }
  | { code: 'invalid_participant_id'; value: string }
  | { code: 'invalid_email'; value: string }
  /** Starts with =, +, - or @, as a spreadsheet formula does (OWASP "CSV injection"). */
  | { code: 'formula_email'; value: string }
  /** A DA's file names another participant (DMS). */
  | { code: 'other_participant'; participant: string; own: string }
  /** The same user on several rows: all of them are rejected, the file is ambiguous. */
  | { code: 'duplicate_user'; user: string; lines: readonly number[] }
  | { code: 'no_such_user'; user: string; participant: string }
  /** Operator import: the participant must be added first (`participant add`). */
  | { code: 'no_such_participant'; participant: string }
  | { code: 'invalid_display_name'; problem: DisplayNameProblem }
  /** Operator import: a row with an email while registration has not opened yet. */
  | { code: 'enrolment_closed' }
  /** A row that would mail a new activation link past `deadlines.emailRegistration` (`deadline`, ISO), the user having no live exception. */
  | { code: 'activation_deadline_passed'; deadline: string }
  /** Operator import: the rules refused the row while it was applied (a user added meanwhile, or gone). */
  | { code: 'not_applied'; cause: 'user_exists' | 'user_gone' | 'refused' };

export type RowProblemCode = RowProblem['code'];
