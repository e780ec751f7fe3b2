/**
 * The error vocabulary shared by domain code, the HTTP layer and the CLI. Domain functions
 * throw these; `http/error-handler.ts` maps them to status codes and the CLI to exit codes.
 */

/** Bad input: the message is safe to show; `fields` says which inputs were wrong. */
export class ValidationError extends Error {
  override name = 'ValidationError';
  readonly status = 400;
  constructor(
    message: string,
    readonly fields: Record<string, string> = {},
  ) {
    super(message);
  }
}

export class NotFoundError extends Error {
  override name = 'NotFoundError';
  readonly status = 404;
}

/** The request conflicts with what exists (e.g. a participant ID already registered). */
export class ConflictError extends Error {
  override name = 'ConflictError';
  readonly status = 409;
}

/** Not allowed for this caller, or not now (e.g. enrolment before registration opens). */
export class ForbiddenError extends Error {
  override name = 'ForbiddenError';
  readonly status = 403;
}

/** Asked again too soon: `retryAfterSeconds` tells when it will be accepted. */
export class TooManyRequestsError extends Error {
  override name = 'TooManyRequestsError';
  readonly status = 429;
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message);
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
