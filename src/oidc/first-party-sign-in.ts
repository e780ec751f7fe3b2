/**
 * How a first-party client (first-party-clients.ts) signs a user in at this very provider:
 * openid-client runs the authorization code flow with PKCE (S256), state and nonce, over the
 * in-process fetch, and checks the ID token. What the browser carries to /auth and back — the
 * state, nonce and PKCE verifier, an expiry and whatever the client adds — is sealed with the
 * secret box, so it is neither readable nor forgeable.
 *
 * It refuses with the client's own refusal for each way the flow can fail: `lost` (no pending
 * sign-in, or not one sealed here for this client), `expired` (older than PENDING_MS, whatever
 * the cookie's own expiry), `cancelled` (the provider answered with an error: the user gave up,
 * or the login was refused) and `failed` (the code exchange or the ID token was refused). What
 * the client then demands of the login (its acr, its freshness, who may sign in), its audit
 * records and its sessions stay with the client (dms/sign-in.ts, account/sign-in.ts).
 */
import { createHash, randomBytes } from 'node:crypto';
import * as oidc from 'openid-client';
import type { Clock } from '../kernel/clock.js';
import type { SecretBox } from '../secrets/secret-box.js';
import type { AuditEvent } from '../store/audit.js';
import { firstPartyClientSecret, firstPartyRedirectUri, type FirstPartyClient } from './first-party-clients.js';

/** As long as a login interaction may take. */
export const PENDING_MS = 15 * 60_000;

export type SignInFailure = 'lost' | 'expired' | 'cancelled' | 'failed';

export interface FirstPartySignInDependencies {
  issuer: string;
  cookieKeys: readonly string[];
  fetch: oidc.CustomFetch;
  box: SecretBox;
  clock: Clock;
}

export interface FirstPartySignInOptions {
  /** The secret box context the pending sign-in is sealed under: one client's never opens as another's. */
  sealContext: string;
  /** The client's refusal for each way the flow fails. */
  refuse: (failure: SignInFailure) => Error;
}

/** What the browser keeps between leaving for /auth and coming back, with what the client carries across (`Carried`). */
type PendingSignIn<Carried> = Carried & {
  state: string;
  nonce: string;
  verifier: string;
  /** Epoch ms after which the pending sign-in is refused. */
  expiresAt: number;
};

export interface FirstPartySignIn<Carried extends object> {
  /** The authorization URL, with the client's own request `parameters` (acr_values, prompt, …), and the sealed pending sign-in. */
  begin(parameters: Record<string, string>, carried: Carried): Promise<{ url: URL; pending: string }>;
  /** The checked ID token's claims of the callback URL, and what `begin` carried across; or the client's refusal. */
  complete(callbackUrl: URL, pending: string | undefined): Promise<{ claims: oidc.IDToken; carried: Carried }>;
}

export function createFirstPartySignIn<Carried extends object>(client: FirstPartyClient, deps: FirstPartySignInDependencies, options: FirstPartySignInOptions): FirstPartySignIn<Carried> {
  const { sealContext, refuse } = options;
  let configuration: Promise<oidc.Configuration> | undefined;
  const discover = () => {
    configuration ??= oidc
      .discovery(new URL(deps.issuer), client.id, undefined, oidc.ClientSecretBasic(firstPartyClientSecret(client, deps.cookieKeys)), {
        [oidc.customFetch]: deps.fetch,
        ...(deps.issuer.startsWith('http://') ? { execute: [oidc.allowInsecureRequests] } : {}),
      })
      .catch((error: unknown) => {
        configuration = undefined; // try again on the next sign-in
        throw error;
      });
    return configuration;
  };

  return {
    async begin(parameters, carried) {
      const config = await discover();
      const pending: PendingSignIn<Carried> = {
        ...carried,
        state: oidc.randomState(),
        nonce: oidc.randomNonce(),
        verifier: oidc.randomPKCECodeVerifier(),
        expiresAt: deps.clock.now().getTime() + PENDING_MS,
      };
      const url = oidc.buildAuthorizationUrl(config, {
        ...parameters,
        redirect_uri: firstPartyRedirectUri(client, deps.issuer),
        scope: 'openid',
        response_type: 'code',
        state: pending.state,
        nonce: pending.nonce,
        code_challenge: await oidc.calculatePKCECodeChallenge(pending.verifier),
        code_challenge_method: 'S256',
      });
      return { url, pending: deps.box.seal(Buffer.from(JSON.stringify(pending)), sealContext) };
    },

    async complete(callbackUrl, sealed) {
      let pending: PendingSignIn<Carried>;
      try {
        pending = JSON.parse(deps.box.open(sealed ?? '', sealContext).toString('utf8')) as PendingSignIn<Carried>;
      } catch {
        throw refuse('lost');
      }
      if (!(pending.expiresAt > deps.clock.now().getTime())) throw refuse('expired');
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
        if (error instanceof oidc.AuthorizationResponseError) throw refuse('cancelled');
        if (error instanceof oidc.ResponseBodyError || (error as { code?: string }).code?.startsWith('OAUTH_')) throw refuse('failed');
        throw error;
      }
      // idTokenExpected: openid-client refuses a token response without an ID token, so this is defence only.
      if (!claims) throw refuse('failed');
      const { state: _state, nonce: _nonce, verifier: _verifier, expiresAt: _expiresAt, ...carried } = pending;
      return { claims, carried: carried as unknown as Carried };
    },
  };
}

/** A new session's cookie value: 32 random bytes, base64url. */
export function newSessionValue(): string {
  return randomBytes(32).toString('base64url');
}

/** Whether a cookie value could be one newSessionValue made (anything else is no session, not a lookup). */
export function isSessionValue(value: string | undefined): value is string {
  return value !== undefined && /^[A-Za-z0-9_-]{43}$/.test(value);
}

/** What the session table keeps of a cookie value: its hash, under the client's own prefix. */
export function sessionHash(prefix: string, value: string): string {
  return createHash('sha256').update(`${prefix}:${value}`).digest('hex');
}

/** The audit record of a login the client refused after the flow (`user`: when the subject is a known user). */
export function refusedSignInEvent(client: FirstPartyClient, type: string, user: { participant_id: string; user_id: string } | undefined, reason: string): AuditEvent {
  return {
    type,
    outcome: 'failure',
    actor: user ? `user:${user.participant_id}/${user.user_id}` : null,
    participantId: user?.participant_id ?? null,
    userId: user?.user_id ?? null,
    clientId: client.id,
    details: { reason },
  };
}
