/**
 * The migration phases of the circular, and what each allows. The phase in force is a pure
 * function of the schedule, the operator's override and the instant, so a switch happens on
 * time on every node with no restart, and tests move a clock instead of waiting.
 *
 * | phase                | smartcard | password + OTP | enrolment |
 * | smartcard-only       | yes       | no             | no        |
 * | email-registration   | yes       | no             | yes       |
 * | parallel-run         | yes       | yes            | yes       |
 * | 2fa-only             | no        | yes            | yes       |
 */
import { ForbiddenError } from '../errors.js';

export const PHASES = ['smartcard-only', 'email-registration', 'parallel-run', '2fa-only'] as const;
export type Phase = (typeof PHASES)[number];

export interface PhaseSchedule {
  schedule: ReadonlyArray<{ phase: Phase; from: string }>;
  override?: Phase | undefined;
}

/** Without any schedule the server behaves as in the parallel run: every method works. */
const UNSCHEDULED: Phase = 'parallel-run';

// Hong Kong has kept UTC+8 without daylight saving since 1979, so a fixed offset is exact.
const HONG_KONG_OFFSET = '+08:00';
const HONG_KONG_TIME = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2}))?$/;

/** "2023-06-26" or "2023-06-26T08:00" in Hong Kong time → the instant; undefined if not a real date. */
export function parseHongKongTime(value: string): Date | undefined {
  const match = HONG_KONG_TIME.exec(value);
  if (!match) return undefined;
  const [, year, month, day, hour = '00', minute = '00'] = match;
  const instant = new Date(`${year}-${month}-${day}T${hour}:${minute}:00${HONG_KONG_OFFSET}`);
  if (Number.isNaN(instant.getTime())) return undefined;
  // Date() rolls 2023-02-30 over to March: refuse dates that do not exist.
  const local = new Date(instant.getTime() + 8 * 3600_000);
  if (local.getUTCDate() !== Number(day) || local.getUTCHours() !== Number(hour) || local.getUTCMinutes() !== Number(minute)) return undefined;
  return instant;
}

/** The phase in force at `instant`. */
export function phaseAt(policy: PhaseSchedule, instant: Date): Phase {
  if (policy.override) return policy.override;
  if (policy.schedule.length === 0) return UNSCHEDULED;
  let current: Phase = 'smartcard-only';
  for (const entry of policy.schedule) {
    const from = parseHongKongTime(entry.from);
    if (from && from.getTime() <= instant.getTime()) current = entry.phase;
  }
  return current;
}

/**
 * Whether users may be onboarded: designated emails registered, activation links used,
 * passwords set and second factors enrolled. Closed only before email registration opens.
 */
export function enrolmentOpen(phase: Phase): boolean {
  return phase !== 'smartcard-only';
}

/** What to tell someone who tries to enrol while enrolment is closed. */
export const ENROLMENT_CLOSED_MESSAGE =
  'Registration for two-factor authentication has not opened yet. HKSCC will announce the date in a circular.';

/** The one gate every enrolment function passes: throws ForbiddenError while enrolment is closed. */
export function assertEnrolmentOpen(policy: PhaseSchedule, instant: Date): void {
  if (!enrolmentOpen(phaseAt(policy, instant))) throw new ForbiddenError(ENROLMENT_CLOSED_MESSAGE);
}
