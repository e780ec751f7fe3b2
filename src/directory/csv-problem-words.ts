/**
 * The words for the problems a CSV of users or designated emails reports as codes
 * (csv-problems.ts): a file refused whole, and a row's problems. Catalogue messages (`csv.*`),
 * so DMS's pages and API and the operators' import (CLI) write them in the reader's language.
 */
import { msg, type Message, type Translatable } from '../i18n/translate.js';
import type { CsvFileProblem, RowProblem } from './csv-problems.js';

const list = (values: readonly string[]) => values.join(', ');

/** The columns a header row must name ("user_id,email", or with the optional ones). */
function headerMessage(problem: Extract<CsvFileProblem, { code: 'bad_header' }>): Message {
  const found = problem.found.join(',');
  return problem.optional.length
    ? msg('csv.file.bad_headerOptional', { required: problem.required.join(','), optional: list(problem.optional), found })
    : msg('csv.file.bad_header', { required: problem.required.join(','), found });
}

/** Why a file was refused whole: one or a few sentences. */
export function csvFileProblemMessage(problem: CsvFileProblem): Translatable {
  switch (problem.code) {
    case 'too_large':
      return msg('csv.file.too_large', { kb: problem.maxKb });
    case 'not_utf8':
      return msg('csv.file.not_utf8');
    case 'malformed':
      return [problem.line ? msg('csv.file.malformedAt', { line: problem.line }) : msg('csv.file.malformed'), msg(`csv.file.cause.${problem.cause}`)];
    case 'no_rows':
      return msg('csv.file.no_rows', { columns: problem.required.join(',') });
    case 'bad_header':
      return [
        headerMessage(problem),
        ...(problem.missing.length ? [msg('csv.file.headerMissing', { columns: list(problem.missing) })] : []),
        ...(problem.unknown.length ? [msg('csv.file.headerUnknown', { columns: list(problem.unknown.map((name) => `"${name}"`)) })] : []),
        ...(problem.repeated.length ? [msg('csv.file.headerRepeated', { columns: list(problem.repeated) })] : []),
      ];
    case 'too_many_rows':
      return msg('csv.file.too_many_rows', { rows: problem.rows, max: problem.maxRows });
  }
}

/** One problem of a rejected row. */
export function rowProblemMessage(problem: RowProblem): Message {
  switch (problem.code) {
    case 'bad_text':
      return msg('csv.row.bad_text', { column: problem.column });
    case 'invalid_user_id':
    case 'invalid_participant_id':
    case 'invalid_email':
    case 'formula_email':
      return msg(`csv.row.${problem.code}`, { value: problem.value });
    case 'other_participant':
      return msg('csv.row.other_participant', { participant: problem.participant, own: problem.own });
    case 'duplicate_user':
      return msg('csv.row.duplicate_user', { user: problem.user, lines: list(problem.lines.map(String)) });
    case 'no_such_user':
      return msg('csv.row.no_such_user', { user: problem.user, participant: problem.participant });
    case 'no_such_participant':
      return msg('csv.row.no_such_participant', { participant: problem.participant, command: 'participant add' });
    case 'invalid_display_name':
      return msg(`csv.row.display_name.${problem.problem}`);
    case 'enrolment_closed':
      return msg('csv.row.enrolment_closed');
    case 'activation_deadline_passed':
      return msg('csv.row.activation_deadline_passed', { deadline: new Date(problem.deadline) });
    case 'not_applied':
      return msg(`csv.row.not_applied.${problem.cause}`);
  }
}
