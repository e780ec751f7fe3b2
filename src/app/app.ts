/**
 * The Koa application: cross-cutting middleware, our own routes (health, assets, login
 * interactions), then oidc-provider for every OIDC endpoint.
 */
import { bodyParser } from '@koa/bodyparser';
import Koa from 'koa';
import mount from 'koa-mount';
import type Provider from 'oidc-provider';
import { errors as oidcErrors } from 'oidc-provider';
import type { ProviderRef } from '../oidc/provider-host.js';
import { dmsApiRoutes } from '../dms/api.js';
import { inProcessFetch } from '../dms/in-process-fetch.js';
import { dmsPageRoutes } from '../dms/pages.js';
import { createDmsSignIn } from '../dms/sign-in.js';
import { activationRoutes } from '../enrolment/routes.js';
import { accountRoutes } from '../account/routes.js';
import { createAccountSignIn } from '../account/sign-in.js';
import { createCsrfTokens } from '../web/csrf.js';
import { interactionRoutes, type SmartcardLogin } from '../login/routes.js';
import { healthRoutes } from '../observability/health.js';
import type { Lifecycle } from '../observability/lifecycle.js';
import { metricsRoutes } from '../observability/metrics-endpoint.js';
import { requestTiming } from '../observability/http-metrics.js';
import { statusRoutes } from '../observability/status.js';
import { requestContext } from '../observability/request-context.js';
import { withBatchedOidcWrites } from '../store/oidc-adapter.js';
import type { Services } from './services.js';
import { errorHandler, withHotline } from '../web/error-handler.js';
import { formPostPages } from '../oidc/pages.js';
import { postedAsGet } from '../oidc/post-as-get.js';
import { addressMatcher } from '../kernel/address-ranges.js';
import { isOAuthJsonEndpoint, percentEncodedProblem, refuseBadText, requestTargetGuard } from '../web/text-guard.js';
import { problemIn } from '../kernel/storable-text.js';
import type { Renderer } from '../web/render.js';
import { securityHeaders } from '../web/security-headers.js';
import { localeMiddleware, pageLocale } from '../web/locale.js';
import { assetRoutes } from '../web/assets.js';
import { CookieSigner } from '../web/cookie-signing.js';
import { gatedRouter } from '../web/router-gate.js';

/** What the web app adds to the services: the provider, the renderer, cookie keys, the smartcard listener, draining. */
export interface WebParts {
  provider: ProviderRef;
  render: Renderer;
  cookieKeys: string[];
  smartcard?: SmartcardLogin | undefined;
  lifecycle: Lifecycle;
}

/** The headers a reverse proxy speaks for the client with. */
const FORWARDED_HEADERS = ['x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'x-forwarded-port', 'forwarded'];

/** Paths whose POST bodies our routes read themselves, as bytes (CSV uploads). */
const RAW_UPLOADS = new Set(['/dms/upload', '/dms/api/uploads']);

/** The routes this app answers itself (the rest is oidc-provider's). */
const OWN_ROUTES = /^\/(interaction|activate|dms|account)(\/|$)/;

/** 503 with Retry-After and the "try again" message: JSON for API clients, the error page for browsers. */
function answerTryAgain(ctx: Koa.Context, render: Renderer): void {
  ctx.status = 503;
  ctx.set('Retry-After', '1');
  ctx.set('Cache-Control', 'no-store');
  if (!isOAuthJsonEndpoint(ctx.path) && ctx.accepts(['html', 'json']) === 'html') {
    ctx.type = 'html';
    ctx.body = render('error', { title: 'error.pleaseWait', message: 'error.tryAgain', requestId: ctx.state['requestId'] }, pageLocale(ctx));
  } else {
    ctx.body = { error: 'temporarily_unavailable', error_description: 'the service briefly lost its database connection; try again' };
  }
}


export function createApp(services: Services, web: WebParts): Koa {
  const deps = { ...services, ...web };
  const app = new Koa({ proxy: deps.config.server.trustProxy });
  const render = withHotline(deps.render, deps.config.support.hotline);
  app.silent = true; // errors are logged by our handlers, with the request id
  // Forwarded headers are believed from the configured proxies only (the TCP peer decides,
  // as for the certificate header): from anyone else they are dropped before Koa or
  // oidc-provider reads them, so a client cannot choose its address, scheme or host.
  if (deps.config.server.trustProxy && deps.config.server.trustedProxyAddresses.length) {
    const fromProxy = addressMatcher(deps.config.server.trustedProxyAddresses);
    app.use((ctx, next) => {
      if (!fromProxy(ctx.req.socket.remoteAddress)) for (const header of FORWARDED_HEADERS) delete ctx.req.headers[header];
      return next();
    });
  }
  // oidc-provider runs mounted inside this app and sets its cookies through our context:
  // the same keys must sign them here as verify them there.
  app.keys = new CookieSigner(deps.cookieKeys);
  app.use(requestTiming(deps.metrics));
  // While draining, every answer closes its connection: keep-alive clients reconnect, to another node.
  app.use((ctx, next) => {
    if (deps.lifecycle.draining()) ctx.set('Connection', 'close');
    return next();
  });
  app.use(requestContext(deps.log));
  app.use(securityHeaders({ https: deps.config.issuer.startsWith('https://') }));
  app.use(localeMiddleware({ https: deps.config.issuer.startsWith('https://') }));
  app.use(errorHandler(deps.log, render));
  // Before any route, oidc-provider's included: no NUL, no bytes that are not UTF-8 in the URL.
  app.use(requestTargetGuard());

  // Each router sees only the paths it can answer (web/router-gate.ts).
  const only = { withAllowedMethods: false };
  app.use(gatedRouter(assetRoutes(), only));
  app.use(gatedRouter(healthRoutes(deps.db, deps.lifecycle), only));
  app.use(gatedRouter(statusRoutes(deps.policy, Boolean(deps.smartcard), { deadlines: deps.deadlines.calendar?.deadlines ?? [], clock: deps.clock }), only));
  // With a metrics port of its own, the public port does not answer /metrics at all.
  if (!deps.config.metrics.port) app.use(gatedRouter(metricsRoutes(deps.metrics, deps.config.metrics.token), only));

  const csrf = createCsrfTokens(deps.cookieKeys);
  const interactions = interactionRoutes({
    ...deps,
    render,
    csrf,
    lockout: deps.config.lockout,
    passwordRules: deps.config.password,
    interactionTtlSeconds: deps.config.oidc.ttl.interaction,
  });
  const activation = activationRoutes({
    ...deps.activation,
    clients: deps.config.oidc.clients,
    queries: deps.queries,
    hasher: deps.hasher,
    rules: deps.config.password,
    render,
    csrf,
    totp: deps.totp,
    emailOtp: deps.emailOtp,
    limits: deps.limits,
    metrics: deps.metrics,
  });
  let callback: ReturnType<Koa['callback']> | undefined;
  const signIn = createDmsSignIn({
    issuer: deps.config.issuer,
    cookieKeys: deps.cookieKeys,
    // DMS redeems its codes at this node's own token endpoint, in memory.
    fetch: inProcessFetch(() => (callback ??= app.callback())),
    box: deps.box,
    queries: deps.queries,
    clock: deps.clock,
    settings: deps.config.dms,
  });
  const dmsDependencies = { ...deps.activation, queries: deps.queries, signIn, csrf, csvLimits: deps.config.dms.csv, makerChecker: deps.config.makerChecker };
  const dmsPages = dmsPageRoutes({ ...dmsDependencies, render, sessionMaxHours: deps.config.dms.sessionMaxHours });
  const dmsApi = dmsApiRoutes(dmsDependencies);
  // The user's own security page: a first-party client too, its code exchange in memory like DMS's.
  const account = accountRoutes({
    ...deps,
    signIn: createAccountSignIn({ issuer: deps.config.issuer, cookieKeys: deps.cookieKeys, fetch: inProcessFetch(() => (callback ??= app.callback())), box: deps.box, queries: deps.queries, clock: deps.clock }),
    render,
    csrf,
    passwordRules: deps.config.password,
    lockout: deps.config.lockout,
  });

  // POST on /auth and /session/end becomes the equivalent GET, before any body parser (oidc/post-as-get.ts).
  app.use(postedAsGet({ render, bodyLimit: deps.config.server.bodyLimit }));

  // Our forms are url-encoded and the DMS API takes JSON; any other body type is refused
  // (415), as is a body over the limit (413). CSV uploads are read by their routes, as bytes.
  const forms = bodyParser({ enableTypes: ['form'], formLimit: deps.config.server.bodyLimit, encoding: 'utf-8' });
  const json = bodyParser({ enableTypes: ['json'], jsonLimit: deps.config.server.bodyLimit, encoding: 'utf-8' });
  app.use(async (ctx, next) => {
    if (!['POST', 'PUT', 'PATCH', 'DELETE'].includes(ctx.method) || RAW_UPLOADS.has(ctx.path)) return next();
    if (ctx.path.startsWith('/dms/api/')) {
      if (ctx.request.length && !ctx.is('application/json')) ctx.throw(415, 'Send JSON (Content-Type: application/json).');
      return json(ctx, next);
    }
    if (/^\/(interaction|activate|dms|account)\//.test(ctx.path)) {
      if (!ctx.is('application/x-www-form-urlencoded')) ctx.throw(415, 'Forms must be sent as application/x-www-form-urlencoded.');
      return forms(ctx, next);
    }
    return next();
  });
  // Parsed bodies of our routes: the raw form must be UTF-8 and no value may hold a NUL or a
  // lone surrogate (PostgreSQL refuses them: a 400 here instead of a 500 there).
  app.use((ctx, next) => {
    if (OWN_ROUTES.test(ctx.path)) {
      const raw = (ctx.request as { rawBody?: unknown }).rawBody;
      const problem = (typeof raw === 'string' && ctx.is('application/x-www-form-urlencoded') ? percentEncodedProblem(raw) : undefined) ?? problemIn(ctx.request.body);
      if (problem) return refuseBadText(ctx, problem);
    }
    return next();
  });
  for (const router of [interactions, activation, dmsApi, dmsPages, account]) app.use(gatedRouter(router, { withAllowedMethods: true }));

  // oidc-provider is mounted last. The instance can be replaced (signing key rotation):
  // each request goes to the current one, mounted once per instance. Its self-submitting form
  // is replaced by our page; a path nobody answered gets our 404 page (not Koa's "Not Found").
  app.use(async (ctx, next) => {
    await next();
    if (ctx.status === 404 && ctx.body == null) ctx.throw(404);
  });
  app.use(formPostPages(render));
  let mountedFor: Provider | undefined;
  let mounted: Koa.Middleware = async () => undefined;
  app.use(async (ctx, next) => {
    const provider = deps.provider.current();
    if (provider !== mountedFor) {
      mounted = mount(provider);
      mountedFor = provider;
    }
    // Its writes of one request go to PostgreSQL together, at the end (store/oidc-adapter.ts).
    try {
      await withBatchedOidcWrites(() => mounted(ctx, next));
    } catch (error) {
      // What oidc-provider set for a success that did not happen (its writes failed at the end)
      // must not reach the browser with the error: no cookie for a session never written, no redirect.
      ctx.remove('Set-Cookie');
      ctx.remove('Location');
      // A code or refresh token consumed by another request first, found as the writes were sent
      // (store/oidc-adapter.ts): answered as oidc-provider answers it, in place of the tokens.
      if (error instanceof oidcErrors.OIDCProviderError && error.statusCode < 500 && isOAuthJsonEndpoint(ctx.path)) {
        ctx.status = error.statusCode;
        ctx.set('Cache-Control', 'no-store');
        ctx.body = { error: error.error, error_description: error.error_description };
        return;
      }
      throw error;
    }
    // oidc-provider answers any failure of its storage as server_error (500); a database
    // interruption is answered as every route of ours answers it: 503, try again.
    if (ctx.state['transientDatabaseError'] && ctx.status === 500) answerTryAgain(ctx, render);
  });
  return app;
}
