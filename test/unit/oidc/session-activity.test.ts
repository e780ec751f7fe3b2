import { createSessionActivity } from '../../../src/oidc/session-activity.js';

describe('session activity from refreshes', () => {
  it('writes a session at most once per interval, each session on its own', async () => {
    const writes: string[] = [];
    const activity = createSessionActivity(async (uid) => writes.push(uid), { minIntervalSeconds: 60 });
    const at = new Date();
    await activity.touch('a', at, 0);
    await activity.touch('a', at, 59_999);
    await activity.touch('b', at, 30_000);
    await activity.touch('a', at, 60_000);
    expect(writes).toEqual(['a', 'b', 'a']);
  });

  it('tries again at the next refresh when a write failed', async () => {
    let fail = true;
    const writes: number[] = [];
    const activity = createSessionActivity(
      async () => {
        if (fail) throw new Error('database unreachable');
        writes.push(1);
      },
      { minIntervalSeconds: 60 },
    );
    await expect(activity.touch('a', new Date(), 0)).rejects.toThrow('database unreachable');
    fail = false;
    await activity.touch('a', new Date(), 1000);
    expect(writes).toEqual([1]);
  });

  it('keeps its memory bounded', async () => {
    const activity = createSessionActivity(async () => undefined, { minIntervalSeconds: 60, maxTracked: 3 });
    for (const uid of ['a', 'b', 'c', 'd', 'e']) await activity.touch(uid, new Date(), 0);
    // No error and no unbounded growth: the fourth entry cleared what could not be evicted.
    const writes: string[] = [];
    const counting = createSessionActivity(async (uid) => writes.push(uid), { minIntervalSeconds: 60, maxTracked: 2 });
    await counting.touch('a', new Date(), 0);
    await counting.touch('b', new Date(), 0);
    await counting.touch('c', new Date(), 0); // full: forgets a and b
    await counting.touch('a', new Date(), 1);
    expect(writes).toEqual(['a', 'b', 'c', 'a']);
  });
});
