/**
 * How the deadlines ask whether one user is exempt from one of them: a live per-user exception
 * (src/store/user-exceptions.ts, `queries.userExceptions.activeFor`). Kept to this one shape so
 * that reminders and enforcement need nothing else of the exceptions' store.
 */
import { EXCEPTION_FOR_DEADLINE, type DeadlineKind } from './due-causes.js';

export type DeadlineExceptionKind = (typeof EXCEPTION_FOR_DEADLINE)[DeadlineKind];

export interface ExceptionLookup {
  activeFor(userId: string, kind: DeadlineExceptionKind, at: Date): Promise<{ until: Date; reason: string } | undefined>;
  /** Every live exception at `at` (one query for a whole tick, rather than one per user). */
  listLive?(at: Date): Promise<ReadonlyArray<{ user_id: string; kind: string }>>;
}

/** Whether `userId` has a live exception lifting `deadline` at `at`. */
export async function exempt(exceptions: ExceptionLookup | undefined, userId: string, deadline: DeadlineKind, at: Date): Promise<boolean> {
  if (!exceptions) return false;
  return (await exceptions.activeFor(userId, EXCEPTION_FOR_DEADLINE[deadline], at)) !== undefined;
}

/**
 * Who is exempt from what at `at`, asked once for many users: with `listLive`, one query; else
 * (a lookup that has only activeFor) one per question.
 */
export async function exemptions(exceptions: ExceptionLookup | undefined, at: Date): Promise<(userId: string, deadline: DeadlineKind) => Promise<boolean>> {
  if (!exceptions) return () => Promise.resolve(false);
  const { listLive } = exceptions;
  if (!listLive) return (userId, deadline) => exempt(exceptions, userId, deadline, at);
  const live = new Set((await listLive.call(exceptions, at)).map((row) => `${row.user_id}\0${row.kind}`));
  return (userId, deadline) => Promise.resolve(live.has(`${userId}\0${EXCEPTION_FOR_DEADLINE[deadline]}`));
}
