/**
 * Where Prometheus scrapes: `GET /metrics` on the main port behind a bearer token
 * (`metrics.token`), or on a port of its own (`metrics.port`) that only the monitoring
 * network reaches, in which case the main port does not serve it at all.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import Router from '@koa/router';
import Koa from 'koa';
import type { Metrics } from './metrics.js';

function tokenMatches(given: string | undefined, expected: string): boolean {
  // Compare digests: equal length whatever was sent, and no early exit on the first wrong byte.
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return given !== undefined && timingSafeEqual(digest(given), digest(expected));
}

export function metricsRoutes(metrics: Metrics, token?: string): Router {
  const router = new Router({ sensitive: true });
  router.get('/metrics', async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    if (token) {
      const match = /^Bearer (.+)$/.exec(ctx.get('authorization'));
      if (!tokenMatches(match?.[1], token)) {
        ctx.status = 401;
        ctx.set('WWW-Authenticate', 'Bearer realm="metrics"');
        ctx.body = { error: 'unauthorized', error_description: 'Send the metrics token as "Authorization: Bearer <metrics.token>".' };
        return;
      }
    }
    ctx.type = metrics.registry.contentType;
    ctx.body = await metrics.registry.metrics();
  });
  return router;
}

/** The app for a separate metrics port: /metrics (with the token too, if one is set) and nothing else. */
export function createMetricsApp(metrics: Metrics, token?: string): Koa {
  const app = new Koa();
  app.silent = true;
  const router = metricsRoutes(metrics, token);
  app.use(router.routes());
  app.use(router.allowedMethods());
  return app;
}
