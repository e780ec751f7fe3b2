/**
 * Security headers for every response (helmet). The CSP allows scripts, styles, images and
 * form posts from this server only, and no framing (clickjacking on the login form).
 * oidc-provider adds the hash of its own auto-submit scripts to `script-src` when it needs one.
 *
 * helmet decides the headers; none of them depends on the request (no nonces, no directive
 * computed per request), so they are asked of helmet once, at start-up, and every response
 * gets that list: a dozen setHeader calls instead of helmet's chain of a dozen middlewares and
 * koa-helmet's promise around it. (On the login benchmark the difference is within noise.)
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Middleware } from 'koa';
import helmet from 'helmet';

/** What helmet is asked for (exported for the test that replays helmet live). */
export function helmetOptions(options: { https: boolean }): Parameters<typeof helmet>[0] {
  return {
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
  };
}

/**
 * The headers helmet sets with these options, in its order: helmet is run once against a
 * response that only records, and a request it may not look at. Anything else helmet would do
 * (read the request, an error, remove a header, finish later) stops start-up rather than be
 * guessed at: a header that depended on the request could not be computed once.
 */
export function helmetHeaders(options: { https: boolean }): ReadonlyArray<readonly [string, string]> {
  const headers = new Map<string, string>();
  const recorder = {
    setHeader(name: string, value: unknown) {
      if (typeof value !== 'string') throw new Error(`helmet set ${name} to a value that is not a string`);
      headers.set(name, value);
      return recorder;
    },
    // X-Powered-By: Koa never sets it, so there is nothing to remove on a real response.
    removeHeader(name: string) {
      if (name.toLowerCase() !== 'x-powered-by') throw new Error(`helmet removed ${name}, which this recorder cannot replay`);
    },
  };
  let finished = false;
  const noRequest = new Proxy(
    {},
    {
      get(_target, property) {
        throw new Error(`helmet read the request (${String(property)}): its headers would depend on it`);
      },
    },
  );
  helmet(helmetOptions(options))(noRequest as IncomingMessage, recorder as unknown as ServerResponse, (error?: unknown) => {
    if (error) throw error instanceof Error ? error : new Error(String(error));
    finished = true;
  });
  if (!finished) throw new Error('helmet did not set its headers at once');
  return [...headers];
}

export function securityHeaders(options: { https: boolean }): Middleware {
  const headers = helmetHeaders(options);
  return (ctx, next) => {
    for (const [name, value] of headers) ctx.res.setHeader(name, value);
    return next();
  };
}

/** Pages of the login flow must never be cached: they hold per-user, per-attempt state. */
export const noStore: Middleware = async (ctx, next) => {
  await next();
  ctx.set('Cache-Control', 'no-store');
  ctx.set('Pragma', 'no-cache');
};
