/**
 * Bad bytes stop at the door, for every route — ours and oidc-provider's. PostgreSQL text
 * cannot hold U+0000, its JSON cannot hold a lone UTF-16 surrogate, and a percent-escape that
 * is not UTF-8 would be read as U+FFFD: a different value from the one sent. None of these is
 * text anybody meant, so a request carrying one is refused with a 400 before any route reads
 * it (an OAuth `invalid_request` on the OAuth endpoints, RFC 6749 §5.2), and nothing changes.
 */
import type { Context, Middleware } from 'koa';
import type { TextProblem } from '../kernel/storable-text.js';

const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true });
const HEX = /^[0-9A-Fa-f]{2}$/;

/**
 * Percent-encoded text (a request target, an url-encoded form): escapes are decoded to bytes
 * and the bytes must be UTF-8 without NUL. A '%' not followed by two hex digits is a literal
 * '%', as every parser here reads it.
 */
export function percentEncodedProblem(encoded: string): TextProblem | undefined {
  // RFC 3986 §2: a URI is printable ASCII; anything else arrived unescaped.
  if (!/^[\x20-\x7e]*$/.test(encoded)) return 'raw_byte';
  if (!encoded.includes('%')) return undefined;
  const bytes = new Uint8Array(encoded.length);
  let length = 0;
  for (let index = 0; index < encoded.length; index += 1) {
    const pair = encoded.slice(index + 1, index + 3);
    if (encoded[index] === '%' && HEX.test(pair)) {
      bytes[length] = Number.parseInt(pair, 16);
      index += 2;
    } else {
      bytes[length] = encoded.charCodeAt(index);
    }
    length += 1;
  }
  let text: string;
  try {
    text = STRICT_UTF8.decode(bytes.subarray(0, length));
  } catch {
    return 'invalid_utf8';
  }
  return text.includes('\u0000') ? 'nul' : undefined;
}

/** oidc-provider's endpoints for relying parties' back ends: they answer in OAuth JSON, whatever the Accept header says. */
const OAUTH_JSON_ENDPOINTS = /^\/(token(\/introspection|\/revocation)?|me|jwks|reg|request)(\/|$)/;

export const isOAuthJsonEndpoint = (path: string): boolean => OAUTH_JSON_ENDPOINTS.test(path);

const DESCRIPTION = 'the request contains a NUL character, a lone surrogate or bytes that are not UTF-8 text, which no parameter accepts';

/** Refuses the request: OAuth JSON on the OAuth endpoints, the error page (or JSON) everywhere else. */
export function refuseBadText(ctx: Context, problem: TextProblem): void {
  ctx.state['textProblem'] = problem;
  if (isOAuthJsonEndpoint(ctx.path)) {
    ctx.status = 400;
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { error: 'invalid_request', error_description: DESCRIPTION };
    return;
  }
  ctx.throw(400, 'error.badText', { expose: true });
}

/** The request target (path and query) of every request, before any route. */
export function requestTargetGuard(): Middleware {
  return (ctx, next) => {
    const problem = percentEncodedProblem(ctx.url);
    if (problem) return refuseBadText(ctx, problem);
    return next();
  };
}
