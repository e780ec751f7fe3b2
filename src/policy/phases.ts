/**
 * The migration phases of the circular. The phase in force is a pure function of the
 * configured schedule, the operator's pins and the instant, so a switch happens on time on
 * every node with no restart, and tests move a clock instead of waiting.
 *
 * Precedence, strongest first: an operator pin set with `phase set` (kept in PostgreSQL, so
 * every node sees it), the `phases.override` of the configuration, the schedule.
 * What each phase allows is in `access.ts`.
 */
import { ForbiddenError } from '../kernel/errors.js';
import { parseHongKongTime } from '../kernel/hong-kong-time.js';

export const PHASES = ['smartcard-only', 'email-registration', 'parallel-run', '2fa-only'] as const;
export type Phase = (typeof PHASES)[number];

export interface ScheduleEntry {
  phase: Phase;
  /** Hong Kong time: "2023-06-26" or "2023-06-26T08:00". */
  from: string;
}

/** What the configuration says. */
export interface PhaseSchedule {
  schedule: readonly ScheduleEntry[];
  override?: Phase | undefined;
}

/** A phase pinned by an operator through the CLI, until a given instant or until cleared. */
export interface OperatorPin {
  phase: Phase;
  until: Date | null;
}

export type PhaseSource = 'operator' | 'configuration' | 'schedule' | 'default';

export interface PhaseSwitch {
  phase: Phase;
  at: Date;
}

export interface PhaseState {
  phase: Phase;
  /** Why this phase is in force. */
  source: PhaseSource;
  /** The next change of phase that is known now; null when nothing is scheduled to change it. */
  next: PhaseSwitch | null;
}

/** Without any schedule the server behaves as in the parallel run: every method works. */
const UNSCHEDULED: Phase = 'parallel-run';
/** Before the first scheduled entry: the world as it was before the circular. */
const BEFORE_SCHEDULE: Phase = 'smartcard-only';

function scheduledSwitches(schedule: readonly ScheduleEntry[]): PhaseSwitch[] {
  return schedule.flatMap((entry) => {
    const at = parseHongKongTime(entry.from);
    return at ? [{ phase: entry.phase, at }] : [];
  });
}

/** The schedule alone: the phase at `instant` and the next entry that changes it. */
function scheduledStateAt(schedule: readonly ScheduleEntry[], instant: Date): PhaseState {
  const switches = scheduledSwitches(schedule);
  if (switches.length === 0) return { phase: UNSCHEDULED, source: 'default', next: null };
  const past = switches.filter((entry) => entry.at.getTime() <= instant.getTime());
  const phase = past.at(-1)?.phase ?? BEFORE_SCHEDULE;
  // An entry that repeats the phase in force is no switch for users: look past it.
  const next = switches.find((entry) => entry.at.getTime() > instant.getTime() && entry.phase !== phase) ?? null;
  return { phase, source: 'schedule', next };
}

/**
 * The phase in force at `instant`, why, and the next known switch. A pin that has run out
 * is ignored, so an operator's `--until` ends on time on every node without anyone acting.
 */
export function phaseStateAt(plan: PhaseSchedule, pin: OperatorPin | null | undefined, instant: Date): PhaseState {
  if (pin && (pin.until === null || pin.until.getTime() > instant.getTime())) {
    if (pin.until === null) return { phase: pin.phase, source: 'operator', next: null };
    // When the pin runs out, whatever the configuration says for that instant takes over.
    const after = phaseStateAt(plan, null, pin.until);
    return { phase: pin.phase, source: 'operator', next: after.phase === pin.phase ? after.next : { phase: after.phase, at: pin.until } };
  }
  if (plan.override) return { phase: plan.override, source: 'configuration', next: null };
  return scheduledStateAt(plan.schedule, instant);
}

/** The phase in force at `instant`. */
export function phaseAt(plan: PhaseSchedule, instant: Date, pin?: OperatorPin | null): Phase {
  return phaseStateAt(plan, pin, instant).phase;
}

/**
 * Whether users may be onboarded: designated emails registered, activation links used,
 * passwords set and second factors enrolled. Closed only before email registration opens.
 */
export function enrolmentOpen(phase: Phase): boolean {
  return phase !== 'smartcard-only';
}

/** What to tell someone who tries to enrol while enrolment is closed. */

/** The one gate every enrolment function passes: throws ForbiddenError while enrolment is closed. */
export function assertEnrolmentOpen(phase: Phase): void {
  if (!enrolmentOpen(phase)) throw new ForbiddenError('problem.enrolmentClosed');
}
