import Router from '@koa/router';
import { isDatabaseReachable, type Database } from '../store/database.js';
import type { Lifecycle } from './lifecycle.js';

/**
 * `/healthz`: the process is up (liveness). `/readyz`: this node can serve logins, i.e. it
 * is not shutting down and its database answers (readiness; a load balancer stops sending
 * traffic when it fails).
 */
export function healthRoutes(db: Database, lifecycle: Lifecycle): Router {
  const router = new Router({ sensitive: true });
  router.get('/healthz', (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { status: 'ok' };
  });
  router.get('/readyz', async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    if (lifecycle.draining()) {
      ctx.status = 503;
      ctx.body = { status: 'not ready', checks: { shutdown: 'draining' } };
      return;
    }
    const database = await isDatabaseReachable(db);
    ctx.status = database ? 200 : 503;
    ctx.body = { status: database ? 'ready' : 'not ready', checks: { database: database ? 'ok' : 'unreachable' } };
  });
  return router;
}
