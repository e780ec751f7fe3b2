import { afterFailure, isLocked, lockDurationSeconds, type LockoutPolicy } from '../../../src/policy/lockout.js';

const policy: LockoutPolicy = { threshold: 3, durationSeconds: 900, growthFactor: 2, maxDurationSeconds: 3600 };
const now = new Date('2026-01-01T00:00:00Z');
const fresh = { failedAttempts: 0, lockoutCount: 0, lockedUntil: null };

describe('lockout', () => {
  it('is locked only until the lock ends', () => {
    expect(isLocked({ locked_until: null }, now)).toBe(false);
    expect(isLocked({ locked_until: new Date(now.getTime() + 1000) }, now)).toBe(true);
    expect(isLocked({ locked_until: now }, now)).toBe(false);
  });

  it('counts failures below the threshold without locking', () => {
    const once = afterFailure(policy, fresh, now);
    expect(once).toEqual({ failedAttempts: 1, lockoutCount: 0, lockedUntil: null, lockedNow: false });
    const twice = afterFailure(policy, once, now);
    expect(twice.failedAttempts).toBe(2);
    expect(twice.lockedNow).toBe(false);
  });

  it('locks at the threshold for the first duration and starts counting again', () => {
    const locked = afterFailure(policy, { ...fresh, failedAttempts: 2 }, now);
    expect(locked).toEqual({ failedAttempts: 0, lockoutCount: 1, lockedUntil: new Date('2026-01-01T00:15:00Z'), lockedNow: true });
  });

  it('makes each further lock longer, up to the maximum', () => {
    expect([0, 1, 2, 3, 10].map((previous) => lockDurationSeconds(policy, previous))).toEqual([900, 1800, 3600, 3600, 3600]);
    const second = afterFailure(policy, { failedAttempts: 2, lockoutCount: 1, lockedUntil: new Date('2025-12-31T23:00:00Z') }, now);
    expect(second.lockedUntil).toEqual(new Date('2026-01-01T00:30:00Z'));
    expect(second.lockoutCount).toBe(2);
  });

  it('does not grow with a factor of 1', () => {
    expect(lockDurationSeconds({ ...policy, growthFactor: 1 }, 5)).toBe(900);
  });

  it('locks until unlocked when the duration is 0', () => {
    const locked = afterFailure({ ...policy, durationSeconds: 0 }, { ...fresh, failedAttempts: 2 }, now);
    expect(locked.lockedUntil?.getUTCFullYear()).toBe(9999);
    expect(lockDurationSeconds({ ...policy, durationSeconds: 0 }, 4)).toBe(0);
  });
});
