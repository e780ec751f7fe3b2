import { isLocked, lockDurationSeconds, lockEndsAt, type LockoutPolicy } from '../../../src/policy/lockout.js';

const policy: LockoutPolicy = { threshold: 3, durationSeconds: 900, growthFactor: 2, maxDurationSeconds: 3600 };
const now = new Date('2026-01-01T00:00:00Z');

describe('lockout', () => {
  it('is locked only until the lock ends', () => {
    expect(isLocked({ locked_until: null }, now)).toBe(false);
    expect(isLocked({ locked_until: new Date(now.getTime() + 1000) }, now)).toBe(true);
    expect(isLocked({ locked_until: now }, now)).toBe(false);
  });

  it('locks a first time for the configured duration', () => {
    expect(lockEndsAt(policy, 0, now)).toEqual(new Date('2026-01-01T00:15:00Z'));
  });

  it('makes each further lock longer, up to the maximum', () => {
    expect([0, 1, 2, 3, 10, 1000].map((previous) => lockDurationSeconds(policy, previous))).toEqual([900, 1800, 3600, 3600, 3600, 3600]);
    expect(lockEndsAt(policy, 1, now)).toEqual(new Date('2026-01-01T00:30:00Z'));
  });

  it('does not grow with a factor of 1, and grows by fractions too', () => {
    expect(lockDurationSeconds({ ...policy, growthFactor: 1 }, 5)).toBe(900);
    expect(lockDurationSeconds({ ...policy, growthFactor: 1.5 }, 1)).toBe(1350);
  });

  it('locks until unlocked when the duration is 0', () => {
    expect(lockEndsAt({ ...policy, durationSeconds: 0 }, 0, now).getUTCFullYear()).toBe(9999);
    expect(lockDurationSeconds({ ...policy, durationSeconds: 0 }, 4)).toBe(0);
  });
});
