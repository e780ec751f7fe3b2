/**
 * The Koa application: cross-cutting middleware, our own routes (health, assets, login
 * interactions), then oidc-provider for every OIDC endpoint.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { bodyParser } from '@koa/bodyparser';
import Router from '@koa/router';
import Koa from 'koa';
import mount from 'koa-mount';
import type Provider from 'oidc-provider';
import type { Config } from '../config/schema.js';
import type { Clock } from '../clock.js';
import type { EmailOtpDependencies } from '../factors/email-otp.js';
import type { PasswordHasher } from '../factors/password.js';
import type { TotpDependencies } from '../factors/totp-service.js';
import { createCsrfTokens } from '../interactions/csrf.js';
import { interactionRoutes } from '../interactions/routes.js';
import { healthRoutes } from '../observability/health.js';
import type { Logger } from '../observability/logger.js';
import { requestContext } from '../observability/request-context.js';
import type { Database } from '../store/database.js';
import type { Queries } from '../store/index.js';
import { errorHandler } from './error-handler.js';
import type { Renderer } from './render.js';
import { securityHeaders } from './security-headers.js';

export interface AppDependencies {
  config: Config;
  db: Database;
  queries: Queries;
  provider: Provider;
  hasher: PasswordHasher;
  render: Renderer;
  cookieKeys: string[];
  log: Logger;
  clock: Clock;
  totp: TotpDependencies;
  emailOtp: EmailOtpDependencies;
}

const STYLESHEET = readFileSync(fileURLToPath(new URL('./assets/app.css', import.meta.url)));

export function createApp(deps: AppDependencies): Koa {
  const app = new Koa({ proxy: deps.config.server.trustProxy });
  app.silent = true; // errors are logged by our handlers, with the request id
  // oidc-provider runs mounted inside this app and sets its cookies through our context:
  // the same keys must sign them here as verify them there.
  app.keys = deps.cookieKeys;
  app.use(requestContext(deps.log));
  app.use(securityHeaders({ https: deps.config.issuer.startsWith('https://') }));
  app.use(errorHandler(deps.log, deps.render));

  const assets = new Router();
  assets.get('/assets/app.css', (ctx) => {
    ctx.type = 'text/css';
    ctx.set('Cache-Control', 'public, max-age=3600');
    ctx.body = STYLESHEET;
  });
  // Browsers ask for it on every page; there is none, and a 404 would clutter logs and consoles.
  assets.get('/favicon.ico', (ctx) => {
    ctx.status = 204;
    ctx.set('Cache-Control', 'public, max-age=86400');
  });
  app.use(assets.routes());
  app.use(healthRoutes(deps.db).routes());

  const interactions = interactionRoutes({
    provider: deps.provider,
    queries: deps.queries,
    hasher: deps.hasher,
    render: deps.render,
    csrf: createCsrfTokens(deps.cookieKeys),
    log: deps.log,
    clock: deps.clock,
    lockout: deps.config.lockout,
    totp: deps.totp,
    emailOtp: deps.emailOtp,
  });
  // Our forms are url-encoded only; a body of any other type, or too large, is refused (415/413).
  const forms = bodyParser({ enableTypes: ['form'], formLimit: deps.config.server.bodyLimit, encoding: 'utf-8' });
  app.use(async (ctx, next) => {
    if (ctx.path.startsWith('/interaction/') && ctx.method === 'POST') {
      if (!ctx.is('application/x-www-form-urlencoded')) ctx.throw(415, 'Forms must be sent as application/x-www-form-urlencoded.');
      return forms(ctx, next);
    }
    return next();
  });
  app.use(interactions.routes());
  app.use(interactions.allowedMethods());

  app.use(mount(deps.provider));
  return app;
}
