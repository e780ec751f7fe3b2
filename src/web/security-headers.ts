/**
 * Security headers for every response (helmet). The CSP allows scripts, styles, images and
 * form posts from this server only, and no framing (clickjacking on the login form).
 * oidc-provider adds the hash of its own auto-submit scripts to `script-src` when it needs one.
 */
import type { Middleware } from 'koa';
import helmet from 'koa-helmet';

export function securityHeaders(options: { https: boolean }): Middleware {
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        'default-src': ["'self'"],
        'script-src': ["'self'"],
        'style-src': ["'self'"],
        'img-src': ["'self'", 'data:'],
        'object-src': ["'none'"],
        'base-uri': ["'none'"],
        'frame-ancestors': ["'none'"],
        // No form-action: after a login the browser is redirected to the relying party's
        // callback, which Chrome would treat as a form target and block.
      },
    },
    strictTransportSecurity: options.https ? { maxAge: 31_536_000, includeSubDomains: true } : false,
    crossOriginEmbedderPolicy: false,
    referrerPolicy: { policy: 'no-referrer' },
  }) as unknown as Middleware;
}

/** Pages of the login flow must never be cached: they hold per-user, per-attempt state. */
export const noStore: Middleware = async (ctx, next) => {
  await next();
  ctx.set('Cache-Control', 'no-store');
  ctx.set('Pragma', 'no-cache');
};
