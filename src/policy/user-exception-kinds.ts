/**
 * The dated per-user exceptions an operator (or, with maker-checker, a DA) may grant: each
 * lets one user keep doing one thing past the date the schedule ends it for everyone. The
 * closed list lives here once; the store's check constraint, the CLI's `--kind` choices, the
 * audit words and the catalogue all follow it.
 */
export const EXCEPTION_KINDS = {
  /** Smartcard login while the phase is `2fa-only` (after the smartcard cut-off). */
  smartcard_login: { governs: 'smartcard cut-off' },
  /** An activation link (registration) still usable after the email-registration deadline. */
  activation_deadline: { governs: 'email-registration deadline' },
  /** Enrolling a second factor still allowed after the second-factor deadline. */
  second_factor_deadline: { governs: 'second-factor deadline' },
} as const satisfies Record<string, { governs: string }>;

export type ExceptionKind = keyof typeof EXCEPTION_KINDS;

export const exceptionKinds = Object.keys(EXCEPTION_KINDS) as ExceptionKind[];

export function isExceptionKind(value: unknown): value is ExceptionKind {
  return typeof value === 'string' && Object.hasOwn(EXCEPTION_KINDS, value);
}

/**
 * How far ahead an exception may end. An exception is a bridge for a named user past a date of
 * the circular, not a second schedule: half a year covers a long absence or a delayed card.
 */
export const EXCEPTION_MAX_DAYS = 180;
