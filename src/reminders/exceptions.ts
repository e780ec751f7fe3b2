/**
 * How the deadlines ask whether one user is exempt from one of them: a live per-user exception
 * (src/store/user-exceptions.ts, `queries.userExceptions.activeFor`). Kept to this one shape so
 * that reminders and enforcement need nothing else of the exceptions' store.
 */
import { EXCEPTION_FOR_DEADLINE, type DeadlineKind } from './due-causes.js';

export type DeadlineExceptionKind = (typeof EXCEPTION_FOR_DEADLINE)[DeadlineKind];

export interface ExceptionLookup {
  activeFor(userId: string, kind: DeadlineExceptionKind, at: Date): Promise<{ until: Date; reason: string } | undefined>;
}

/** Whether `userId` has a live exception lifting `deadline` at `at`. */
export async function exempt(exceptions: ExceptionLookup | undefined, userId: string, deadline: DeadlineKind, at: Date): Promise<boolean> {
  if (!exceptions) return false;
  return (await exceptions.activeFor(userId, EXCEPTION_FOR_DEADLINE[deadline], at)) !== undefined;
}
