/**
 * A router's middleware, run only for the paths it can answer. @koa/router tests the pattern
 * of every one of its routes against every request that reaches it; with fourteen router
 * middlewares in front of oidc-provider, a request to /auth or /token was matched against
 * every route of the service (about 3% of a login's CPU on the event loop, BENCHMARKS.md).
 * Which paths a router can answer comes from the router itself: its prefix, or the exact
 * paths of its routes (a trailing slash allowed, as @koa/router allows it).
 *
 * Every router mounted here matches paths case-sensitively, and the gate does too. @koa/router
 * matches routes in any case by default, but a middleware added with router.use() only in the
 * case it was written in: `/DMS/API/session` reached the DMS API's handler without its
 * sign-in and CSRF middlewares. A path in another case is not one of ours (404).
 */
import type Router from '@koa/router';
import type { Middleware } from 'koa';

/** `withAllowedMethods`: also answer 405/501 for a path of the router asked with another method. */
export function gatedRouter(router: Router, { withAllowedMethods }: { withAllowedMethods: boolean }): Middleware {
  if (router.opts.sensitive !== true) throw new Error('a router is mounted only with { sensitive: true }: its middlewares match paths in one case, so its routes must too');
  const routes = router.routes() as Middleware;
  const allowed = router.allowedMethods() as Middleware;
  // As two app.use() in a row: the routes, then (on their next) the 405/501 answers.
  const middleware: Middleware = withAllowedMethods ? (ctx, next) => routes(ctx, () => allowed(ctx, next)) : routes;
  const answers = pathsOf(router);
  return (ctx, next) => (answers(ctx.path) ? middleware(ctx, next) : next());
}

function pathsOf(router: Router): (path: string) => boolean {
  const prefix = router.opts.prefix;
  if (prefix) return (path) => startsWithSegment(path, prefix);
  const paths = router.stack.map((layer) => layer.path);
  // A route with parameters or a pattern: its router sees every request, as before.
  if (paths.some((path) => typeof path !== 'string' || /[:*?()[\]{}]/.test(path))) return () => true;
  // Read once: the routers mounted here have all their routes before they are mounted.
  const exact = new Set(paths as string[]);
  return (path) => exact.has(path) || (path.endsWith('/') && exact.has(path.slice(0, -1)));
}

/** `/dms` is under `/dms`, and so are `/dms/` and `/dms/users`; `/dmsx` is not. */
function startsWithSegment(path: string, prefix: string): boolean {
  return path === prefix || path.startsWith(prefix.endsWith('/') ? prefix : `${prefix}/`);
}
