/**
 * What a passed deadline stops: past `deadlines.emailRegistration` an activation link no longer
 * works, past `deadlines.secondFactor` a user without a second factor can no longer start
 * enrolling one at login — each unless the user has a live exception for it. The phase is not
 * touched (src/policy/phases.ts): a deadline closes a door for the users not through it yet.
 */
import type { Clock } from '../kernel/clock.js';
import { deadlineOf, deadlinePassed, type Deadline, type DeadlineKind } from './due-causes.js';
import { exempt, type ExceptionLookup } from './exceptions.js';

export interface DeadlineEnforcement {
  /** The deadline of `kind` when it has passed for `userId` (no live exception), else undefined. */
  passedFor(kind: DeadlineKind, userId: string): Promise<Deadline | undefined>;
}

export function deadlineEnforcement(deadlines: readonly Deadline[], clock: Clock, exceptions: ExceptionLookup | undefined): DeadlineEnforcement {
  return {
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
