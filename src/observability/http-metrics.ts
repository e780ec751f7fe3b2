/**
 * Times every request for the latency histogram. The route label is the matched route's
 * template (`/interaction/:uid/login`), never the raw path, so scanners and ids cannot grow
 * the number of series; requests nothing answered are all `unmatched`.
 */
import type { Context, Middleware } from 'koa';
import type { Metrics } from './metrics.js';

/** Path segments that are ids (interaction uids, tokens, UUIDs) rather than names. */
const ID_SEGMENT = /^(?=.*\d)[A-Za-z0-9_-]{16,}$|^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function routeLabel(ctx: Pick<Context, 'status' | 'path'> & { _matchedRoute?: string | RegExp | undefined }): string {
  if (typeof ctx._matchedRoute === 'string') return ctx._matchedRoute;
  if (ctx.status === 404) return 'unmatched';
  // oidc-provider's endpoints (/auth, /token, /jwks, /session/end, …) are a fixed set;
  // a segment that looks like an id becomes ":id".
  return ctx.path
    .split('/')
    .map((segment) => (ID_SEGMENT.test(segment) ? ':id' : segment))
    .join('/')
    .slice(0, 64);
}

export function requestTiming(metrics: Metrics): Middleware {
  return async (ctx, next) => {
    const end = metrics.requestDuration.startTimer();
    try {
      await next();
    } finally {
      end({ method: ctx.method, route: routeLabel(ctx as never), status: `${Math.floor(ctx.status / 100)}xx` });
    }
  };
}
