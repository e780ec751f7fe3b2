/**
 * Why DMS refuses something: a code for scripts (the API's `reason`) and a catalogue message
 * for people (`dms.refusal.<code>`, in the reader's language). DMS's domain functions throw
 * the shared domain errors — so the status, and the generic error page, follow from the
 * class — carrying the refusal. An error from elsewhere is refused by its class, with the
 * reason it brings.
 */
import { ConflictError, ForbiddenError, isDomainError, NotFoundError, TooManyRequestsError, ValidationError, type DomainError } from '../kernel/errors.js';
import { msg, type Translatable } from '../i18n/translate.js';

const STATUS = {
  invalid_user_id: 400,
  no_such_user: 404,
  unknown_state: 400,
  invalid_event_type: 400,
  own_lock: 403,
  own_reset: 403,
  no_second_factor: 400,
  invalid_email: 400,
  no_email: 400,
  already_activated: 400,
  resend_too_soon: 429,
  enrolment_closed: 403,
  /** Past the email registration deadline, no activation link (src/reminders/deadline-doors.ts). */
  activation_deadline_passed: 403,
  // Maker-checker (change-requests.ts).
  second_da_needed: 403,
  no_such_request: 404,
  own_request: 403,
  request_decided: 409,
  request_expired: 409,
  request_stale: 409,
  invalid_reason: 400,
  // Signing in (sign-in.ts).
  sign_in_lost: 403,
  sign_in_expired: 403,
  sign_in_cancelled: 403,
  sign_in_failed: 403,
  two_factor_needed: 403,
  no_dms_access: 403,
  // The request itself (pages.ts, api.ts).
  form_expired: 403,
  csrf_header: 403,
  json_body: 400,
  csv_body: 415,
  multipart_body: 415,
  bad_request: 400,
  // An error from elsewhere, by its class.
  invalid_request: 400,
  not_found: 404,
  not_allowed: 403,
  conflict: 409,
  too_soon: 429,
} as const satisfies Record<string, 400 | 403 | 404 | 409 | 415 | 429>;

export type DmsRefusalCode = keyof typeof STATUS;
export const DMS_REFUSAL_CODES = Object.keys(STATUS) as DmsRefusalCode[];

export interface DmsRefusal {
  code: DmsRefusalCode;
  /** What a person reads. */
  reason: Translatable;
  status: number;
}

type Refused = DomainError & { refusal: DmsRefusal };

/** The words of a refusal: `seconds`, `user`, `participant` where its sentence names them. */
export function refusalReason(code: DmsRefusalCode, params?: Record<string, string | number>): Translatable {
  return msg(`dms.refusal.${code}`, params);
}

/**
 * The error to throw for `code`; `fields` name the inputs at fault with codes (for the API),
 * `params` are what its sentence needs (`seconds` is also the Retry-After).
 */
export function dmsRefusal(code: DmsRefusalCode, params: Record<string, string | number> = {}, fields: Record<string, string> = {}): Refused {
  const status = STATUS[code];
  const reason = refusalReason(code, Object.keys(params).length ? params : undefined);
  const error: DomainError =
    status === 404
      ? new NotFoundError(reason)
      : status === 403
        ? new ForbiddenError(reason)
        : status === 409
          ? new ConflictError(reason)
          : status === 429
            ? new TooManyRequestsError(reason, Number(params['seconds'] ?? 60))
            : new ValidationError(reason, fields);
  return Object.assign(error, { refusal: { code, reason, status } });
}

/** No activation link for `user` past the email registration deadline `deadline`: the sentence names both (and the error carries the deadline). */
export function activationDeadlineRefusal(user: string, deadline: Date): Refused & { deadline: Date } {
  const reason = msg('dms.refusal.activationDeadline', { user, deadline });
  return Object.assign(new ForbiddenError(reason), { refusal: { code: 'activation_deadline_passed' as const, reason, status: 403 }, deadline });
}

/** A request refused before any domain function ran (a wrong body, a stale form). */
export function requestRefusal(code: DmsRefusalCode, params?: Record<string, string | number>): DmsRefusal {
  return { code, reason: refusalReason(code, params), status: STATUS[code] };
}

/** What to tell about `error`, or undefined when it is no refusal at all (a bug, an outage: a 500 or 503). */
export function refusalOf(error: unknown): DmsRefusal | undefined {
  if (!isDomainError(error)) return undefined;
  const own = (error as Partial<Refused>).refusal;
  if (own) return own;
  const code: DmsRefusalCode =
    error instanceof TooManyRequestsError ? 'too_soon' : error instanceof NotFoundError ? 'not_found' : error instanceof ForbiddenError ? 'not_allowed' : error instanceof ConflictError ? 'conflict' : 'invalid_request';
  return { code, reason: error.reason, status: error.status };
}

/** The fields of a refused request, as codes (DMS's own validation errors only: others name them in English). */
export function refusalFields(error: unknown): Record<string, string> | undefined {
  if (!(error instanceof ValidationError) || !(error as Partial<Refused>).refusal) return undefined;
  return Object.keys(error.fields).length ? error.fields : undefined;
}
