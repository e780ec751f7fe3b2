/**
 * The deadlines on the DMS readiness page: each in Hong Kong time with the days left (or
 * "passed") and how many of the firm's users are not ready for it, and, for each not-ready
 * state, the deadline it concerns (src/reminders/due-causes.ts, notReadyFor).
 */
import type { MessageKey } from '../i18n/translate.js';
import { deadlineStandings, type DeadlineCalendar } from '../reminders/calendar.js';
import { DEADLINE_KINDS, deadlineOf, notReadyFor, type DeadlineKind } from '../reminders/due-causes.js';
import type { ReadinessState } from '../store/users.js';

export interface ReadinessDeadlinesView {
  /** `daysLeft`: whole days, rounded up (0 once passed). */
  deadlines: ReadonlyArray<{ kind: DeadlineKind; name: MessageKey; at: Date; daysLeft: number; passed: boolean; notReady: number }>;
  /** The not-ready states, each with its count and the deadline it concerns (at undefined: not set). */
  notReady: ReadonlyArray<{ state: ReadinessState; count: number; deadline: { name: MessageKey; at?: Date | undefined } }>;
}

const NOT_READY_STATES: readonly ReadinessState[] = ['no-email', 'activation-sent', 'activation-expired', 'password-set'];

export function readinessDeadlines(calendar: DeadlineCalendar | undefined, counts: Partial<Record<ReadinessState, number>>, now: Date): ReadinessDeadlinesView {
  const standings = calendar ? deadlineStandings(calendar, now) : [];
  const notReadyCount = (kind: DeadlineKind) => NOT_READY_STATES.filter((state) => notReadyFor(kind, state)).reduce((sum, state) => sum + (counts[state] ?? 0), 0);
  return {
    deadlines: standings.map((standing) => ({
      kind: standing.kind,
      name: `calendar.name.${standing.kind}`,
      at: standing.at,
      passed: standing.passed,
      daysLeft: standing.daysLeft,
      notReady: notReadyCount(standing.kind),
    })),
    notReady: NOT_READY_STATES.map((state) => {
      const kind = DEADLINE_KINDS.find((candidate) => notReadyFor(candidate, state)) as DeadlineKind;
      return { state, count: counts[state] ?? 0, deadline: { name: `calendar.name.${kind}`, at: calendar ? deadlineOf(calendar.deadlines, kind)?.at : undefined } };
    }),
  };
}
