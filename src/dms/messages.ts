/**
 * The words for what DMS's upload reports as codes: an upload that could not be read and a
 * row's result (a file's and a row's problems are worded in directory/csv-problem-words.ts,
 * which the operators' import shares). Everything here returns catalogue messages.
 */
import { msg, type MessageKey, type Translatable } from '../i18n/translate.js';

export { csvFileProblemMessage, rowProblemMessage } from '../directory/csv-problem-words.js';
import type { RowOutcome } from './bulk-registration.js';
import type { UploadProblem } from './upload-body.js';

/** Why an upload could not be read (before its file was looked at). */
export function uploadProblemMessage(problem: UploadProblem): Translatable {
  return problem.code === 'too_large' ? msg('csv.file.too_large', { kb: problem.maxKb }) : msg(`dms.upload.problem.${problem.code}`);
}

/** A row's result in the upload report, as the summary names it. */
export const ROW_OUTCOME_WORDS: Readonly<Record<RowOutcome, MessageKey>> = {
  registered: 'dms.upload.registered',
  changed: 'dms.upload.changed',
  unchanged: 'dms.upload.unchanged',
  resent: 'dms.upload.resent',
  rejected: 'dms.upload.rejected',
};
