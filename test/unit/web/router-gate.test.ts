import Koa from 'koa';
import Router from '@koa/router';
import request from 'supertest';
import { gatedRouter } from '../../../src/web/router-gate.js';

/** Two routers shaped like the service's: one under a prefix with parameters, one of exact paths. */
function routers(): Router[] {
  const pages = new Router({ prefix: '/dms' });
  pages.get('/', (ctx) => void (ctx.body = 'dms home'));
  pages.get('/users/:userId', (ctx) => void (ctx.body = `user ${ctx.params['userId']}`));
  pages.post('/users/:userId/reset', (ctx) => void (ctx.body = 'reset'));
  const health = new Router();
  health.get('/healthz', (ctx) => void (ctx.body = 'ok'));
  health.get('/assets/app.css', (ctx) => void (ctx.body = 'css'));
  return [pages, health];
}

function app(gated: boolean): Koa {
  const koa = new Koa();
  const [pages, health] = routers() as [Router, Router];
  if (gated) {
    koa.use(gatedRouter(pages, { withAllowedMethods: true }));
    koa.use(gatedRouter(health, { withAllowedMethods: false }));
  } else {
    koa.use(pages.routes());
    koa.use(pages.allowedMethods());
    koa.use(health.routes());
  }
  // What comes after the routers (oidc-provider, in the service) answers what they did not.
  koa.use((ctx) => void (ctx.body = `after the routers: ${ctx.path}`));
  return koa;
}

const PATHS = [
  '/dms', '/dms/', '/DMS', '/Dms/Users/alice', '/dms/users/alice', '/dms/users/alice/', '/dms/users/alice/reset', '/dmsx', '/dms-api',
  '/healthz', '/HEALTHZ', '/healthz/', '/healthzz', '/assets/app.css', '/assets/APP.css', '/assets', '/auth', '/token', '/', '/interaction/x',
];

describe('a gated router', () => {
  const plain = app(false).callback();
  const gated = app(true).callback();

  it.each(['GET', 'POST', 'PUT', 'DELETE'])('answers %s on every path exactly as the router mounted alone does', async (method) => {
    for (const path of PATHS) {
      const verb = method.toLowerCase() as 'get' | 'post' | 'put' | 'delete';
      const [before, after] = await Promise.all([request(plain)[verb](path), request(gated)[verb](path)]);
      expect({ path, status: after.status, body: after.text, allow: after.headers['allow'] }).toEqual({ path, status: before.status, body: before.text, allow: before.headers['allow'] });
    }
  });

  it('lets a path the router cannot answer through without matching it', async () => {
    const response = await request(gated).get('/token');
    expect(response.text).toBe('after the routers: /token');
  });

  it('still sees every request when a route of a prefix-less router has parameters', async () => {
    const koa = new Koa();
    const router = new Router();
    router.get('/things/:id', (ctx) => void (ctx.body = `thing ${ctx.params['id']}`));
    koa.use(gatedRouter(router, { withAllowedMethods: false }));
    expect((await request(koa.callback()).get('/things/7')).text).toBe('thing 7');
  });
});
