/**
 * The OpenID conformance suite's Basic OP plan (oidcc-basic-certification-test-plan): the
 * modules that run one happy flow with a twist (no nonce, another scope, display, an unknown
 * parameter, PKCE, client_secret_post, the userinfo endpoint called three ways) and the one
 * that leaves response_type out. Each test asserts what its module's conditions check
 * (docs/conformance.md lists every module of the plan and where it is covered).
 *
 * PKCE: the suite sends it only in oidcc-ensure-request-with-valid-pkce-succeeds; this server
 * requires it of every client unless a confidential one is configured `require_pkce: false`, as
 * the suite's client is for a certification run. The modules below run with CCASS Terminal
 * (PKCE required) and so carry it; the last block sends the suite's requests exactly, without
 * PKCE, for a client configured as the suite's.
 */
import { createHash } from 'node:crypto';
import * as client from 'openid-client';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { Browser, type Page } from '../support/browser.js';
import { authorizationRequest, discoverTerminal, followFrom, logInOnPage, navigate, type AuthorizationRequest } from '../support/conformance.js';
import { seedUser, TERMINAL, useTestServer, withClients, type RunningTestServer, type SeededUser } from '../support/server.js';

/** The suite's second static client for oidcc-server-client-secret-post (`client_secret_post.client_id`). */
const POST_CLIENT = {
  clientId: 'conformance-secret-post',
  clientSecret: 'test-secret-for-the-client-secret-post-client',
  redirectUri: 'http://127.0.0.1:9993/callback',
};

/** The suite's static client as a certification run registers it: confidential, `require_pkce: false`. */
const SUITE_CLIENT = {
  clientId: 'conformance-suite',
  clientSecret: 'test-secret-for-the-conformance-suite-client',
  redirectUri: 'http://127.0.0.1:9992/callback',
};

/** The suite's limits: 5 minutes of clock skew, `exp` no more than 50 years ahead (ValidateIdToken). */
const SKEW_SECONDS = 5 * 60;
const FIFTY_YEARS_SECONDS = 50 * 365 * 24 * 3600;

/** OIDC Core 3.1.3.6 at_hash / c_hash: the left half of the hash of the value, base64url (SHA-256 for ES256 and RS256). */
function halfHash(value: string): string {
  const digest = createHash('sha256').update(value, 'ascii').digest();
  return digest.subarray(0, digest.length / 2).toString('base64url');
}

/** AbstractEnsureMinimumEntropy: Shannon entropy per character times the length. */
function shannonBits(value: string): number {
  const counts = new Map<string, number>();
  for (const character of value) counts.set(character, (counts.get(character) ?? 0) + 1);
  let perCharacter = 0;
  for (const count of counts.values()) perCharacter -= (count / value.length) * Math.log2(count / value.length);
  return perCharacter * value.length;
}

/** Puts a URL's query parameters in reverse alphabetical order (BuildPlainRedirectToAuthorizationEndpointReorderedParams). */
function reorderedInReverse(url: URL): URL {
  const reordered = new URL(url);
  reordered.search = new URLSearchParams([...url.searchParams].sort(([a], [b]) => (a < b ? 1 : a > b ? -1 : 0))).toString();
  return reordered;
}

describe('Basic OP plan: happy flows', () => {
  let running: RunningTestServer;
  let user: SeededUser;
  let config: client.Configuration;
  let metadata: client.ServerMetadata;
  useTestServer(
    (started) => ({ running } = started),
    () =>
      withClients(
        {
          client_id: POST_CLIENT.clientId,
          client_secret: POST_CLIENT.clientSecret,
          redirect_uris: [POST_CLIENT.redirectUri],
          token_endpoint_auth_method: 'client_secret_post',
          first_party: true,
        },
        { client_id: SUITE_CLIENT.clientId, client_secret: SUITE_CLIENT.clientSecret, redirect_uris: [SUITE_CLIENT.redirectUri], require_pkce: false, first_party: true },
      ),
  );
  beforeAll(async () => {
    user = await seedUser(running.server, running.config, { participantId: 'B01240', userId: 'FLOWS1', email: 'flows1@example.com' }, running.clock);
    config = await discoverTerminal(running);
    metadata = config.serverMetadata();
  });

  interface Flow {
    request: AuthorizationRequest;
    /** The login page the request showed (a new browser has no session). */
    loginPage: Page;
    callback: URL;
    tokens: client.TokenEndpointResponse & client.TokenEndpointResponseHelpers;
    claims: client.IDToken;
  }

  /**
   * One module's flow in a new browser: the request (`reshape` reorders it), the login page, the
   * callback, the code redeemed; `expectedNonce` as the module expects it (no nonce sent: none back).
   */
  async function flow(
    options: { extra?: Record<string, string | undefined>; reshape?: (url: URL) => URL; configuration?: client.Configuration; redirectUri?: string } = {},
  ): Promise<Flow> {
    const configuration = options.configuration ?? config;
    const redirectUri = options.redirectUri ?? TERMINAL.redirectUri;
    const request = await authorizationRequest(configuration, { redirect_uri: redirectUri, ...options.extra });
    const url = options.reshape ? options.reshape(request.url) : request.url;
    const browser = new Browser();
    const loginPage = await followFrom(browser, await navigate(browser, url), redirectUri);
    expect(loginPage.status).toBe(200);
    const afterLogin = await followFrom(browser, await logInOnPage(running, browser, loginPage, user), redirectUri);
    expect(afterLogin.url.startsWith(redirectUri)).toBe(true);
    const callback = new URL(afterLogin.url);
    const nonce = url.searchParams.get('nonce') ?? undefined;
    const tokens = await client.authorizationCodeGrant(configuration, callback, {
      pkceCodeVerifier: request.verifier,
      expectedNonce: nonce,
      expectedState: request.state,
    });
    return { request, loginPage, callback, tokens, claims: tokens.claims() as client.IDToken };
  }

  /**
   * What the suite checks of every ID token and token response (PerformStandardIdTokenChecks,
   * ValidateExpiresIn, the authorization response's checks), beyond what openid-client checks.
   */
  async function expectStandardChecks(result: Flow, clientId: string = TERMINAL.clientId): Promise<void> {
    const { callback, tokens, claims, request } = result;
    // CheckMatchingCallbackParameters, ValidateIssIfPresentInAuthorizationResponse, CheckStateInAuthorizationResponse.
    expect(callback.searchParams.get('state')).toBe(request.state);
    expect(callback.searchParams.get('iss')).toBe(running.issuer);
    expect(callback.searchParams.get('error')).toBeNull();
    // ValidateIdToken: iss, aud, exp, iat, auth_time (real time, as the suite's clock is), acr not empty.
    const now = Math.floor(Date.now() / 1000);
    expect(claims.iss).toBe(running.issuer);
    expect(claims.aud).toBe(clientId);
    expect(claims.exp).toBeGreaterThan(now - SKEW_SECONDS);
    expect(claims.exp).toBeLessThan(now + FIFTY_YEARS_SECONDS);
    expect(claims.iat).toBeGreaterThanOrEqual(now - SKEW_SECONDS);
    expect(claims.iat).toBeLessThanOrEqual(now + SKEW_SECONDS);
    expect(claims.auth_time).toBeGreaterThan(now - 365 * 24 * 3600);
    expect(claims.auth_time).toBeLessThanOrEqual(now + SKEW_SECONDS);
    expect(typeof claims.acr).toBe('string');
    expect(claims.acr).not.toBe('');
    // CheckForSubjectInIdToken: the user's opaque subject.
    expect(claims.sub).toBe(user.subject);
    // ValidateIdTokenSignature: verified against the keys at jwks_uri, the kid named (CheckForKeyIdInServerJWKs, EnsureIdTokenContainsKid).
    const idToken = tokens.id_token as string;
    const header = decodeProtectedHeader(idToken);
    expect(metadata.id_token_signing_alg_values_supported).toContain(header.alg);
    expect(header.kid).toEqual(expect.any(String));
    const verified = await jwtVerify(idToken, createRemoteJWKSet(new URL(metadata.jwks_uri as string)), { issuer: running.issuer, audience: clientId });
    expect(verified.protectedHeader.kid).toBe(header.kid);
    // ExtractAtHash/ValidateAtHash: optional in a token endpoint ID token, correct if present.
    if (claims['at_hash'] !== undefined) expect(claims['at_hash']).toBe(halfHash(tokens.access_token));
    // The token response: a bearer access token, expires_in positive and under a year.
    expect(tokens.token_type.toLowerCase()).toBe('bearer');
    expect(tokens.access_token).toMatch(/^[\x20-\x7e]+$/);
    expect(tokens.expires_in).toBeGreaterThan(0);
    expect(tokens.expires_in).toBeLessThanOrEqual(31_536_000);
  }

  /** CallUserInfoEndpoint and what AbstractOIDCCUserInfoTest checks: 200, JSON, `sub` that of the ID token. */
  async function userinfo(accessToken: string, init: { method: 'GET' | 'POST'; tokenIn: 'header' | 'body' }): Promise<{ status: number; contentType: string | null; body: Record<string, unknown> }> {
    const endpoint = metadata.userinfo_endpoint as string;
    const response =
      init.tokenIn === 'body'
        ? await fetch(endpoint, { method: 'POST', headers: { accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ access_token: accessToken }).toString() })
        : await client.fetchProtectedResource(config, accessToken, new URL(endpoint), init.method, null, new Headers({ accept: 'application/json' }));
    return { status: response.status, contentType: response.headers.get('content-type'), body: (await response.json()) as Record<string, unknown> };
  }

  it('oidcc-server: code flow with state, nonce and the client secret; the code long and random, a valid, signed ID token; userinfo answers for its subject', async () => {
    const result = await flow();
    await expectStandardChecks(result);
    expect(result.claims.nonce).toBe(result.request.nonce);
    // EnsureMinimumAuthorizationCodeLength (128 bits) and EnsureMinimumAuthorizationCodeEntropy (over 96 bits).
    const code = result.callback.searchParams.get('code') as string;
    expect(Buffer.byteLength(code) * 8).toBeGreaterThanOrEqual(128);
    expect(shannonBits(code)).toBeGreaterThan(96);
    // EnsureIdTokenDoesNotContainNonRequestedClaims (a warning): scope openid's claims here include
    // participant_id and user_id (CCASS Terminal reads them from the ID token), which the suite warns about;
    // no profile claim (EnsureIdTokenDoesNotContainName, a warning too).
    expect(Object.keys(result.claims).sort()).toEqual(['acr', 'amr', 'aud', 'auth_time', 'exp', 'iat', 'iss', 'nonce', 'participant_id', 'sub', 'user_id']);
    // The module's requestProtectedResource: userinfo (its protected resource) answers 200.
    const answer = await userinfo(result.tokens.access_token, { method: 'GET', tokenIn: 'header' });
    expect(answer.status).toBe(200);
    expect(answer.body['sub']).toBe(user.subject);
  });

  it('oidcc-response-type-missing: without response_type, invalid_request to the redirect_uri in the query, with state and iss and no code', async () => {
    // openid-client always writes response_type: the module's request is that one without it.
    const request = await authorizationRequest(config);
    request.url.searchParams.delete('response_type');
    const browser = new Browser();
    const page = await followFrom(browser, await navigate(browser, request.url));
    // The module accepts an error page (a screenshot) or this: the redirect_uri is registered, so the error goes there.
    expect(page.url.startsWith(TERMINAL.redirectUri)).toBe(true);
    const callback = new URL(page.url).searchParams;
    // CheckErrorFromAuthorizationEndpointErrorInvalidRequestOrUnsupportedResponseType, in the query (no response_type, no response_mode).
    expect(Object.fromEntries(callback)).toEqual({
      error: 'invalid_request',
      error_description: "missing required parameter 'response_type'",
      state: request.state,
      iss: running.issuer,
    });
    // ValidateErrorDescriptionFromAuthorizationEndpointResponseError: RFC 6749 §4.1.2.1's characters only.
    expect(callback.get('error_description')).toMatch(/^[\x20-\x21\x23-\x5b\x5d-\x7e]+$/);
  });

  it('oidcc-idtoken-signature: the ID token names its key (kid) and verifies with the advertised algorithm against /jwks', async () => {
    const result = await flow();
    await expectStandardChecks(result);
    const header = decodeProtectedHeader(result.tokens.id_token as string);
    // The client has no id_token_signed_response_alg of its own: the provider's (ES256 by default) signs.
    expect(header.alg).toBe(running.config.oidc.idTokenSigningAlg);
    const jwks = (await (await fetch(metadata.jwks_uri as string)).json()) as { keys: Array<{ kid?: string; alg?: string; use?: string; d?: unknown }> };
    const key = jwks.keys.find((candidate) => candidate.kid === header.kid);
    expect(key).toMatchObject({ kid: header.kid });
    // CheckServerKeysIsValid / CheckDistinctKeyIdValueInServerJWKs: public keys only, one key per kid.
    expect(jwks.keys.every((candidate) => candidate.d === undefined)).toBe(true);
    expect(new Set(jwks.keys.map((candidate) => candidate.kid)).size).toBe(jwks.keys.length);
    // A token whose signature does not match is refused (the check can fail).
    const [head, body, signature] = (result.tokens.id_token as string).split('.') as [string, string, string];
    const tampered = `${head}.${body}.${signature.startsWith('A') ? 'B' : 'A'}${signature.slice(1)}`;
    await expect(jwtVerify(tampered, createRemoteJWKSet(new URL(metadata.jwks_uri as string)))).rejects.toMatchObject({ code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' });
  });

  describe('the userinfo endpoint', () => {
    let result: Flow;
    beforeAll(async () => {
      result = await flow({ extra: { scope: 'openid profile email' } });
    });

    it.each([
      ['oidcc-userinfo-get', 'GET', 'header'],
      ['oidcc-userinfo-post-header', 'POST', 'header'],
      ['oidcc-userinfo-post-body', 'POST', 'body'],
    ] as const)('%s: userinfo over %s with the access token in the %s: 200, JSON, the ID token\'s sub', async (_module, method, tokenIn) => {
      await expectStandardChecks(result);
      const answer = await userinfo(result.tokens.access_token, { method, tokenIn });
      expect(answer.status).toBe(200);
      expect(answer.contentType).toMatch(/^application\/json\b/);
      // EnsureUserInfoContainsSub, VerifyUserInfoAndIdTokenInTokenEndpointSameSub, ValidateUserInfoStandardClaims.
      expect(answer.body).toEqual({ sub: result.claims.sub, participant_id: 'B01240', user_id: 'FLOWS1', name: 'User FLOWS1', email: 'flows1@example.com' });
    });

    it('refuses userinfo without a token, or with one that is not ours (the checks above can fail)', async () => {
      const missing = await fetch(metadata.userinfo_endpoint as string, { headers: { accept: 'application/json' } });
      expect(missing.status).toBe(401);
      expect(missing.headers.get('www-authenticate')).toMatch(/^Bearer realm=/);
      expect(await missing.json()).toEqual({ error: 'invalid_token', error_description: 'no access token provided' });
      const wrong = await fetch(metadata.userinfo_endpoint as string, { headers: { accept: 'application/json', authorization: `Bearer ${result.tokens.access_token}x` } });
      expect(wrong.status).toBe(401);
      expect(await wrong.json()).toMatchObject({ error: 'invalid_token' });
      // openid-client (the suite's stand-in) sees the challenge, not a userinfo response.
      await expect(client.fetchUserInfo(config, `${result.tokens.access_token}x`, user.subject)).rejects.toBeInstanceOf(client.WWWAuthenticateChallengeError);
    });
  });

  it('oidcc-ensure-request-without-nonce-succeeds-for-code-flow: a code without a nonce in the request, and no nonce in the ID token', async () => {
    const result = await flow({ extra: { nonce: undefined } });
    expect(result.request.url.searchParams.has('nonce')).toBe(false);
    expect(result.callback.searchParams.get('code')).toEqual(expect.any(String));
    await expectStandardChecks(result);
    // ValidateIdTokenNonce: none asked for, none given.
    expect(result.claims.nonce).toBeUndefined();
  });

  it('oidcc-scope-profile: scope profile is offered, and userinfo gives the profile claims held (name)', async () => {
    expect(metadata.scopes_supported).toEqual(expect.arrayContaining(['openid', 'profile']));
    const result = await flow({ extra: { scope: 'openid profile' } });
    await expectStandardChecks(result);
    const answer = await userinfo(result.tokens.access_token, { method: 'GET', tokenIn: 'header' });
    expect(answer.status).toBe(200);
    // VerifyScopesReturnedInUserInfoClaims (a warning): of profile's claims only `name` is held.
    expect(answer.body).toEqual({ sub: user.subject, participant_id: 'B01240', user_id: 'FLOWS1', name: 'User FLOWS1' });
  });

  /** oidcc-scope-email's checks, also those of oidcc-alternate-happy-flow (its subclass). */
  async function expectEmailScope(result: Flow): Promise<void> {
    await expectStandardChecks(result);
    // EnsureIdTokenDoesNotContainName (a warning): no profile claim. EnsureIdTokenDoesNotContainEmailForScopeEmail
    // (a warning) is raised: the ID token carries the scope's claims (src/oidc/provider.ts, conformIdTokenClaims: false).
    expect(result.claims['name']).toBeUndefined();
    expect(result.claims['email']).toBe('flows1@example.com');
    const answer = await userinfo(result.tokens.access_token, { method: 'GET', tokenIn: 'header' });
    expect(answer.status).toBe(200);
    // VerifyScopesReturnedInUserInfoClaims (a warning) wants email and email_verified: email is held, its verification is not.
    // EnsureUserInfoDoesNotContainName (a warning): no profile claim without scope profile.
    expect(answer.body).toEqual({ sub: user.subject, participant_id: 'B01240', user_id: 'FLOWS1', email: 'flows1@example.com' });
  }

  it('oidcc-scope-email: scope email is offered, and userinfo gives the email address and no profile claim', async () => {
    expect(metadata.scopes_supported).toEqual(expect.arrayContaining(['openid', 'email']));
    await expectEmailScope(await flow({ extra: { scope: 'openid email' } }));
  });

  it('oidcc-scope-all: address and phone are not offered (the module is skipped then); with every scope offered, all their claims', async () => {
    // OIDCCCheckScopesSupportedContainScopeTest: the module asks for "openid email phone address profile".
    expect(metadata.scopes_supported).toEqual(['openid', 'offline_access', 'profile', 'email']);
    // offline_access is left out: OIDC Core 11 grants it only with prompt=consent (oidcc-refresh-token's business).
    const result = await flow({ extra: { scope: 'openid profile email' } });
    await expectStandardChecks(result);
    expect(result.tokens.scope?.split(' ').sort()).toEqual(['email', 'openid', 'profile']);
    const answer = await userinfo(result.tokens.access_token, { method: 'GET', tokenIn: 'header' });
    expect(answer.body).toEqual({ sub: user.subject, participant_id: 'B01240', user_id: 'FLOWS1', name: 'User FLOWS1', email: 'flows1@example.com' });
    // The module's own scope string: the scopes not offered are ignored, never an error.
    const asTheModuleAsks = await flow({ extra: { scope: 'openid email phone address profile' } });
    expect(asTheModuleAsks.tokens.scope?.split(' ').sort()).toEqual(['email', 'openid', 'profile']);
  });

  it('oidcc-ensure-other-scope-order-succeeds / oidcc-alternate-happy-flow: scope reversed ("email openid") and the parameters in reverse alphabetical order', async () => {
    const result = await flow({ extra: { scope: 'email openid' }, reshape: reorderedInReverse });
    const sent = [...reorderedInReverse(result.request.url).searchParams.keys()];
    expect(sent).toEqual(['state', 'scope', 'response_type', 'redirect_uri', 'nonce', 'code_challenge_method', 'code_challenge', 'client_id']);
    await expectEmailScope(result);
  });

  for (const display of ['page', 'popup']) {
    it(`oidcc-display-${display}: display=${display} is no error; the usual login page, then the code`, async () => {
      const result = await flow({ extra: { display } });
      expect(result.request.url.searchParams.get('display')).toBe(display);
      expect(result.loginPage.body).toContain('Log in to CCASS Terminal');
      expect(result.loginPage.body).toMatch(/name="password"/);
      await expectStandardChecks(result);
    });
  }

  it('oidcc-ensure-request-with-unknown-parameter-succeeds: extra=foobar is ignored and the login completes', async () => {
    const result = await flow({ extra: { extra: 'foobar' } });
    expect(result.request.url.searchParams.get('extra')).toBe('foobar');
    await expectStandardChecks(result);
    expect(result.claims['extra']).toBeUndefined();
  });

  it('oidcc-server-client-secret-post: the happy flow of a client that sends its secret in the token request body', async () => {
    expect(metadata.token_endpoint_auth_methods_supported).toContain('client_secret_post');
    const options = { execute: [client.allowInsecureRequests] };
    const postConfig = await client.discovery(new URL(running.issuer), POST_CLIENT.clientId, undefined, client.ClientSecretPost(POST_CLIENT.clientSecret), options);
    const result = await flow({ configuration: postConfig, redirectUri: POST_CLIENT.redirectUri });
    await expectStandardChecks(result, POST_CLIENT.clientId);
    expect(result.claims.nonce).toBe(result.request.nonce);
    // The secret in the body is checked: a wrong one is refused. (oidc-provider takes client_secret_basic
    // and client_secret_post as one method: the right secret in a Basic header would do as well.)
    const wrongConfig = await client.discovery(new URL(running.issuer), POST_CLIENT.clientId, undefined, client.ClientSecretPost(`${POST_CLIENT.clientSecret}-not`), options);
    const request = await authorizationRequest(wrongConfig, { redirect_uri: POST_CLIENT.redirectUri });
    const browser = new Browser();
    const loginPage = await followFrom(browser, await navigate(browser, request.url), POST_CLIENT.redirectUri);
    const callback = new URL((await followFrom(browser, await logInOnPage(running, browser, loginPage, user), POST_CLIENT.redirectUri)).url);
    await expect(client.authorizationCodeGrant(wrongConfig, callback, { pkceCodeVerifier: request.verifier, expectedNonce: request.nonce, expectedState: request.state })).rejects.toMatchObject({
      error: 'invalid_client',
    });
  });

  it('oidcc-ensure-request-with-valid-pkce-succeeds: S256 challenge, the verifier in the token request, the tokens issued', async () => {
    expect(metadata.code_challenge_methods_supported).toEqual(['S256']);
    const result = await flow();
    expect(result.request.url.searchParams.get('code_challenge')).toBe(await client.calculatePKCECodeChallenge(result.request.verifier));
    expect(result.request.url.searchParams.get('code_challenge_method')).toBe('S256');
    await expectStandardChecks(result);
    // The verifier is checked: another one is refused (invalid_grant).
    const request = await authorizationRequest(config);
    const browser = new Browser();
    const loginPage = await followFrom(browser, await navigate(browser, request.url));
    const callback = new URL((await followFrom(browser, await logInOnPage(running, browser, loginPage, user))).url);
    await expect(
      client.authorizationCodeGrant(config, callback, { pkceCodeVerifier: client.randomPKCECodeVerifier(), expectedNonce: request.nonce, expectedState: request.state }),
    ).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  describe('the suite\'s requests exactly, for its client configured require_pkce: false', () => {
    let suiteConfig: client.Configuration;
    beforeAll(async () => {
      suiteConfig = await client.discovery(new URL(running.issuer), SUITE_CLIENT.clientId, undefined, client.ClientSecretBasic(SUITE_CLIENT.clientSecret), { execute: [client.allowInsecureRequests] });
    });
    const withoutPkce = { code_challenge: undefined, code_challenge_method: undefined };

    /** A flow without PKCE: the token request sends no code_verifier. */
    async function suiteFlow(extra: Record<string, string | undefined>): Promise<Flow> {
      const request = await authorizationRequest(suiteConfig, { redirect_uri: SUITE_CLIENT.redirectUri, ...withoutPkce, ...extra });
      expect(request.url.searchParams.has('code_challenge')).toBe(false);
      const browser = new Browser();
      const loginPage = await followFrom(browser, await navigate(browser, request.url), SUITE_CLIENT.redirectUri);
      const callback = new URL((await followFrom(browser, await logInOnPage(running, browser, loginPage, user), SUITE_CLIENT.redirectUri)).url);
      const tokens = await client.authorizationCodeGrant(suiteConfig, callback, { expectedNonce: request.url.searchParams.get('nonce') ?? undefined, expectedState: request.state });
      return { request, loginPage, callback, tokens, claims: tokens.claims() as client.IDToken };
    }

    it('oidcc-server: the happy flow without PKCE (state and nonce), the same checks', async () => {
      const result = await suiteFlow({});
      await expectStandardChecks(result, SUITE_CLIENT.clientId);
      expect(result.claims.nonce).toBe(result.request.nonce);
    });

    it('oidcc-ensure-request-without-nonce-succeeds-for-code-flow: without PKCE and without a nonce', async () => {
      const result = await suiteFlow({ nonce: undefined });
      await expectStandardChecks(result, SUITE_CLIENT.clientId);
      expect(result.claims.nonce).toBeUndefined();
    });

    it('a challenge it does send is held to (a wrong or missing verifier refused), and only S256 is taken', async () => {
      const request = await authorizationRequest(suiteConfig, { redirect_uri: SUITE_CLIENT.redirectUri });
      const browser = new Browser();
      const loginPage = await followFrom(browser, await navigate(browser, request.url), SUITE_CLIENT.redirectUri);
      const callback = new URL((await followFrom(browser, await logInOnPage(running, browser, loginPage, user), SUITE_CLIENT.redirectUri)).url);
      await expect(client.authorizationCodeGrant(suiteConfig, callback, { expectedNonce: request.nonce, expectedState: request.state })).rejects.toMatchObject({ error: 'invalid_grant' });
      const plain = await authorizationRequest(suiteConfig, { redirect_uri: SUITE_CLIENT.redirectUri, code_challenge_method: 'plain', code_challenge: 'x'.repeat(43) });
      const refused = await followFrom(new Browser(), await navigate(new Browser(), plain.url), SUITE_CLIENT.redirectUri);
      expect(new URL(refused.url).searchParams.get('error')).toBe('invalid_request');
    });
  });

  it('the suite\'s request without PKCE is refused for every other client: S256 is required unless a confidential client is configured otherwise', async () => {
    const request = await authorizationRequest(config, { code_challenge: undefined, code_challenge_method: undefined });
    const browser = new Browser();
    const page = await followFrom(browser, await navigate(browser, request.url));
    expect(Object.fromEntries(new URL(page.url).searchParams)).toEqual({
      error: 'invalid_request',
      error_description: 'Authorization Server policy requires PKCE to be used for this request',
      state: request.state,
      iss: running.issuer,
    });
  });
});
