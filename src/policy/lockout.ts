/**
 * Account lockout after repeated failures (NIST SP 800-63B §5.2.2: limit consecutive failed
 * attempts on one account). Failures of the password and of the second factor count
 * together; a lock lasts `durationSeconds`, or until unlocked when that is 0.
 */
import { LOCKED_UNTIL_UNLOCKED } from '../store/users.js';

export interface LockoutPolicy {
  threshold: number;
  durationSeconds: number;
}

export function isLocked(user: { locked_until: Date | null }, now: Date): boolean {
  return user.locked_until !== null && user.locked_until.getTime() > now.getTime();
}

/** When a lock that starts now ends. */
export function lockEndsAt(policy: LockoutPolicy, now: Date): Date {
  return policy.durationSeconds === 0 ? LOCKED_UNTIL_UNLOCKED : new Date(now.getTime() + policy.durationSeconds * 1000);
}
