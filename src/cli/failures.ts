/**
 * The CLI's exit codes and how each failure is worded, once, in the operator's language.
 * Domain errors map to codes by their class; the CLI's own refusals (a file that is not
 * there, two passwords that differ) are CliErrors carrying their code and catalogue message.
 *
 *   0 done · 1 unexpected failure · 2 bad input · 3 not found · 4 already exists ·
 *   5 not allowed now · 6 too soon · 78 bad configuration (sysexits EX_CONFIG)
 */
import { CommanderError } from 'commander';
import { ConfigError } from '../config/load.js';
import { ConflictError, ForbiddenError, isDomainError, NotFoundError, TooManyRequestsError, ValidationError } from '../kernel/errors.js';
import { PasswordRejectedError } from '../factors/password.js';
import { cliEn } from '../i18n/messages/cli.js';
import { msg, passwordRefusal, type Message, type MessageKey, type Translatable, type Translate } from '../i18n/translate.js';

export const EXIT = { ok: 0, failure: 1, badInput: 2, notFound: 3, exists: 4, notAllowed: 5, tooSoon: 6, configuration: 78 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** A refusal of the CLI itself, already in catalogue words. */
export class CliError extends Error {
  override name = 'CliError';
  constructor(
    readonly exitCode: ExitCode,
    readonly text: Message,
    readonly details: readonly Message[] = [],
  ) {
    super(text.key);
  }
}

export function exitCodeFor(error: unknown): ExitCode {
  if (error instanceof CliError) return error.exitCode;
  if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.ok : EXIT.badInput;
  if (error instanceof ValidationError) return EXIT.badInput;
  if (error instanceof NotFoundError) return EXIT.notFound;
  if (error instanceof ConflictError) return EXIT.exists;
  if (error instanceof ForbiddenError) return EXIT.notAllowed;
  if (error instanceof TooManyRequestsError) return EXIT.tooSoon;
  if (error instanceof ConfigError) return EXIT.configuration;
  return EXIT.failure;
}

/** PostgreSQL's codes for "the server is not there / refuses us" and Node's for the network. */
const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ECONNRESET', '28P01', '28000', '3D000', '57P03']);

/** What went wrong, in the operator's words: the lines after "error: ". */
export function describeFailure(error: unknown, t: Translate): string {
  if (error instanceof CliError) return [t(error.text), ...error.details.map((detail) => `  ${t(detail)}`)].join('\n');
  if (error instanceof PasswordRejectedError) return [t('cli.error.passwordRefused'), ...passwordRefusal(error.problems).map((problem) => `  ${t(problem)}`)].join('\n');
  if (error instanceof ConfigError) return [t('cli.error.configuration'), ...error.problems.map((problem) => `  - ${problem}`)].join('\n');
  if (error instanceof ValidationError) return describeFields(error, t);
  if (isDomainError(error)) return t(error.reason);
  const code = (error as { code?: unknown } | null)?.code;
  const detail = error instanceof Error ? error.message : String(error);
  if (code === '42P01') return t(msg('cli.error.notMigrated', { detail }));
  if (typeof code === 'string' && UNREACHABLE.has(code)) return t(msg('cli.error.database', { detail }));
  return t(msg('cli.error.unexpected', { detail }));
}

/** The catalogue's sentence for a field code of src/directory/ ("invalid_email"), if it has one. */
function fieldMessage(code: string): MessageKey | undefined {
  const key = `cli.field.${code}`;
  return Object.hasOwn(cliEn, key) ? (key as MessageKey) : undefined;
}

/** Reasons that say what is wrong with their one field: with a single field, the reason says it all. */
const REASONS_NAMING_THEIR_FIELD = /^(directory\.(participantIdRule|userIdRule|participantNameRule|notACertificate|certificateRefused)|csv\.row\.display_name\.\w+)$/;

/** "unknown_phase": a field's code, for programs (the API); the reason words it for people. */
const FIELD_CODE = /^[a-z][a-z0-9_]*$/;

/**
 * Bad input: the reason (several problems one a line), then what the fields add that the
 * reason leaves unsaid, in catalogue words — never the same problem twice.
 */
function describeFields(error: ValidationError, t: Translate): string {
  const fields = Object.entries(error.fields);
  const specific = REASONS_NAMING_THEIR_FIELD.test(error.message);
  const reasons = Array.isArray(error.reason) ? (error.reason as readonly Translatable[]) : [error.reason as Translatable];
  if (fields.length <= 1 && specific) return t(error.reason);
  if (specific) {
    // A reason that tells only the first of several fields: a heading instead, and every field.
    return [t('cli.error.invalidInput'), ...fields.map(([field, problem]) => `  ${fieldText(field, problem, t)}`)].join('\n');
  }
  const added = fields.filter(([, problem]) => fieldMessage(problem) || !FIELD_CODE.test(problem)).map(([field, problem]) => `  ${fieldText(field, problem, t)}`);
  const said = reasons.length > 1 ? [t('cli.error.invalidInput'), ...reasons.map((reason) => `  ${t(reason)}`)] : [t(reasons[0])];
  return [...said, ...added].join('\n');
}

function fieldText(field: string, problem: string, t: Translate): string {
  const key = fieldMessage(problem);
  return key ? t(key) : `${field}: ${problem}`;
}
