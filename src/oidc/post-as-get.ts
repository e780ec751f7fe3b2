/**
 * POST on the authorization and end-session endpoints (OIDC Core 3.1.2.1, RP-Initiated
 * Logout 1.0 §2: both MUST accept GET and POST), served by the GET code path of oidc-provider.
 *
 * oidc-provider answers POST there only with `enableHttpPostMethods`, which it refuses unless
 * the session cookie is `SameSite=None` — and ours stays `Lax` (a CSRF defence; `None` also
 * needs `Secure`, which http://localhost development cannot have). So the form is read here,
 * checked as strictly as every other form of this server (url-encoded only, within
 * `server.bodyLimit`, percent-escapes that decode to UTF-8 without NUL), and handed on as the
 * equivalent GET: the parameters in the query string. A parameter sent twice, or in both the
 * query and the body, is refused with `invalid_request` (OAuth 2.0 §3.1: "Request and response
 * parameters MUST NOT be included more than once"), as oidc-provider refuses a repeated one.
 *
 * What a cross-site POST means with `Lax` cookies: the browser sends no cookie of ours with it
 * (`Lax` allows cross-site top-level navigations with safe methods only), so oidc-provider sees
 * no session — the user is asked to log in (`prompt=none`: `login_required`), and a logout
 * finds no session to end (README, "What relying parties get").
 */
import type { Context, Middleware, Next } from 'koa';
import getRawBody from 'raw-body';
import { pageLocale } from '../web/locale.js';
import type { Renderer } from '../web/render.js';
import { percentEncodedProblem, refuseBadText } from '../web/text-guard.js';
import { oidcErrorText } from './pages.js';

/** oidc-provider's routes (its defaults, which provider.ts keeps) and their names, for the error page. */
const POSTABLE_ROUTES = new Map([
  ['/auth', 'authorization'],
  ['/session/end', 'end_session'],
]);

const FORM = 'application/x-www-form-urlencoded';

class InvalidRequest extends Error {
  constructor(
    readonly status: 400 | 415,
    readonly description: string,
  ) {
    super(description);
  }
}

/** The form's parameters, each once and none also in the query; or why not. */
function parametersOf(query: URLSearchParams, encoded: string): URLSearchParams {
  const body = new URLSearchParams(encoded);
  const twice = new Set<string>();
  const seen = new Set<string>();
  for (const name of body.keys()) {
    if (seen.has(name) || query.has(name)) twice.add(name);
    seen.add(name);
  }
  for (const name of query.keys()) if (query.getAll(name).length > 1) twice.add(name);
  if (twice.size) {
    const names = [...twice].map((name) => `'${name}'`).join(', ');
    throw new InvalidRequest(400, `${names} ${twice.size === 1 ? 'parameter' : 'parameters'} must not be provided twice (in the body twice, or in both the query and the body)`);
  }
  const merged = new URLSearchParams(query);
  for (const [name, value] of body) merged.append(name, value);
  return merged;
}

/** Answers as oidc-provider answers a request it cannot redirect: OAuth JSON, or our error page. */
function refuse(ctx: Context, render: Renderer, route: string, error: InvalidRequest): void {
  ctx.status = error.status;
  ctx.set('Cache-Control', 'no-store');
  if (ctx.accepts(['html', 'json']) === 'json') {
    ctx.body = { error: 'invalid_request', error_description: error.description };
    return;
  }
  ctx.type = 'html';
  ctx.body = render('error', { ...oidcErrorText(route, 'invalid_request'), requestId: ctx.state['requestId'] as string }, pageLocale(ctx));
}

export function postedAsGet(options: { render: Renderer; bodyLimit: string }): Middleware {
  return async (ctx: Context, next: Next) => {
    const route = ctx.method === 'POST' ? POSTABLE_ROUTES.get(ctx.path) : undefined;
    if (!route) return next();
    let encoded = '';
    try {
      if (ctx.request.type && !ctx.is(FORM)) throw new InvalidRequest(415, `only ${FORM} bodies are accepted on POST ${ctx.path}`);
      // latin1: one character per byte, so a byte outside printable ASCII is seen (and refused) as such.
      if (ctx.request.type) encoded = await getRawBody(ctx.req, { length: ctx.request.length, limit: options.bodyLimit, encoding: 'latin1' });
      const problem = percentEncodedProblem(encoded);
      if (problem) return refuseBadText(ctx, problem);
      const parameters = parametersOf(new URLSearchParams(ctx.querystring), encoded);
      // One code path for both methods: from here on this is the GET with these parameters.
      delete ctx.req.headers['content-type'];
      delete ctx.req.headers['content-length'];
      ctx.method = 'GET';
      ctx.querystring = parameters.toString();
    } catch (error) {
      if (error instanceof InvalidRequest) return refuse(ctx, options.render, route, error);
      throw error; // a body over the limit (413) or cut short (400): answered as for every form
    }
    return next();
  };
}
