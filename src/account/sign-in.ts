/**
 * How a user opens their own security page: a fresh login, made for it there and then (ASVS
 * 5.0 V7.5.1: sensitive account changes need a recent authentication). The page is a
 * first-party OpenID Connect client (`ccass-account`) of this provider, as DMS is: openid-client
 * runs the code flow with PKCE, state and nonce and checks the ID token (oidc/first-party-sign-in.ts),
 * asking the provider for a new login whatever single sign-on there is (`prompt=login`,
 * `max_age=0`); the page then checks that the login really is new (`auth_time` at most
 * FRESH_LOGIN_SECONDS ago) and two-factor, and opens a session kept in PostgreSQL with a short
 * absolute lifetime, after which a new login is asked for.
 *
 * The session also remembers whether its login was phishing-resistant (a security key: the ID
 * token's acr meets phr) and whether the user had a key then. The sign-in asks for phr before
 * 2FA (acr_values are in order of preference), so a key login is named phr or phrh and a code
 * login 2FA; a user who has a key and opened the page with a code ("use a code instead") is
 * asked to log in again with the key (`acr_values=phr` alone) before the changes a phisher of
 * a code would want (security-page.ts). A smartcard login never opens the page: it is not 2FA.
 */
import type * as oidc from 'openid-client';
import type { Clock } from '../kernel/clock.js';
import { ForbiddenError } from '../kernel/errors.js';
import { ACR, acrMeets } from '../oidc/assurance.js';
import { ACCOUNT_CLIENT } from '../oidc/first-party-clients.js';
import { createFirstPartySignIn, isSessionValue, newSessionValue, refusedSignInEvent, sessionHash } from '../oidc/first-party-sign-in.js';
import { isLocked } from '../policy/lockout.js';
import type { SecretBox } from '../secrets/secret-box.js';
import type { AccountSessionRow } from '../store/account-sessions.js';
import type { Queries } from '../store/index.js';
import type { UserRow } from '../store/users.js';

/** How recent the login behind a new security-page session must be. */
export const FRESH_LOGIN_SECONDS = 5 * 60;
/** A security-page session ends this long after its login, however busy (a new login is asked for then). */
export const ACCOUNT_SESSION_MAX_MINUTES = 15;
/** ... and after this long without a request. */
export const ACCOUNT_SESSION_IDLE_MINUTES = 10;

export interface AccountSignInDependencies {
  issuer: string;
  cookieKeys: readonly string[];
  fetch: oidc.CustomFetch;
  box: SecretBox;
  queries: Pick<Queries, 'users' | 'accountSessions' | 'audit' | 'webauthnCredentials'>;
  clock: Clock;
}

export function hashAccountSession(id: string): string {
  return sessionHash('account', id);
}

/** The security page's session, as its routes see it. */
export interface AccountSession {
  user: UserRow;
  /** The hash of the cookie value: what binds CSRF tokens and WebAuthn challenges to this session. */
  idHash: string;
  oidcSessionUid: string | null;
  authTime: Date;
  expiresAt: Date;
  /** Its login was made with a security key (acr phr or phrh), not with a code. */
  phishingResistant: boolean;
  /** The user had a security key when it opened. */
  hadSecurityKey: boolean;
}

/** What a completed sign-in says of its login. */
export interface SignedIn {
  user: UserRow;
  authTime: Date;
  /** The ID token's acr meets phr: the login was made with a security key. */
  phishingResistant: boolean;
}

export interface AccountSignIn {
  /** `securityKey`: only a login with a security key will do (acr_values=phr), to open a session that may make every change. */
  begin(options?: { securityKey?: boolean }): Promise<{ url: URL; pending: string }>;
  /** Completes the code flow; the user, when and how they logged in, or a ForbiddenError saying why not. */
  complete(callbackUrl: URL, pending: string | undefined): Promise<SignedIn>;
  /** Opens the session; `oidcSessionUid`: the provider session of the login (what "sign out everywhere else" keeps). */
  openSession(signedIn: SignedIn, oidcSessionUid: string | null): Promise<string>;
  /** The live session, refreshing its idle timer; undefined when expired, ended or no longer allowed. */
  resume(session: string | undefined): Promise<AccountSession | undefined>;
  end(session: string | undefined): Promise<void>;
}

const refused = (reason: 'account.refusal.lost' | 'account.refusal.expired' | 'account.refusal.cancelled' | 'account.refusal.failed' | 'account.refusal.notFresh' | 'account.refusal.twoFactor' | 'account.refusal.noAccess') =>
  new ForbiddenError(reason);

export function createAccountSignIn(deps: AccountSignInDependencies): AccountSignIn {
  const flow = createFirstPartySignIn<Record<never, never>>(ACCOUNT_CLIENT, deps, { sealContext: 'account-sign-in', refuse: (failure) => refused(`account.refusal.${failure}`) });

  return {
    begin: (options = {}) =>
      flow.begin(
        {
          // A key login is named phr (or phrh), a code login 2FA; a smartcard login is neither (the client requires two factors).
          acr_values: options.securityKey ? ACR.phishingResistant : `${ACR.phishingResistant} ${ACR.twoFactor}`,
          // A new login whatever single sign-on the browser has (OIDC Core 3.1.2.1).
          prompt: 'login',
          max_age: '0',
        },
        {},
      ),

    async complete(callbackUrl, sealed) {
      const { claims } = await flow.complete(callbackUrl, sealed);
      const now = deps.clock.now();
      const user = await deps.queries.users.findBySubject(claims.sub);
      const authTime = typeof claims.auth_time === 'number' ? new Date(claims.auth_time * 1000) : undefined;
      const fresh = authTime !== undefined && now.getTime() - authTime.getTime() <= FRESH_LOGIN_SECONDS * 1000;
      const acr = typeof claims.acr === 'string' ? claims.acr : undefined;
      const twoFactor = acrMeets(acr, ACR.twoFactor);
      const allowed = user !== undefined && user.status === 'active' && !isLocked(user, now);
      if (!fresh || !twoFactor || !allowed) {
        const reason = !allowed ? (user ? 'not_active' : 'unknown_subject') : !twoFactor ? 'not_two_factor' : 'login_not_fresh';
        await deps.queries.audit.record(refusedSignInEvent(ACCOUNT_CLIENT, 'account.login', user, reason));
        throw refused(!allowed ? 'account.refusal.noAccess' : !twoFactor ? 'account.refusal.twoFactor' : 'account.refusal.notFresh');
      }
      // Only after the 2FA check: the smartcard's acr meets phr too, but it never opens the page.
      return { user, authTime: authTime as Date, phishingResistant: twoFactor && acrMeets(acr, ACR.phishingResistant) };
    },

    async openSession({ user, authTime, phishingResistant }, oidcSessionUid) {
      const session = newSessionValue();
      const now = deps.clock.now();
      const keys = await deps.queries.webauthnCredentials.listForUser(user.id);
      const row: AccountSessionRow = {
        id_hash: hashAccountSession(session),
        user_id: user.id,
        oidc_session_uid: oidcSessionUid,
        auth_time: authTime,
        phishing_resistant: phishingResistant,
        had_security_key: keys.length > 0,
        created_at: now,
        last_seen_at: now,
        expires_at: new Date(now.getTime() + ACCOUNT_SESSION_MAX_MINUTES * 60_000),
      };
      await deps.queries.accountSessions.create(row);
      return session;
    },

    async resume(session) {
      if (!isSessionValue(session)) return undefined;
      const now = deps.clock.now();
      const idHash = hashAccountSession(session);
      const row = await deps.queries.accountSessions.touch(idHash, now, new Date(now.getTime() - ACCOUNT_SESSION_IDLE_MINUTES * 60_000));
      if (!row) return undefined;
      const user = await deps.queries.users.findBySubject(row.user_id);
      // Re-checked on every request: a user disabled or locked meanwhile loses the page at once.
      if (!user || user.status !== 'active' || isLocked(user, now)) {
        await deps.queries.accountSessions.end(idHash);
        return undefined;
      }
      return {
        user,
        idHash,
        oidcSessionUid: row.oidc_session_uid,
        authTime: row.auth_time,
        expiresAt: row.expires_at,
        phishingResistant: row.phishing_resistant,
        hadSecurityKey: row.had_security_key,
      };
    },

    async end(session) {
      if (session) await deps.queries.accountSessions.end(hashAccountSession(session));
    },
  };
}
