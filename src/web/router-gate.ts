/**
 * A router's middleware, run only for the paths it can answer. @koa/router tests the pattern
 * of every one of its routes against every request that reaches it; with fourteen router
 * middlewares in front of oidc-provider, a request to /auth or /token was matched against
 * every route of the service (about 3% of a login's CPU on the event loop, BENCHMARKS.md).
 * Which paths a router can answer comes from the router itself: its prefix, or the exact
 * paths of its routes. Matching stays as @koa/router's defaults have it — case-insensitive,
 * a trailing slash allowed — so no path answered before goes unanswered now.
 */
import type Router from '@koa/router';
import type { Middleware } from 'koa';

/** `withAllowedMethods`: also answer 405/501 for a path of the router asked with another method. */
export function gatedRouter(router: Router, { withAllowedMethods }: { withAllowedMethods: boolean }): Middleware {
  const routes = router.routes() as Middleware;
  const allowed = router.allowedMethods() as Middleware;
  // As two app.use() in a row: the routes, then (on their next) the 405/501 answers.
  const middleware: Middleware = withAllowedMethods ? (ctx, next) => routes(ctx, () => allowed(ctx, next)) : routes;
  const answers = pathsOf(router);
  return (ctx, next) => (answers(ctx.path) ? middleware(ctx, next) : next());
}

function pathsOf(router: Router): (path: string) => boolean {
  const prefix = router.opts.prefix?.toLowerCase();
  if (prefix) return (path) => startsWithSegment(path.toLowerCase(), prefix);
  const paths = router.stack.map((layer) => layer.path);
  // A route with parameters or a pattern: its router sees every request, as before.
  if (paths.some((path) => typeof path !== 'string' || /[:*?()[\]{}]/.test(path))) return () => true;
  const exact = new Set((paths as string[]).map((path) => path.toLowerCase()));
  return (path) => {
    const lower = path.toLowerCase();
    return exact.has(lower) || (lower.endsWith('/') && exact.has(lower.slice(0, -1)));
  };
}

/** `/dms` is under `/dms`, and so are `/dms/` and `/dms/users`; `/dmsx` is not. */
function startsWithSegment(path: string, prefix: string): boolean {
  return path === prefix || path.startsWith(prefix.endsWith('/') ? prefix : `${prefix}/`);
}
