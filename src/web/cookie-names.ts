/**
 * Cookie names. Over HTTPS every cookie carries a prefix that the browser itself enforces
 * (RFC 6265bis §4.1.3; ASVS 3.4.4):
 *
 *  - `__Host-` for cookies of the whole site (Path=/): Secure, and no Domain attribute, so
 *    only this host can have set it — a sibling subdomain cannot plant a session cookie;
 *  - `__Secure-` for cookies kept to a path (activation, DMS): Secure, so only an HTTPS
 *    response can have set it. (`__Host-` requires Path=/; keeping these cookies to their
 *    path is worth more.)
 *
 * Over plain HTTP (development, tests) names have no prefix: a browser refuses a prefixed
 * cookie that is not Secure.
 */
export type CookieScope = 'site' | 'path';

export function cookieName(base: string, scope: CookieScope, https: boolean): string {
  if (!https) return base;
  return `${scope === 'site' ? '__Host-' : '__Secure-'}${base}`;
}

/**
 * oidc-provider's cookies, named for the issuer (oidc-provider takes its names once, not per
 * request): its session — the single sign-on — is site-wide; its interaction cookies are kept
 * to their paths. Over HTTP, oidc-provider's own names.
 */
export function oidcCookieNames(issuer: string): { session: string; interaction: string; resume: string } {
  if (new URL(issuer).protocol !== 'https:') return { session: '_session', interaction: '_interaction', resume: '_interaction_resume' };
  return {
    session: cookieName('session', 'site', true),
    interaction: cookieName('interaction', 'path', true),
    resume: cookieName('interaction_resume', 'path', true),
  };
}
