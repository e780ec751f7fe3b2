/**
 * How a Delegated Administrator signs in to DMS: DMS is a first-party OpenID Connect client
 * (`ccass-dms`) of this very provider, so a DA logs in under exactly the same policy as
 * CCASS Terminal users (password + second factor, lockout, phases). openid-client performs
 * the authorization code flow with PKCE, state and nonce, and checks the ID token
 * (oidc/first-party-sign-in.ts); DMS then requires the two-factor `acr` and the DA role, and opens a DMS session kept in PostgreSQL.
 */
import type * as oidc from 'openid-client';
import type { Clock } from '../kernel/clock.js';
import { ACR, acrMeets } from '../oidc/assurance.js';
import { DMS_CLIENT, DMS_CLIENT_ID, firstPartySignedOutUri } from '../oidc/first-party-clients.js';
import { createFirstPartySignIn, isSessionValue, newSessionValue, refusedSignInEvent, sessionHash } from '../oidc/first-party-sign-in.js';
import { isLocked } from '../policy/lockout.js';
import type { SecretBox } from '../secrets/secret-box.js';
import type { Queries } from '../store/index.js';
import type { UserRow } from '../store/users.js';
import { dmsRefusal, type DmsRefusalCode } from './refusals.js';

export interface DmsSessionSettings {
  sessionIdleMinutes: number;
  sessionMaxHours: number;
}

export interface DmsSignInDependencies {
  issuer: string;
  cookieKeys: readonly string[];
  fetch: oidc.CustomFetch;
  box: SecretBox;
  queries: Pick<Queries, 'users' | 'dmsSessions' | 'audit'>;
  clock: Clock;
  settings: DmsSessionSettings;
}

export function hashDmsSession(id: string): string {
  return sessionHash('dms', id);
}

/** Only DMS pages may be returned to after sign-in (no open redirect). */
export function safeReturnPath(candidate: unknown): string {
  if (typeof candidate !== 'string' || !/^\/dms(\/[A-Za-z0-9._~\-/?=&%]*)?$/.test(candidate) || candidate.includes('//')) return '/dms';
  return candidate;
}

export interface DmsSignIn {
  begin(returnTo: string): Promise<{ url: URL; pending: string }>;
  /** Completes the code flow for the callback URL; the DA's user row, or a ForbiddenError whose refusal says why not. */
  complete(callbackUrl: URL, pending: string | undefined): Promise<{ user: UserRow; returnTo: string }>;
  openSession(user: UserRow): Promise<string>;
  /** The live session's DA, refreshing its idle timer; undefined when expired, ended or no longer allowed. */
  resume(session: string | undefined): Promise<UserRow | undefined>;
  end(session: string | undefined): Promise<void>;
  endSessionUrl(): URL;
}

export function createDmsSignIn(deps: DmsSignInDependencies): DmsSignIn {
  const refused = (code: DmsRefusalCode) => dmsRefusal(code);
  // The page to go back to rides along with the pending sign-in.
  const flow = createFirstPartySignIn<{ returnTo: string }>(DMS_CLIENT, deps, { sealContext: 'dms-sign-in', refuse: (failure) => refused(`sign_in_${failure}`) });

  return {
    // DMS changes who can log in to CCASS: only a two-factor login will do.
    begin: (returnTo) => flow.begin({ acr_values: ACR.twoFactor }, { returnTo: safeReturnPath(returnTo) }),

    async complete(callbackUrl, sealed) {
      const { claims, carried } = await flow.complete(callbackUrl, sealed);
      if (!acrMeets(typeof claims.acr === 'string' ? claims.acr : undefined, ACR.twoFactor)) throw refused('two_factor_needed');
      const user = await deps.queries.users.findBySubject(claims.sub);
      if (!user || user.role !== 'da' || user.status !== 'active' || isLocked(user, deps.clock.now())) {
        await deps.queries.audit.record(refusedSignInEvent(DMS_CLIENT, 'dms.login', user, user ? (user.role !== 'da' ? 'not_a_da' : 'not_active') : 'unknown_subject'));
        throw refused('no_dms_access');
      }
      return { user, returnTo: carried.returnTo };
    },

    async openSession(user) {
      const session = newSessionValue();
      const now = deps.clock.now();
      await deps.queries.dmsSessions.create({
        id_hash: hashDmsSession(session),
        user_id: user.id,
        participant_id: user.participant_id,
        created_at: now,
        last_seen_at: now,
        expires_at: new Date(now.getTime() + deps.settings.sessionMaxHours * 3600_000),
      });
      return session;
    },

    async resume(session) {
      if (!isSessionValue(session)) return undefined;
      const now = deps.clock.now();
      const row = await deps.queries.dmsSessions.touch(hashDmsSession(session), now, new Date(now.getTime() - deps.settings.sessionIdleMinutes * 60_000));
      if (!row) return undefined;
      const user = await deps.queries.users.findBySubject(row.user_id);
      // Re-checked on every request: a DA who is disabled, locked or demoted loses DMS at once.
      if (!user || user.role !== 'da' || user.status !== 'active' || isLocked(user, now) || user.participant_id !== row.participant_id) {
        await deps.queries.dmsSessions.end(row.id_hash);
        return undefined;
      }
      return user;
    },

    async end(session) {
      if (session) await deps.queries.dmsSessions.end(hashDmsSession(session));
    },

    endSessionUrl() {
      const url = new URL('/session/end', deps.issuer);
      url.search = new URLSearchParams({ client_id: DMS_CLIENT_ID, post_logout_redirect_uri: firstPartySignedOutUri(DMS_CLIENT, deps.issuer) }).toString();
      return url;
    },
  };
}
