/**
 * The Basic OP plan's (oidcc-basic-certification-test-plan) modules on request objects and the
 * claims parameter, each as the suite's module runs it: openid-client builds the request, the
 * test browser takes it to the authorization endpoint.
 *
 * Request objects are not offered (oidc-provider 9 verifies signed request objects only, and
 * takes request_uri only from its own pushed authorization requests). The suite's request
 * object modules skip themselves only when discovery lists request_object_signing_alg_values_supported
 * without `none` (AbstractOIDCCServerTest.skipTestIfNoneUnsupported); this server lists no
 * algorithm, so they run, and accept the refusal: `request_not_supported` /
 * `request_uri_not_supported` on the redirect (the module then ends SKIPPED, "permitted
 * behaviour"), or, when the outer redirect_uri is not registered, the invalid redirect_uri error page.
 */
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateKeyPair, UnsecuredJWT } from 'jose';
import * as client from 'openid-client';
import { Browser } from '../support/browser.js';
import { authorizationRequest, authorize, discoverTerminal, followFrom, navigate, type Method } from '../support/conformance.js';
import { seedUser, TERMINAL, useTestServer, type RunningTestServer, type SeededUser } from '../support/server.js';

describe('Basic OP plan: request objects and the claims parameter', () => {
  let running: RunningTestServer;
  let user: SeededUser;
  let config: client.Configuration;
  useTestServer((started) => ({ running } = started));
  beforeAll(async () => {
    user = await seedUser(running.server, running.config, { participantId: 'B01234', userId: 'CLAIMS1', email: 'claims1@example.com' }, running.clock);
    config = await discoverTerminal(running);
  });

  /** What the provider refused, as its authorization.error events say, while `run` runs. */
  async function refusalsDuring(run: () => Promise<void>): Promise<Array<{ error: string; error_description?: string | undefined }>> {
    const refusals: Array<{ error: string; error_description?: string | undefined }> = [];
    const provider = running.server.provider as unknown as NodeJS.EventEmitter;
    const listen = (_ctx: unknown, error: { error: string; error_description?: string }) => refusals.push({ error: error.error, error_description: error.error_description });
    provider.on('authorization.error', listen);
    try {
      await run();
    } finally {
      provider.off('authorization.error', listen);
    }
    return refusals;
  }

  /**
   * The suite's request object: the whole authorization request as claims (ConvertAuthorizationEndpointRequestToRequestObject),
   * with iss and aud, serialized with alg none (SerializeRequestObjectWithNullAlgorithm).
   */
  async function unsignedRequestObject(extra: Record<string, string> = {}) {
    const request = await authorizationRequest(config, extra);
    const claims = Object.fromEntries(request.url.searchParams);
    const jwt = new UnsecuredJWT(claims).setIssuer(TERMINAL.clientId).setAudience(running.issuer).encode();
    return { request, claims, jwt };
  }

  /**
   * The suite's redirect with a request object (BuildRequestObjectBy{Value,Reference}RedirectToAuthorizationEndpoint):
   * response_type, client_id, scope and redirect_uri outside, besides `request` or `request_uri`;
   * state, nonce and the PKCE challenge only inside the object.
   */
  function outerRequest(claims: Record<string, string>, parameter: Record<string, string>, redirectUri = claims['redirect_uri'] as string): URL {
    return client.buildAuthorizationUrl(config, { response_type: 'code', scope: claims['scope'] as string, redirect_uri: redirectUri, ...parameter });
  }

  describe('oidcc-unsigned-request-object-supported-correctly-or-rejected-as-unsupported', () => {
    it('oidcc-unsigned-request-object-supported-correctly-or-rejected-as-unsupported: discovery offers no request objects, and an unsigned one gets request_not_supported on the redirect, over GET and POST', async () => {
      const metadata = config.serverMetadata();
      // Not listed: the module does not skip itself (it would for a list without `none`), it runs and meets the refusal.
      expect(metadata.request_object_signing_alg_values_supported).toBeUndefined();
      // Said explicitly (OIDC Discovery's default is false too, as the module's CheckDiscEndpointRequestParameterSupported reads it).
      expect(metadata.request_parameter_supported).toBe(false);
      for (const method of ['GET', 'POST'] as Method[]) {
        const { claims, jwt } = await unsignedRequestObject();
        const refusals = await refusalsDuring(async () => {
          const page = await followFrom(new Browser(), await navigate(new Browser(), outerRequest(claims, { request: jwt }), method));
          expect(page.url.startsWith(TERMINAL.redirectUri)).toBe(true);
          const callback = new URL(page.url).searchParams;
          expect(callback.get('error')).toBe('request_not_supported');
          expect(callback.get('code')).toBeNull();
          // The state was inside the object only: the module expects none back (and this server read nothing of the object).
          expect(callback.get('state')).toBeNull();
          expect(callback.get('iss')).toBe(running.issuer);
        });
        expect(refusals.map(({ error }) => error)).toEqual(['request_not_supported']);
      }
    });

    it('a request object with the state also outside returns it with the refusal; no login starts; a signed one (openid-client JAR, nothing outside) is refused on our error page', async () => {
      const { request, claims, jwt } = await unsignedRequestObject();
      const browser = new Browser();
      const page = await followFrom(browser, await navigate(browser, outerRequest(claims, { request: jwt, state: request.state })));
      expect(Object.fromEntries(new URL(page.url).searchParams)).toMatchObject({ error: 'request_not_supported', state: request.state });
      expect(await browser.jar.getCookieString(running.issuer)).toBe('');

      const { privateKey } = await generateKeyPair('ES256');
      const signed = await client.buildAuthorizationUrlWithJAR(config, Object.fromEntries((await authorizationRequest(config)).url.searchParams), privateKey);
      // JAR style (RFC 9101 §5): client_id and request only, no redirect_uri outside to return to: our error page.
      expect([...signed.searchParams.keys()].sort()).toEqual(['client_id', 'request']);
      const refusals = await refusalsDuring(async () => {
        const answer = await navigate(new Browser(), signed);
        expect(answer.status).toBe(400);
        expect(answer.headers.get('location')).toBeNull();
        expect(answer.body).toContain('made a sign-in request that this service cannot accept');
      });
      expect(refusals.map(({ error }) => error)).toEqual(['request_not_supported']);
    });
  });

  describe('oidcc-request-uri-unsigned-supported-correctly-or-rejected-as-unsupported', () => {
    let rp: HttpServer;
    let fetched = 0;
    beforeAll(async () => {
      // The suite serves the request object at a URI of its own (CreateRandomRequestUriWithFragment).
      rp = createServer((_request, response) => {
        fetched += 1;
        response.writeHead(200, { 'content-type': 'application/oauth-authz-req+jwt' }).end('');
      });
      await new Promise<void>((resolve) => rp.listen(0, '127.0.0.1', resolve));
    });
    afterAll(() => new Promise<void>((resolve) => rp.close(() => resolve())));

    it('oidcc-request-uri-unsigned-supported-correctly-or-rejected-as-unsupported: discovery says request_uri_parameter_supported false, and a request_uri gets request_uri_not_supported on the redirect, never fetched', async () => {
      // The suite runs this module for dynamically registered clients only (@VariantNotApplicable static_client);
      // a relying party of this server (static clients) meets the same answer.
      expect(config.serverMetadata().request_uri_parameter_supported).toBe(false);
      const { port } = rp.address() as AddressInfo;
      for (const method of ['GET', 'POST'] as Method[]) {
        const { claims, jwt } = await unsignedRequestObject();
        expect(jwt).toBeTruthy();
        const requestUri = `http://127.0.0.1:${port}/request-object/${client.randomState()}#${client.randomState()}`;
        const refusals = await refusalsDuring(async () => {
          const page = await followFrom(new Browser(), await navigate(new Browser(), outerRequest(claims, { request_uri: requestUri }), method));
          const callback = new URL(page.url);
          expect(callback.toString().startsWith(TERMINAL.redirectUri)).toBe(true);
          expect(callback.searchParams.get('error')).toBe('request_uri_not_supported');
          expect(callback.searchParams.get('code')).toBeNull();
        });
        expect(refusals.map(({ error }) => error)).toEqual(['request_uri_not_supported']);
      }
      expect(fetched).toBe(0);
    });
  });

  describe('oidcc-ensure-request-object-with-redirect-uri', () => {
    it('oidcc-ensure-request-object-with-redirect-uri: the registered redirect_uri inside the object, an unregistered one outside: the invalid redirect_uri error page, no redirect to either', async () => {
      // The module skips only "if the server discovery document indicates the server only supports signed
      // request objects (... 'request_object_signing_alg_values_supported' not containing 'none')": none listed here.
      expect(config.serverMetadata().request_object_signing_alg_values_supported).toBeUndefined();
      for (const method of ['GET', 'POST'] as Method[]) {
        const { claims, jwt } = await unsignedRequestObject();
        expect(claims['redirect_uri']).toBe(TERMINAL.redirectUri);
        // AddInvalidRedirectUriToAuthorizationRequest: the registered URI with "_invalid" added to its path.
        const invalid = `${TERMINAL.redirectUri}_invalid`;
        const refusals = await refusalsDuring(async () => {
          const page = await navigate(new Browser(), outerRequest(claims, { request: jwt }, invalid), method);
          expect(page.status).toBe(400);
          expect(page.headers.get('location')).toBeNull();
          expect(page.body).toContain('Sign-in could not continue');
          expect(page.body).toContain('asked to return to an address that is not registered for it');
        });
        // Refused as request_not_supported, reported as the redirect_uri it could not return to.
        expect(refusals.map(({ error }) => error)).toEqual(['request_not_supported', 'invalid_redirect_uri']);
      }
    });
  });

  describe('oidcc-claims-essential', () => {
    const CLAIMS = JSON.stringify({ userinfo: { name: { essential: true } } });

    it('oidcc-claims-essential: discovery says claims_parameter_supported; name asked for as essential at userinfo, with scope openid only, is at userinfo and not in the ID token', async () => {
      expect(config.serverMetadata().claims_parameter_supported).toBe(true);
      expect(config.serverMetadata().claims_supported).toContain('name');
      const tokens = await authorize(running, config, new Browser(), user, { extra: { scope: 'openid', claims: CLAIMS } });
      const idToken = tokens.claims() as client.IDToken;
      expect(idToken).toMatchObject({ sub: user.subject, participant_id: 'B01234', user_id: 'CLAIMS1' });
      // EnsureIdTokenDoesNotContainName: not asked for in the ID token, so not there.
      expect(idToken).not.toHaveProperty('name');
      const userinfo = await client.fetchUserInfo(config, tokens.access_token, idToken.sub);
      // EnsureUserInfoContainsSub, EnsureUserInfoContainsName.
      expect(userinfo).toMatchObject({ sub: user.subject, name: 'User CLAIMS1' });
      // VerifyScopesReturnedInUserInfoClaims: scope openid gives no profile or email claims besides the one asked for.
      expect(userinfo).not.toHaveProperty('email');
    });

    it('a malformed claims parameter is refused with invalid_request on the redirect, with the state', async () => {
      for (const claims of ['not json', '[]', '{"userinfo":"name"}', '{"userinfo":{"name":{"essential":"yes"}}}']) {
        const request = await authorizationRequest(config, { claims });
        const page = await followFrom(new Browser(), await navigate(new Browser(), request.url));
        expect(Object.fromEntries(new URL(page.url).searchParams)).toMatchObject({ error: 'invalid_request', state: request.state });
      }
    });
  });
});
