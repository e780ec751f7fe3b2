/**
 * A relying party refreshing tokens bound to a login session counts as activity: the session's
 * idle expiry moves. Writing that on every refresh costs a database round trip each time,
 * though the idle timeout counts in minutes; so each node writes it at most once per
 * `minIntervalSeconds` per session. A session may then end up to that long before the idle
 * timeout measured from its very last refresh — never later.
 */
export interface SessionActivity {
  touch(sessionUid: string, expiresAt: Date, now?: number): Promise<void>;
}

export function createSessionActivity(
  extend: (sessionUid: string, expiresAt: Date) => Promise<unknown>,
  options: { minIntervalSeconds: number; maxTracked?: number },
): SessionActivity {
  const lastWritten = new Map<string, number>();
  const maxTracked = options.maxTracked ?? 100_000;
  return {
    async touch(sessionUid, expiresAt, now = Date.now()) {
      const last = lastWritten.get(sessionUid);
      if (last !== undefined && now - last < options.minIntervalSeconds * 1000) return;
      // Bounded memory: when full, forget the entries whose interval has passed anyway.
      if (lastWritten.size >= maxTracked) {
        for (const [uid, at] of lastWritten) if (now - at >= options.minIntervalSeconds * 1000) lastWritten.delete(uid);
        if (lastWritten.size >= maxTracked) lastWritten.clear();
      }
      lastWritten.set(sessionUid, now);
      try {
        await extend(sessionUid, expiresAt);
      } catch (error) {
        lastWritten.delete(sessionUid);
        throw error;
      }
    },
  };
}
