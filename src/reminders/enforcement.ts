/**
 * What a passed deadline stops: past `deadlines.emailRegistration` an activation link no longer
 * works, past `deadlines.secondFactor` a user without a second factor can no longer start
 * enrolling one at login — each unless the user has a live exception for it. The phase is not
 * touched (src/policy/phases.ts): a deadline closes a door for the users not through it yet.
 */
import type { Clock } from '../kernel/clock.js';
import type { DeadlineCalendar } from './calendar.js';
import { deadlineOf, deadlinePassed, EXCEPTION_FOR_DEADLINE, type Deadline, type DeadlineKind } from './due-causes.js';
import { exempt, type ExceptionLookup } from './exceptions.js';

export interface DeadlineEnforcement {
  /** The deadline of `kind` when it has passed for `userId` (no live exception), else undefined. */
  passedFor(kind: DeadlineKind, userId: string): Promise<Deadline | undefined>;
  /** When the deadline of `kind` has passed and `userId`'s live exception lifts it: until when (the pages say so). */
  exceptionUntil?(kind: DeadlineKind, userId: string): Promise<Date | undefined>;
  /** The deadlines and reminder days, for the pages that name them (src/reminders/calendar.ts). */
  calendar?: DeadlineCalendar;
}

export function deadlineEnforcement(deadlines: readonly Deadline[], clock: Clock, exceptions: ExceptionLookup | undefined, calendar: Omit<DeadlineCalendar, 'deadlines'> = { offsetsDays: [] }): DeadlineEnforcement {
  return {
    calendar: { ...calendar, deadlines },
    async exceptionUntil(kind, userId) {
      const deadline = deadlineOf(deadlines, kind);
      const now = clock.now();
      if (!exceptions || !deadline || !deadlinePassed(deadline, now)) return undefined;
      return (await exceptions.activeFor(userId, EXCEPTION_FOR_DEADLINE[kind], now))?.until;
    },
    async passedFor(kind, userId) {
      const deadline = deadlineOf(deadlines, kind);
      const now = clock.now();
      if (!deadline || !deadlinePassed(deadline, now)) return undefined;
      return (await exempt(exceptions, userId, kind, now)) ? undefined : deadline;
    },
  };
}

/** No deadline configured: nothing is stopped (tests and tools that build parts by hand). */
export const NO_DEADLINES: DeadlineEnforcement = { passedFor: () => Promise.resolve(undefined) };
