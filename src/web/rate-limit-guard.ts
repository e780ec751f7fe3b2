/**
 * The HTTP side of the per-address limits: refusing a request whose address has used up a
 * limit (429, Retry-After, a message about the network and never about an account), and
 * counting a failure, with one audit record when an address reaches a limit.
 */
import { pageLocale } from './locale.js';
import type { Context } from 'koa';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { rateLimitMessage, type LimitedAction, type RateLimits } from '../policy/rate-limits.js';
import type { AuditQueries } from '../store/audit.js';
import type { Renderer } from './render.js';

export interface RateLimitGuard {
  /** True (and a 429 page already rendered) when `action` from this address is over its limit. */
  refused(ctx: Context, action: LimitedAction): Promise<boolean>;
  /** Counts one `action` (a failure, after its page is chosen): whether it was still within the limit. */
  count(ctx: Context, action: LimitedAction): Promise<boolean>;
  /** Counts one `action` before doing it (an email): false, and a 429 page rendered, when over the limit. */
  spend(ctx: Context, action: LimitedAction): Promise<boolean>;
}

export function rateLimitGuard(deps: { limits: RateLimits; metrics: Metrics; log: Logger; audit: AuditQueries; render: Renderer }): RateLimitGuard {
  function refuse(ctx: Context, action: LimitedAction, retryAfterSeconds: number) {
    deps.metrics.rateLimited.inc({ action });
    ctx.status = 429;
    ctx.set('Retry-After', String(retryAfterSeconds));
    ctx.type = 'html';
    ctx.body = deps.render('error', { title: 'error.pleaseWait', message: rateLimitMessage(retryAfterSeconds), requestId: ctx.state['requestId'] }, pageLocale(ctx));
  }
  async function consume(ctx: Context, action: LimitedAction) {
    const { verdict, limitReached } = await deps.limits.consume(action, ctx.ip);
    if (limitReached) {
      deps.log.warn({ action, ip: ctx.ip, requestId: ctx.state['requestId'] }, 'an address reached a rate limit');
      await deps.audit.record({ type: 'rate_limit.reached', outcome: 'failure', ip: ctx.ip, requestId: ctx.state['requestId'] as string, details: { action } });
    }
    return verdict;
  }
  return {
    async refused(ctx, action) {
      const verdict = await deps.limits.check(action, ctx.ip);
      if (verdict.allowed) return false;
      refuse(ctx, action, verdict.retryAfterSeconds);
      return true;
    },
    async count(ctx, action) {
      return (await consume(ctx, action)).allowed;
    },
    async spend(ctx, action) {
      const verdict = await consume(ctx, action);
      if (verdict.allowed) return true;
      refuse(ctx, action, verdict.retryAfterSeconds);
      return false;
    },
  };
}
