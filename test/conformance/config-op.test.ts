/**
 * The conformance suite's Config OP plan (oidcc-config-certification-test-plan): its one
 * module reads the discovery document and the JWKS and checks what OIDC Discovery 1.0 §3 and
 * OIDC Core require of them. (Its "every endpoint is https" check holds in production, whose
 * issuer must be https — test/unit's configuration tests — not on this loopback test server.)
 */
import { discoverTerminal } from '../support/conformance.js';
import { useTestServer, type RunningTestServer } from '../support/server.js';

describe('Config OP plan', () => {
  let running: RunningTestServer;
  useTestServer((started) => ({ running } = started));

  it('oidcc-discovery-endpoint-verification: the discovery document and JWKS say what the specifications require', async () => {
    const metadata = (await discoverTerminal(running)).serverMetadata();
    // openid-client's discovery already refused an issuer that differs from the one asked for.
    expect(metadata.issuer).toBe(running.issuer);
    for (const endpoint of ['authorization_endpoint', 'token_endpoint', 'userinfo_endpoint', 'jwks_uri'] as const) {
      expect(new URL(metadata[endpoint] as string).origin).toBe(new URL(running.issuer).origin);
    }
    expect(metadata.scopes_supported).toContain('openid');
    expect(metadata.response_types_supported).toEqual(['code']);
    expect(metadata.subject_types_supported).toContain('public');
    expect(metadata.id_token_signing_alg_values_supported).toContain('RS256');
    expect(metadata.id_token_signing_alg_values_supported).not.toContain('none');
    expect(metadata.claims_supported).toEqual(expect.arrayContaining(['sub', 'participant_id', 'user_id']));
    expect(metadata.grant_types_supported).toEqual(expect.arrayContaining(['authorization_code', 'refresh_token']));
    expect(metadata.code_challenge_methods_supported).toEqual(['S256']);

    const jwks = (await (await fetch(metadata.jwks_uri as string)).json()) as { keys: Array<Record<string, unknown>> };
    expect(jwks.keys.length).toBeGreaterThan(0);
    for (const key of jwks.keys) {
      expect(key).toMatchObject({ kid: expect.any(String), use: 'sig' });
      // Public keys only.
      expect(key).not.toHaveProperty('d');
    }
  });
});
