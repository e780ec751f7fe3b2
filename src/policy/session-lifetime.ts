/**
 * How long a login session lives (NIST SP 800-63B §4.2.3, AAL2): it ends after `idleSeconds`
 * without activity, and `absoluteSeconds` after the login in any case, whatever the activity.
 * Activity is a browser request that uses the session (oidc-provider saves the session, and
 * asks for its lifetime, on each) or a relying party refreshing tokens bound to it.
 */
export interface SessionLifetime {
  idleSeconds: number;
  absoluteSeconds: number;
}

/**
 * Seconds the session may live from `now` (epoch seconds): a full idle window, but never past
 * `loginTs + absoluteSeconds`. A session not yet logged in gets the idle window. At least 1,
 * because the store needs a positive lifetime; a session past its absolute end is saved for
 * that one second and is then gone.
 */
export function sessionTtlSeconds(lifetime: SessionLifetime, now: number, loginTs?: number): number {
  const idle = lifetime.idleSeconds;
  if (loginTs === undefined) return idle;
  const remaining = loginTs + lifetime.absoluteSeconds - now;
  return Math.max(1, Math.min(idle, remaining));
}

/** When a session used at `now` ends (see sessionTtlSeconds). */
export function sessionExpiresAt(lifetime: SessionLifetime, now: Date, loginTs?: number): Date {
  const nowSeconds = Math.floor(now.getTime() / 1000);
  return new Date((nowSeconds + sessionTtlSeconds(lifetime, nowSeconds, loginTs)) * 1000);
}
