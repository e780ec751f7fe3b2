import Koa from 'koa';
import Router from '@koa/router';
import request from 'supertest';
import { gatedRouter } from '../../../src/web/router-gate.js';

/** Two routers shaped like the service's: one under a prefix with parameters and a guard, one of exact paths. */
function routers(): { pages: Router; health: Router; guarded: string[] } {
  const guarded: string[] = [];
  const pages = new Router({ prefix: '/dms', sensitive: true });
  // As the DMS routers do: a guard for every route of the router.
  pages.use((ctx, next) => {
    guarded.push(ctx.path);
    return next();
  });
  pages.get('/', (ctx) => void (ctx.body = 'dms home'));
  pages.get('/users/:userId', (ctx) => void (ctx.body = `user ${ctx.params['userId']} ${guarded.includes(ctx.path) ? 'guarded' : 'UNGUARDED'}`));
  pages.post('/users/:userId/reset', (ctx) => void (ctx.body = 'reset'));
  const health = new Router({ sensitive: true });
  health.get('/healthz', (ctx) => void (ctx.body = 'ok'));
  health.get('/assets/app.css', (ctx) => void (ctx.body = 'css'));
  return { pages, health, guarded };
}

const reachedEnd: string[] = [];

function app(gated: boolean): Koa {
  const koa = new Koa();
  const { pages, health } = routers();
  // In the order the service mounts them (app.ts): the exact-path routers, then the prefixed ones.
  if (gated) {
    koa.use(gatedRouter(health, { withAllowedMethods: false }));
    koa.use(gatedRouter(pages, { withAllowedMethods: true }));
  } else {
    koa.use(health.routes());
    koa.use(pages.routes());
    koa.use(pages.allowedMethods());
  }
  // What comes after the routers, as in the service: a path nobody answered is a 404 (app.ts), thrown.
  koa.use(async (ctx, next) => {
    ctx.set('X-Reached-End', ctx.path);
    reachedEnd.push(ctx.path);
    await next();
    if (ctx.status === 404 && ctx.body == null) ctx.throw(404);
  });
  return koa;
}

const PATHS = [
  '/dms', '/dms/', '/dms/users/alice', '/dms/users/alice/', '/dms/users/alice/reset', '/dmsx', '/dms-api',
  '/healthz', '/healthz/', '/healthzz', '/assets/app.css', '/assets', '/auth', '/token', '/', '/interaction/x',
];
/** Paths of ours in another case: not ours (a router.use() guard matches one case only). */
const OTHER_CASE = ['/DMS', '/Dms/users/alice', '/dms/Users/alice', '/DMS/users/alice/reset', '/HEALTHZ', '/assets/APP.css'];

describe('a gated router', () => {
  const plain = app(false).callback();
  const gated = app(true).callback();

  it.each(['GET', 'POST', 'PUT', 'DELETE', 'PATCH'])('answers %s on every path exactly as the router mounted alone does', async (method) => {
    for (const path of [...PATHS, ...OTHER_CASE]) {
      const verb = method.toLowerCase() as 'get' | 'post' | 'put' | 'delete' | 'patch';
      const [before, after] = await Promise.all([request(plain)[verb](path), request(gated)[verb](path)]);
      const seen = (response: request.Response) => ({ path, status: response.status, body: response.text, allow: response.headers['allow'], end: response.headers['x-reached-end'] });
      expect(seen(after)).toEqual(seen(before));
    }
  });

  it('never runs a route without its router\'s guard, and does not answer a path of ours in another case', async () => {
    for (const path of OTHER_CASE) expect({ path, status: (await request(gated).get(path)).status }).toEqual({ path, status: 404 });
    expect((await request(gated).get('/dms/users/alice')).text).toBe('user alice guarded');
  });

  it('lets a path the router cannot answer through to what comes after', async () => {
    reachedEnd.length = 0;
    expect((await request(gated).get('/token')).status).toBe(404);
    expect(reachedEnd).toEqual(['/token']);
  });

  it('still sees every request when a route of a prefix-less router has parameters', async () => {
    const koa = new Koa();
    const router = new Router({ sensitive: true });
    router.get('/things/:id', (ctx) => void (ctx.body = `thing ${ctx.params['id']}`));
    koa.use(gatedRouter(router, { withAllowedMethods: false }));
    expect((await request(koa.callback()).get('/things/7')).text).toBe('thing 7');
  });

  it('refuses to mount a router that matches routes in any case', () => {
    expect(() => gatedRouter(new Router({ prefix: '/dms' }), { withAllowedMethods: true })).toThrow(/sensitive/);
  });
});
