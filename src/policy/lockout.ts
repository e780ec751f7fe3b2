/**
 * Account lockout after repeated failures (NIST SP 800-63B §5.2.2: limit consecutive failed
 * attempts on one account). Failures of the password and of the second factor count
 * together. A first lock lasts `durationSeconds`; every further lock before the next
 * successful login lasts `growthFactor` times longer, up to `maxDurationSeconds`, so a
 * guesser who waits out each lock gets fewer and fewer tries per day. `durationSeconds` 0
 * means every lock lasts until an operator or DA unlocks it.
 */
import { LOCKED_UNTIL_UNLOCKED } from '../store/users.js';

export interface LockoutPolicy {
  threshold: number;
  durationSeconds: number;
  growthFactor: number;
  maxDurationSeconds: number;
}

export function isLocked(user: { locked_until: Date | null }, now: Date): boolean {
  return user.locked_until !== null && user.locked_until.getTime() > now.getTime();
}

/** How long the lock after `previousLocks` earlier ones lasts, in seconds (0 = until unlocked). */
export function lockDurationSeconds(policy: LockoutPolicy, previousLocks: number): number {
  if (policy.durationSeconds === 0) return 0;
  const grown = policy.durationSeconds * policy.growthFactor ** Math.max(0, previousLocks);
  return Math.min(Math.round(grown), policy.maxDurationSeconds);
}

/** When a lock that starts `now` ends, for an account locked `previousLocks` times since its last successful login. */
export function lockEndsAt(policy: LockoutPolicy, previousLocks: number, now: Date): Date {
  const seconds = lockDurationSeconds(policy, previousLocks);
  return seconds === 0 ? LOCKED_UNTIL_UNLOCKED : new Date(now.getTime() + seconds * 1000);
}
