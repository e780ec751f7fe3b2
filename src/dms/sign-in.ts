/**
 * How a Delegated Administrator signs in to DMS: DMS is a first-party OpenID Connect client
 * (`ccass-dms`) of this very provider, so a DA logs in under exactly the same policy as
 * CCASS Terminal users (password + second factor, lockout, phases). openid-client performs
 * the authorization code flow with PKCE, state and nonce, and checks the ID token; DMS then
 * requires the two-factor `acr` and the DA role, and opens a DMS session kept in PostgreSQL.
 */
import { createHash, randomBytes } from 'node:crypto';
import * as oidc from 'openid-client';
import type { Clock } from '../kernel/clock.js';
import { ACR, acrMeets } from '../oidc/assurance.js';
import { DMS_CLIENT_ID, dmsClientSecret, dmsRedirectUri } from '../oidc/dms-client.js';
import { isLocked } from '../policy/lockout.js';
import type { SecretBox } from '../secrets/secret-box.js';
import type { Queries } from '../store/index.js';
import type { UserRow } from '../store/users.js';
import { dmsRefusal, type DmsRefusalCode } from './refusals.js';

export { DMS_CLIENT_ID, dmsClientSecret, dmsRedirectUri } from '../oidc/dms-client.js';

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

/** What the browser keeps between leaving for /auth and coming back: sealed, so neither readable nor forgeable. */
interface PendingSignIn {
  state: string;
  nonce: string;
  verifier: string;
  returnTo: string;
  /** Epoch ms after which the pending sign-in is refused, whatever the cookie's own expiry. */
  expiresAt: number;
}

/** As long as a login interaction may take. */
const PENDING_MS = 15 * 60_000;

const PENDING_CONTEXT = 'dms-sign-in';

export function hashDmsSession(id: string): string {
  return createHash('sha256').update(`dms:${id}`).digest('hex');
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
  let configuration: Promise<oidc.Configuration> | undefined;
  const discover = () => {
    configuration ??= oidc
      .discovery(new URL(deps.issuer), DMS_CLIENT_ID, undefined, oidc.ClientSecretBasic(dmsClientSecret(deps.cookieKeys)), {
        [oidc.customFetch]: deps.fetch,
        ...(deps.issuer.startsWith('http://') ? { execute: [oidc.allowInsecureRequests] } : {}),
      })
      .catch((error: unknown) => {
        configuration = undefined; // try again on the next sign-in
        throw error;
      });
    return configuration;
  };

  const refused = (code: DmsRefusalCode) => dmsRefusal(code);

  return {
    async begin(returnTo) {
      const config = await discover();
      const pending: PendingSignIn = {
        state: oidc.randomState(),
        nonce: oidc.randomNonce(),
        verifier: oidc.randomPKCECodeVerifier(),
        returnTo: safeReturnPath(returnTo),
        expiresAt: deps.clock.now().getTime() + PENDING_MS,
      };
      const url = oidc.buildAuthorizationUrl(config, {
        redirect_uri: dmsRedirectUri(deps.issuer),
        scope: 'openid',
        response_type: 'code',
        state: pending.state,
        nonce: pending.nonce,
        code_challenge: await oidc.calculatePKCECodeChallenge(pending.verifier),
        code_challenge_method: 'S256',
        // DMS changes who can log in to CCASS: only a two-factor login will do.
        acr_values: ACR.twoFactor,
      });
      return { url, pending: deps.box.seal(Buffer.from(JSON.stringify(pending)), PENDING_CONTEXT) };
    },

    async complete(callbackUrl, sealed) {
      let pending: PendingSignIn;
      try {
        pending = JSON.parse(deps.box.open(sealed ?? '', PENDING_CONTEXT).toString('utf8')) as PendingSignIn;
      } catch {
        throw refused('sign_in_lost');
      }
      if (!(pending.expiresAt > deps.clock.now().getTime())) throw refused('sign_in_expired');
      const config = await discover();
      let claims: oidc.IDToken | undefined;
      try {
        const tokens = await oidc.authorizationCodeGrant(config, callbackUrl, {
          pkceCodeVerifier: pending.verifier,
          expectedState: pending.state,
          expectedNonce: pending.nonce,
          idTokenExpected: true,
        });
        claims = tokens.claims();
      } catch (error) {
        if (error instanceof oidc.AuthorizationResponseError) throw refused('sign_in_cancelled');
        if (error instanceof oidc.ResponseBodyError || (error as { code?: string }).code?.startsWith('OAUTH_')) throw refused('sign_in_failed');
        throw error;
      }
      if (!claims || !acrMeets(typeof claims.acr === 'string' ? claims.acr : undefined, ACR.twoFactor)) throw refused('two_factor_needed');
      const user = await deps.queries.users.findBySubject(claims.sub);
      if (!user || user.role !== 'da' || user.status !== 'active' || isLocked(user, deps.clock.now())) {
        await deps.queries.audit.record({
          type: 'dms.login',
          outcome: 'failure',
          actor: user ? `user:${user.participant_id}/${user.user_id}` : null,
          participantId: user?.participant_id ?? null,
          userId: user?.user_id ?? null,
          clientId: DMS_CLIENT_ID,
          details: { reason: user ? (user.role !== 'da' ? 'not_a_da' : 'not_active') : 'unknown_subject' },
        });
        throw refused('no_dms_access');
      }
      return { user, returnTo: pending.returnTo };
    },

    async openSession(user) {
      const session = randomBytes(32).toString('base64url');
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
      if (!session || !/^[A-Za-z0-9_-]{43}$/.test(session)) return undefined;
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
      url.search = new URLSearchParams({ client_id: DMS_CLIENT_ID, post_logout_redirect_uri: new URL('/dms/logged-out', deps.issuer).toString() }).toString();
      return url;
    },
  };
}
