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

export type DomainError = ValidationError | NotFoundError | ConflictError;

export function isDomainError(error: unknown): error is DomainError {
  return error instanceof ValidationError || error instanceof NotFoundError || error instanceof ConflictError;
}
