/**
 * The per-address limits (policy/rate-limits.ts) kept in PostgreSQL by rate-limiter-flexible,
 * so that every node counts against the same budget. The table comes from our migrations;
 * expired rows are deleted by the periodic purge (server.ts), not by a timer in each limiter.
 */
import { RateLimiterPostgres, RateLimiterRes } from 'rate-limiter-flexible';
import { clientAddressKey } from '../kernel/address-ranges.js';
import { LIMITED_ACTIONS, type LimitedAction, type RateLimits, type RateLimitVerdict } from '../policy/rate-limits.js';
import type { Database } from './database.js';

export interface RateLimitSettings {
  ipv6PrefixLength: number;
  limits: Record<LimitedAction, { points: number; durationSeconds: number }>;
}

const TABLE = 'rate_limits';

export function postgresRateLimits(db: Database, settings: RateLimitSettings): RateLimits {
  const limiters = Object.fromEntries(
    LIMITED_ACTIONS.map((action) => [
      action,
      new RateLimiterPostgres({
        storeClient: db,
        storeType: 'knex',
        tableName: TABLE,
        tableCreated: true,
        clearExpiredByTimeout: false,
        keyPrefix: action,
        points: settings.limits[action].points,
        duration: settings.limits[action].durationSeconds,
      }),
    ]),
  ) as Record<LimitedAction, RateLimiterPostgres>;

  const keyOf = (address: string | undefined) => clientAddressKey(address, settings.ipv6PrefixLength) ?? 'unknown-address';
  const retryAfter = (res: RateLimiterRes) => Math.max(1, Math.ceil(res.msBeforeNext / 1000));

  return {
    async check(action, address): Promise<RateLimitVerdict> {
      const res = await limiters[action].get(keyOf(address));
      if (res && res.consumedPoints >= settings.limits[action].points) return { allowed: false, retryAfterSeconds: retryAfter(res) };
      return { allowed: true };
    },
    async consume(action, address) {
      try {
        const res = await limiters[action].consume(keyOf(address));
        return { verdict: { allowed: true }, limitReached: res.consumedPoints === settings.limits[action].points };
      } catch (rejection) {
        // The library rejects with a RateLimiterRes when over the limit, with an Error when the store fails.
        if (rejection instanceof RateLimiterRes) return { verdict: { allowed: false, retryAfterSeconds: retryAfter(rejection) }, limitReached: false };
        throw rejection;
      }
    },
  };
}

/** Deletes counters whose window ended more than an hour ago (by wall-clock time, as the library counts). */
export async function purgeExpiredRateLimits(db: Database): Promise<number> {
  return db(TABLE).where('expire', '<', Date.now() - 3600_000).delete();
}
