/**
 * The oidc-provider instance: which flows are on (authorization code + PKCE S256 only,
 * refresh, revocation, introspection, RP-initiated logout), where state lives (PostgreSQL),
 * how accounts and claims are found, and how first-party clients skip consent.
 */
import Provider, { errors, type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import { CLIENT_ASSERTION_SIGNING_ALGS, type Config } from '../config/schema.js';
import type { Logger } from '../observability/logger.js';
import type { Database } from '../store/database.js';
import type { Queries } from '../store/index.js';
import { commitWithSessionWrite, postgresAdapterFactory } from '../store/oidc-adapter.js';
import { isTransientDatabaseError } from '../store/transient-errors.js';
import { FIRST_PARTY_CLIENTS, firstPartyClientMetadata } from './first-party-clients.js';
import type { Renderer } from '../web/render.js';
import { oidcCookieNames } from '../web/cookie-names.js';
import { CookieSigner } from '../web/cookie-signing.js';
import type { PhasePolicy } from '../policy/phase-policy.js';
import { phaseAllows } from '../policy/access.js';
import { systemClock, type Clock } from '../kernel/clock.js';
import { smartcardExceptionFor } from '../login/smartcard-exception.js';
import { sessionExpiresAt, sessionTtlSeconds, type SessionLifetime } from '../policy/session-lifetime.js';
import { interactionPolicyWithAssurance } from './acr-policy.js';
import { createSessionActivity } from './session-activity.js';
import { ACR, ACR_VALUES_SUPPORTED } from './assurance.js';
import { CLAIMS_BY_SCOPE, findAccount } from './accounts.js';
import { assertClaimsRequest } from './claims-parameter.js';
import {
  CLIENT_AUTH_METHODS,
  CLIENT_NAME_ZH_HANT,
  clientMetadataFromConfig,
  FIRST_PARTY,
  isFirstParty,
  isResourceServer,
  REFRESH_TOKEN_ROTATION,
  REQUIRE_PHISHING_RESISTANT,
  REQUIRE_PKCE,
  REQUIRE_TWO_FACTOR,
  requiresPkce,
  RESOURCE_SERVER,
  rotatesRefreshTokens,
} from './clients.js';
import { providerPages } from './pages.js';
import { backchannelLogoutJobId } from './backchannel-logout.js';
import type { Jwks } from './key-generation.js';

export interface ProviderDependencies {
  config: Config;
  db: Database;
  queries: Queries;
  /** Private signing keys, the one to sign with first for each algorithm. */
  jwks: Jwks;
  cookieKeys: string[];
  render: Renderer;
  log: Logger;
  policy: PhasePolicy;
  /** For the refresh-token cut-off's dated exceptions (oidc-provider itself keeps real time). */
  clock?: Clock;
}

export function createProvider(deps: ProviderDependencies): Provider {
  const { config } = deps;
  const pages = providerPages(deps.render, config.support.hotline);
  const ttl = config.oidc.ttl;
  const sessionLifetime: SessionLifetime = { idleSeconds: ttl.sessionIdle, absoluteSeconds: ttl.session };
  const sessionActivity = createSessionActivity((uid, expiresAt) => deps.queries.userAccess.extendOidcSession(uid, expiresAt), { minIntervalSeconds: 60 });
  const Adapter = postgresAdapterFactory(deps.db, () => Provider.ctx);

  const configuration: Configuration = {
    // oidc-provider keeps the request it serves in its async context: a token's grant and session
    // are fetched with it and kept for that request only.
    adapter: Adapter,
    // DMS and the security page are built in: first-party clients of this provider like CCASS Terminal.
    clients: [...config.oidc.clients.map(clientMetadataFromConfig), ...FIRST_PARTY_CLIENTS.map((client) => firstPartyClientMetadata(client, config.issuer, deps.cookieKeys))],
    clientDefaults: {
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
      id_token_signed_response_alg: config.oidc.idTokenSigningAlg,
    },
    extraClientMetadata: { properties: [FIRST_PARTY, REQUIRE_TWO_FACTOR, REQUIRE_PHISHING_RESISTANT, CLIENT_NAME_ZH_HANT, RESOURCE_SERVER, REFRESH_TOKEN_ROTATION, REQUIRE_PKCE] },
    // Discovery's token_endpoint_auth_methods_supported is this list: only what a client can be configured with.
    clientAuthMethods: [...CLIENT_AUTH_METHODS],
    // private_key_jwt assertions: the algorithms a client's jwks may hold (src/config/schema.ts).
    enabledJWA: { clientAuthSigningAlgValues: [...CLIENT_ASSERTION_SIGNING_ALGS] },
    discovery: {
      // Request objects are not offered (features.requestObjects below): said, not left to a default.
      request_parameter_supported: false,
      // RFC 8414 §2: without these a client must guess (revocation's default would be client_secret_basic alone).
      // Public clients revoke their own tokens but may not introspect.
      revocation_endpoint_auth_methods_supported: [...CLIENT_AUTH_METHODS],
      introspection_endpoint_auth_methods_supported: CLIENT_AUTH_METHODS.filter((method) => method !== 'none'),
      // private_key_jwt works at these endpoints too, with the token endpoint's algorithms.
      revocation_endpoint_auth_signing_alg_values_supported: [...CLIENT_ASSERTION_SIGNING_ALGS],
      introspection_endpoint_auth_signing_alg_values_supported: [...CLIENT_ASSERTION_SIGNING_ALGS],
    },
    jwks: deps.jwks,
    cookies: {
      names: oidcCookieNames(config.issuer),
      keys: new CookieSigner(deps.cookieKeys),
      long: { httpOnly: true, sameSite: 'lax' },
      short: { httpOnly: true, sameSite: 'lax' },
    },
    findAccount: (_ctx, sub) => findAccount(deps.queries.users, sub, (id) => Adapter.keptAccount(id)),
    claims: CLAIMS_BY_SCOPE,
    scopes: ['openid', 'offline_access', 'profile', 'email'],
    acrValues: [...ACR_VALUES_SUPPORTED],
    // Put the scope's claims (participant_id, user_id, ...) in the ID token itself: CCASS
    // Terminal needs them at login, without a userinfo round trip.
    conformIdTokenClaims: false,
    responseTypes: ['code'],
    // S256 only; required of every client but a confidential one configured require_pkce: false
    // (the conformance suite's Basic OP client). A request that sends PKCE is held to it.
    pkce: { required: (_ctx, client) => requiresPkce(client) },
    // OIDC Core 3.1.2.1: redirect_uri is REQUIRED, even for a client with one registered URI
    // (oidc-provider fills it in by default). Without it no redirect is safe: the error page says
    // invalid_request. The token request must then name it too (RFC 6749 §4.1.3).
    allowOmittingSingleRegisteredRedirectUri: false,
    features: {
      devInteractions: { enabled: false },
      revocation: {
        enabled: true,
        // A client revokes its own tokens only (RFC 7009 §2.1); others are ignored, not revealed.
        allowedPolicy: async (_ctx, client, token) => token.clientId === client.clientId,
      },
      introspection: {
        enabled: true,
        // RFC 7662 §4: the server decides who may learn whether a token is live and whose it is.
        // Confidential clients only: the client the token was issued to, or a configured resource
        // server. Refused, oidc-provider answers 200 {"active": false}, the answer for an unknown
        // token (§2.2): an error would tell the caller that the token exists (§4 warns of such
        // scanning), and the conformance suite expects no error either.
        allowedPolicy: async (_ctx, client, token) =>
          client.clientAuthMethod !== 'none' && (token.clientId === client.clientId || isResourceServer(client)),
      },
      rpInitiatedLogout: {
        enabled: true,
        // Our pages, in the reader's language (oidc-provider's own are English).
        logoutSource: async (ctx, form) => pages.logoutSource(ctx, form),
        postLogoutSuccessSource: async (ctx) => pages.postLogoutSuccessSource(ctx),
      },
      userinfo: { enabled: true },
      // Back-Channel Logout 1.0: discovery says so and ID tokens carry `sid`; the logout tokens
      // go out through the job queue (see below and src/oidc/backchannel-logout.ts).
      backchannelLogout: { enabled: true },
      // OIDC Core 5.5: a relying party may ask for claims one by one, in the ID token or at
      // userinfo. Only claims this server holds are returned (CLAIMS_BY_SCOPE); a malformed
      // value is refused with invalid_request (src/oidc/claims-parameter.ts); a third-party
      // client's user allows them on the consent page; an essential acr is a requirement
      // (src/oidc/acr-policy.ts). Discovery says claims_parameter_supported: true.
      claimsParameter: {
        enabled: true,
        assertClaimsParameter: async (_ctx, claims) => assertClaimsRequest(claims),
      },
      // Request objects (OIDC Core 6) are not offered: oidc-provider 9 verifies signed ones only
      // (no alg none) and takes request_uri only from its own pushed authorization requests. A
      // `request` is refused with request_not_supported, a `request_uri` with
      // request_uri_not_supported (OIDC Core 3.1.2.6), on the redirect when the redirect_uri is
      // registered; discovery says request_uri_parameter_supported: false and lists no
      // request_parameter_supported (false by default) nor request object algorithms.
      requestObjects: { enabled: false },
    },
    interactions: {
      url: (_ctx, interaction) => `/interaction/${interaction.uid}`,
      policy: interactionPolicyWithAssurance(deps.policy, (accountId, phase) => smartcardExceptionFor({ queries: deps.queries, clock: deps.clock ?? systemClock }, phase, { id: accountId })),
    },
    // First-party clients get the grant they ask for without a consent screen.
    loadExistingGrant: async (ctx: KoaContextWithOIDC) => {
      const { client, session, result } = ctx.oidc;
      if (!client || !session?.accountId) return undefined;
      const grantId = result?.['consent']?.grantId ?? session.grantIdFor(client.clientId);
      const grant = grantId ? await ctx.oidc.provider.Grant.find(grantId) : undefined;
      if (!isFirstParty(client)) return grant;
      const firstPartyGrant = grant ?? new ctx.oidc.provider.Grant({ clientId: client.clientId, accountId: session.accountId });
      firstPartyGrant.addOIDCScope([...ctx.oidc.requestParamScopes].join(' '));
      const claims = [...ctx.oidc.requestParamClaims];
      if (claims.length) firstPartyGrant.addOIDCClaims(claims);
      await firstPartyGrant.save();
      return firstPartyGrant;
    },
    // Refresh tokens for first-party clients without `offline_access` (which needs a consent
    // prompt); without offline_access they expire with the user's session (expiresWithSession).
    issueRefreshToken: async (_ctx, client, code) =>
      client.grantTypeAllowed('refresh_token') && (code.scopes.has('offline_access') || isFirstParty(client)),
    // Called on every refresh, after oidc-provider's own checks and before anything is issued.
    rotateRefreshToken: async (ctx) => {
      const { RefreshToken: refreshToken, Client: client } = ctx.oidc.entities;
      if (!refreshToken || !client) return false;
      // A smartcard login does not outlive the smartcard cut-off through its refresh token.
      // (A user's dated smartcard exception keeps it going until its date: src/login/smartcard-exception.ts.)
      if (
        refreshToken.acr === ACR.smartcard &&
        !(await smartcardExceptionFor({ queries: deps.queries, clock: deps.clock ?? systemClock }, (await deps.policy.current()).phase, { id: refreshToken.accountId })) &&
        !phaseAllows((await deps.policy.current()).phase, false).smartcard
      ) {
        throw new errors.InvalidGrant('smartcard login is no longer accepted; the user must log in with password and one-time code');
      }
      // Tokens that live with the session: the relying party is in use, so the session is too.
      if (refreshToken.expiresWithSession && refreshToken.sessionUid) {
        await sessionActivity.touch(refreshToken.sessionUid, sessionExpiresAt(sessionLifetime, new Date(), refreshToken.authTime));
      }
      // Rotation (RFC 9700 §4.14.2): the used token is consumed, and oidc-provider ends the grant
      // when a consumed one comes back (reuse detection). Public clients always rotate; a
      // confidential client unless configured refresh_token_rotation: none.
      if (refreshToken.totalLifetime() >= 365.25 * 24 * 3600) return false;
      if (client.clientAuthMethod === 'none') return true;
      return rotatesRefreshTokens(client);
    },
    ttl: {
      AccessToken: ttl.accessToken,
      AuthorizationCode: ttl.authorizationCode,
      IdToken: ttl.idToken,
      // A rotated refresh token inherits what its predecessor had left: rotation renews the
      // token, never the lifetime of the login behind it.
      RefreshToken: (ctx) => ctx.oidc.entities.RotatedRefreshToken?.remainingTTL ?? ttl.refreshToken,
      // Saved on every request that uses the session: idle timeout and absolute lifetime in one.
      Session: (_ctx, session) => sessionTtlSeconds(sessionLifetime, Math.floor(Date.now() / 1000), session.loginTs),
      Interaction: ttl.interaction,
      Grant: ttl.grant,
    },
    // A browser's error page says what happened by error code, in the reader's language; JSON
    // answers (to relying parties' back ends) keep oidc-provider's error and error_description.
    renderError: async (ctx, out) => pages.renderError(ctx, out),
  };

  const provider = new Provider(config.issuer, configuration);
  provider.proxy = config.server.trustProxy;
  // oidc-provider POSTs logout tokens within the end-session request, once, and forgets a
  // failure; a job is retried until the relying party takes it, from any node. It asks for
  // them before it ends the session: the job is created in the transaction that deletes (or,
  // logging out of one client only, saves without it) the session, so a token goes out if and
  // only if the logout happened — a node dying or a statement failing in between sends neither
  // (oidc-provider then saves the session unchanged), and a failed job fails the logout.
  provider.Client.prototype.backchannelLogout = async function (this: { clientId: string }, sub: string, sid: string) {
    const logout = { clientId: this.clientId, sub, sid };
    await commitWithSessionWrite(
      deps.db,
      (trx) => deps.queries.within(trx).jobs.send('backchannel_logout', logout, { id: backchannelLogoutJobId(logout) }),
      // The session's ending: deleted, or saved without this client (logged out of it alone).
      (write) => write.deleted || !Object.hasOwn((write.payload['authorizations'] ?? {}) as object, logout.clientId),
    );
  };

  provider.on('server_error', (ctx, error) => {
    // A database interruption is no bug: the app answers it as 503 "try again" (see app.ts).
    if (isTransientDatabaseError(error)) {
      ctx.state['transientDatabaseError'] = true;
      deps.log.warn({ err: error, requestId: ctx.state['requestId'] }, 'oidc request failed on a database interruption');
      return;
    }
    deps.log.error({ err: error, requestId: ctx.state['requestId'] }, 'oidc server error');
  });
  for (const event of ['grant.error', 'authorization.error', 'end_session.error', 'introspection.error', 'revocation.error']) {
    // Refusals are the client's problem, not ours: logged at info, with no token material.
    (provider as unknown as NodeJS.EventEmitter).on(event, (ctx: KoaContextWithOIDC, error: Error & { error_description?: string }) => {
      deps.log.info(
        { event, error: error.message, description: error.error_description, client: ctx.oidc?.client?.clientId, requestId: ctx.state['requestId'] },
        'oidc request refused',
      );
    });
  }
  return provider;
}
