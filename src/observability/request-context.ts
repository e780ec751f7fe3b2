/**
 * Gives every request an id (the caller's X-Request-Id if it is sane, else a new UUID),
 * echoes it in the response, and writes one structured log line per request. Only method,
 * path, status and timing are logged: never bodies, query strings, cookies or headers that
 * could carry credentials.
 */
import { randomUUID } from 'node:crypto';
import type { Middleware } from 'koa';
import type { Logger } from './logger.js';

const SAFE_REQUEST_ID = /^[A-Za-z0-9._-]{8,64}$/;

/** Polled every few seconds by load balancers and Prometheus: logged at debug, or they drown the rest. */
const PROBES = new Set(['/healthz', '/readyz', '/metrics']);

export function requestContext(log: Logger): Middleware {
  return async (ctx, next) => {
    const incoming = ctx.get('x-request-id');
    const requestId = SAFE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
    ctx.state['requestId'] = requestId;
    ctx.set('X-Request-Id', requestId);
    const started = process.hrtime.bigint();
    try {
      await next();
    } finally {
      const durationMs = Number(process.hrtime.bigint() - started) / 1e6;
      const status = ctx.status;
      // 503 is this server saying "try again" (draining, a database interruption): worth a warning, not an alarm.
      const level = PROBES.has(ctx.path) ? 'debug' : status === 503 ? 'warn' : status >= 500 ? 'error' : 'info';
      // The line's fields (the client address among them) are gathered only when it is written.
      if (log.isLevelEnabled(level)) {
        log[level]({ requestId, method: ctx.method, path: ctx.path, status, durationMs: Math.round(durationMs * 10) / 10, ip: ctx.ip }, 'request');
      }
    }
  };
}
