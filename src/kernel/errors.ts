/**
 * The error vocabulary shared by domain code, the HTTP layer and the CLI. Domain functions
 * throw these; `http/error-handler.ts` maps them to status codes and the CLI to exit codes.
 * What an error says to a person is a catalogue message (`reason`), written in the reader's
 * language where it is shown; an English sentence does not compile. `message` is the key, for logs.
 */
import type { Translatable } from '../i18n/translate.js';

/** A reason a person reads: a catalogue key, a key with its values, or several sentences. */
export type Reason = Translatable;

const keyOf = (reason: Reason): string => (typeof reason === 'string' ? reason : Array.isArray(reason) ? reason.map(keyOf).join(' ') : (reason as { key: string }).key);

/** What every domain error has: its status and the reason to show. */
abstract class ReasonedError extends Error {
  abstract readonly status: number;
  constructor(readonly reason: Reason) {
    super(keyOf(reason));
  }
}

/** Bad input: the message is safe to show; `fields` says which inputs were wrong. */
export class ValidationError extends ReasonedError {
  override name = 'ValidationError';
  readonly status = 400;
  constructor(
    reason: Reason,
    readonly fields: Record<string, string> = {},
  ) {
    super(reason);
  }
}

export class NotFoundError extends ReasonedError {
  override name = 'NotFoundError';
  readonly status = 404;
}

/** The request conflicts with what exists (e.g. a participant ID already registered). */
export class ConflictError extends ReasonedError {
  override name = 'ConflictError';
  readonly status = 409;
}

/** Not allowed for this caller, or not now (e.g. enrolment before registration opens). */
export class ForbiddenError extends ReasonedError {
  override name = 'ForbiddenError';
  readonly status = 403;
}

/** Asked again too soon: `retryAfterSeconds` tells when it will be accepted. */
export class TooManyRequestsError extends ReasonedError {
  override name = 'TooManyRequestsError';
  readonly status = 429;
  constructor(
    reason: Reason,
    readonly retryAfterSeconds: number,
  ) {
    super(reason);
  }
}

export type DomainError = ValidationError | NotFoundError | ConflictError | ForbiddenError | TooManyRequestsError;

export function isDomainError(error: unknown): error is DomainError {
  return (
    error instanceof ValidationError ||
    error instanceof NotFoundError ||
    error instanceof ConflictError ||
    error instanceof ForbiddenError ||
    error instanceof TooManyRequestsError
  );
}
