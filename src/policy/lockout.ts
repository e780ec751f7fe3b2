/**
 * Account lockout after repeated failures (NIST SP 800-63B §5.2.2: limit consecutive failed
 * attempts on one account). Failures of the password and of the second factor count
 * together. A first lock lasts `durationSeconds`; every further lock before the next
 * successful login lasts `growthFactor` times longer, up to `maxDurationSeconds`, so a
 * guesser who waits out each lock gets fewer and fewer tries per day. `durationSeconds` 0
 * means every lock lasts until an operator or DA unlocks it.
 */
import { LOCKED_UNTIL_UNLOCKED, type FailureCounters } from '../store/users.js';

export interface LockoutPolicy {
  threshold: number;
  durationSeconds: number;
  growthFactor: number;
  maxDurationSeconds: number;
}

/** An account's failure counters; `lockoutCount` counts locks since the last successful login or unlock. */
export type FailureState = FailureCounters;

export function isLocked(user: { locked_until: Date | null }, now: Date): boolean {
  return user.locked_until !== null && user.locked_until.getTime() > now.getTime();
}

/** How long the lock after `previousLocks` earlier ones lasts, in seconds (0 = until unlocked). */
export function lockDurationSeconds(policy: LockoutPolicy, previousLocks: number): number {
  if (policy.durationSeconds === 0) return 0;
  const grown = policy.durationSeconds * policy.growthFactor ** Math.max(0, previousLocks);
  return Math.min(Math.round(grown), policy.maxDurationSeconds);
}

/** The counters after one more failure at `now`, and whether this failure locked the account. */
export function afterFailure(policy: LockoutPolicy, state: FailureState, now: Date): FailureState & { lockedNow: boolean } {
  const failedAttempts = state.failedAttempts + 1;
  if (failedAttempts < policy.threshold) return { ...state, failedAttempts, lockedNow: false };
  const seconds = lockDurationSeconds(policy, state.lockoutCount);
  return {
    failedAttempts: 0,
    lockoutCount: state.lockoutCount + 1,
    lockedUntil: seconds === 0 ? LOCKED_UNTIL_UNLOCKED : new Date(now.getTime() + seconds * 1000),
    lockedNow: true,
  };
}
