import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError, loadConfig } from '../../../src/config/load.js';
import { webauthnSettings } from '../../../src/factors/webauthn.js';

function configError(load: () => unknown): string {
  try {
    load();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('configuration', () => {
  it('fills every default from an empty file', () => {
    const config = loadConfig({ raw: {}, env: {} });
    expect(config.server.port).toBe(3000);
    expect(config.issuer).toBe('http://localhost:3000');
    expect(config.database.url).toBeUndefined();
    expect(config.password.argon2).toEqual({ memoryCost: 19456, timeCost: 2, parallelism: 1 });
    expect(config.oidc.ttl.session).toBe(12 * 3600);
  });

  it('loads the shipped development file', () => {
    const config = loadConfig({ file: 'config/default.yaml', env: {} });
    expect(config.oidc.clients.map((client) => client.client_id)).toContain('ccass-terminal');
  });

  it('lets environment variables override the file', () => {
    const config = loadConfig({
      raw: { server: { port: 4000 }, issuer: 'http://file.example' },
      env: {
        PORT: '5000',
        ISSUER: 'https://auth.example.com',
        DATABASE_URL: 'postgres://u@db/x',
        LOG_LEVEL: 'debug',
        SMTP_URL: 'smtp://mail:25',
        TRUST_PROXY: 'true',
        COOKIE_KEYS: 'a'.repeat(32) + ', ' + 'b'.repeat(32),
      },
    });
    expect(config.server.port).toBe(5000);
    expect(config.issuer).toBe('https://auth.example.com');
    expect(config.database.url).toBe('postgres://u@db/x');
    expect(config.log.level).toBe('debug');
    expect(config.smtp.url).toBe('smtp://mail:25');
    expect(config.server.trustProxy).toBe(true);
    expect(config.oidc.cookieKeys).toEqual(['a'.repeat(32), 'b'.repeat(32)]);
  });

  it('listens on loopback by default: a development server is nobody else\'s', () => {
    const config = loadConfig({ raw: {}, env: {} });
    expect([config.server.host, config.metrics.host]).toEqual(['127.0.0.1', '127.0.0.1']);
    expect(loadConfig({ file: 'config/default.yaml', env: {} }).server.host).toBe('127.0.0.1');
  });

  it('gives a loopback issuer the port of PORT when ISSUER is not set, and leaves a public issuer alone', () => {
    expect(loadConfig({ raw: {}, env: { PORT: '3310' } }).issuer).toBe('http://localhost:3310');
    expect(loadConfig({ file: 'config/default.yaml', env: { PORT: '3311' } }).issuer).toBe('http://localhost:3311');
    expect(loadConfig({ raw: { issuer: 'http://127.0.0.1:4000' }, env: { PORT: '4001' } }).issuer).toBe('http://127.0.0.1:4001');
    // Behind a proxy PORT is the node's own port and the issuer the public URL.
    expect(loadConfig({ raw: { issuer: 'https://auth.example.hk' }, env: { PORT: '3000' } }).issuer).toBe('https://auth.example.hk');
    expect(loadConfig({ raw: {}, env: { PORT: '3310', ISSUER: 'http://localhost:9000' } }).issuer).toBe('http://localhost:9000');
  });

  it('names the key, the value as given and the file when a value is wrong', () => {
    const message = configError(() => loadConfig({ raw: { server: { port: 'eighty' } }, env: {} }));
    expect(message).toContain('  - server.port: expected a whole number, got "eighty" (in supplied object)');
    expect(message).not.toMatch(/NaN/);
  });

  it('names the environment variable, its key and the value as given when an override is wrong', () => {
    const port = configError(() => loadConfig({ raw: {}, env: { PORT: 'abc' } }));
    expect(port).toContain('PORT: expected a whole number, got "abc" (the environment variable for server.port)');
    expect(port).not.toMatch(/NaN/);
    expect(configError(() => loadConfig({ raw: {}, env: { METRICS_PORT: '80a' } }))).toContain('METRICS_PORT: expected a whole number, got "80a"');
    expect(configError(() => loadConfig({ raw: {}, env: { PORT: '99999' } }))).toContain('PORT: expected at most 65535, got 99999 (the environment variable for server.port)');
    expect(configError(() => loadConfig({ raw: {}, env: { PORT: '1.5' } }))).toContain('PORT: expected a whole number, got "1.5"');
    expect(configError(() => loadConfig({ raw: {}, env: { TRUST_PROXY: 'maybe' } }))).toContain('TRUST_PROXY: expected true or false, got "maybe" (the environment variable for server.trustProxy)');
    expect(configError(() => loadConfig({ raw: {}, env: { DATABASE_URL: 'mysql://x' } }))).toMatch(/DATABASE_URL: must be a postgres:\/\/ URL \(the environment variable for database\.url\)/);
    expect(configError(() => loadConfig({ raw: {}, env: { LOG_LEVEL: 'loud' } }))).toContain('LOG_LEVEL: expected one of fatal, error, warn, info, debug, trace, silent, got "loud"');
  });

  it('still reads ports written as text, from the environment or the file', () => {
    expect(loadConfig({ raw: {}, env: { PORT: '3310', METRICS_PORT: '9464' } })).toMatchObject({ server: { port: 3310 }, metrics: { port: 9464 } });
    expect(loadConfig({ raw: { server: { port: '4000' } }, env: {} }).server.port).toBe(4000);
  });

  it('lists the allowed values of an enumerated key', () => {
    expect(configError(() => loadConfig({ raw: { totp: { digits: 7 } }, env: {} }))).toContain('totp.digits: expected one of 6, 8, got 7 (in supplied object)');
    expect(configError(() => loadConfig({ raw: { totp: { digits: '6' } }, env: {} }))).toContain('totp.digits: expected one of 6, 8, got "6"');
    expect(configError(() => loadConfig({ raw: { totp: { algorithm: 'md5' } }, env: {} }))).toContain('totp.algorithm: expected one of sha1, sha256, sha512, got "md5"');
    expect(configError(() => loadConfig({ raw: { oidc: { idTokenSigningAlg: 'HS256' } }, env: {} }))).toContain('oidc.idTokenSigningAlg: expected one of ES256, RS256, got "HS256"');
    expect(configError(() => loadConfig({ raw: {}, env: { PHASE_OVERRIDE: 'smartcard-forever' } }))).toContain(
      'PHASE_OVERRIDE: expected one of smartcard-only, email-registration, parallel-run, 2fa-only, got "smartcard-forever"',
    );
  });

  it('never repeats a secret in an error, saying what kind of value it was instead', () => {
    const secret = 'postgres-password-hunter2';
    expect(configError(() => loadConfig({ raw: {}, env: { DATABASE_URL: `mysql://u:${secret}@db/x` } }))).not.toContain(secret);
    expect(configError(() => loadConfig({ raw: {}, env: { COOKIE_KEYS: secret } }))).not.toContain(secret);
    const message = configError(() => loadConfig({ raw: { metrics: { token: 12345678 } }, env: {} }));
    expect(message).toContain('metrics.token: expected text, got a number');
    expect(message).not.toContain('12345678');
  });

  it('names every key in every error, whatever went wrong', () => {
    const message = configError(() =>
      loadConfig({
        raw: { server: { port: 'x', prot: 1 }, totp: { digits: 7, window: 9 }, smtp: { from: '' }, oidc: { ttl: { session: 1.5 } }, surprise: true },
        env: { TRUST_PROXY: 'maybe' },
      }),
    );
    const lines = message.split('\n').slice(1);
    expect(lines.length).toBeGreaterThanOrEqual(8);
    for (const line of lines) expect(line).toMatch(/^ {2}- ([a-z][A-Za-z]*(\.[A-Za-z_]+|\[\d+\])*|[A-Z_]+): \S/);
    expect(message).toContain('server.prot: unknown key');
    expect(message).toContain('surprise: unknown key');
    expect(message).toContain('totp.window: expected at most 2, got 9');
    expect(message).toContain('smtp.from: must be at least 3 characters');
    expect(message).toContain('oidc.ttl.session: expected a whole number, got 1.5');
  });

  it('binds security keys to the issuer\'s host or a registrable suffix of it, and ceremonies to origins within it', () => {
    const at = (webauthn: Record<string, unknown>, issuer = 'https://auth.ccass.example.com') => () => loadConfig({ raw: { issuer, webauthn }, env: {} });
    expect(at({})().webauthn.rpId).toBeUndefined();
    expect(webauthnSettings(at({})()).rpId).toBe('auth.ccass.example.com');
    expect(webauthnSettings(at({})()).origins).toEqual(['https://auth.ccass.example.com']);
    expect(webauthnSettings(at({ rpId: 'ccass.example.com' })()).rpId).toBe('ccass.example.com');
    expect(webauthnSettings(at({}, 'http://localhost:3000')(), ['https://localhost:8443']).origins).toEqual(['http://localhost:3000', 'https://localhost:8443']);
    expect(at({ rpId: 'other.example.com' })).toThrow(/webauthn\.rpId.*issuer's host \(auth\.ccass\.example\.com\) or a registrable suffix/);
    // A bare top-level label is no site anyone owns; nor is a near-miss spelling of the host.
    expect(at({ rpId: 'com' })).toThrow(/webauthn\.rpId/);
    expect(at({ rpId: 'example.com.evil' })).toThrow(/webauthn\.rpId/);
    expect(at({ rpId: 'xample.com' })).toThrow(/webauthn\.rpId/);
    expect(at({ rpId: 'Auth.Example.com' })).toThrow(/webauthn\.rpId.*lower-case domain name/);
    expect(at({ rpId: 'https://auth.ccass.example.com' })).toThrow(/webauthn\.rpId/);
    expect(at({ origins: ['https://phish.example.net'] })).toThrow(/webauthn\.origins\[0\].*on webauthn\.rpId/);
    expect(at({ origins: ['https://auth.ccass.example.com/login'] })).toThrow(/webauthn\.origins\[0\].*must be an origin/);
    expect(at({ rpId: 'ccass.example.com', origins: ['https://dms.ccass.example.com'] })().webauthn.origins).toEqual(['https://dms.ccass.example.com']);
    expect(at({}, 'http://127.0.0.1:3000')().webauthn.rpId).toBeUndefined();
    expect(at({ rpId: '0.0.1' }, 'http://127.0.0.1:3000')).toThrow(/webauthn\.rpId/);
  });

  it('refuses unknown keys, so that a typo is not silently ignored', () => {
    expect(configError(() => loadConfig({ raw: { server: { prot: 3000 } }, env: {} }))).toContain('server.prot: unknown key (in supplied object)');
  });

  it('names the client entry that is wrong', () => {
    const message = configError(() =>
      loadConfig({ raw: { oidc: { clients: [{ client_id: 'ok-client', redirect_uris: ['not a url'] }] } }, env: {} }),
    );
    expect(message).toMatch(/oidc\.clients\[0\]\.redirect_uris\[0\]/);
  });

  it('refuses duplicate client ids and short client secrets', () => {
    const client = { client_id: 'same', redirect_uris: ['https://rp.example/cb'] };
    expect(configError(() => loadConfig({ raw: { oidc: { clients: [client, client] } }, env: {} }))).toMatch(/oidc\.clients\[1\]\.client_id: duplicate client_id "same"/);
    expect(
      configError(() => loadConfig({ raw: { oidc: { clients: [{ ...client, client_secret: 'short' }] } }, env: {} })),
    ).toMatch(/client_secret.*at least 32/);
  });

  it('refuses for a public client what only a confidential one may be: a resource server, an auth method, a refresh token that does not rotate, no PKCE', () => {
    const publicClient = { client_id: 'public-one', redirect_uris: ['https://rp.example/cb'] };
    const refusal = (extra: Record<string, unknown>) => configError(() => loadConfig({ raw: { oidc: { clients: [{ ...publicClient, ...extra }] } }, env: {} }));
    expect(refusal({ resource_server: true })).toMatch(/oidc\.clients\[0\]\.resource_server: needs client_secret/);
    expect(refusal({ token_endpoint_auth_method: 'client_secret_post' })).toMatch(/oidc\.clients\[0\]\.token_endpoint_auth_method: needs client_secret/);
    expect(refusal({ refresh_token_rotation: 'none' })).toMatch(/oidc\.clients\[0\]\.refresh_token_rotation: must be "rotate" for a public client/);
    expect(refusal({ refresh_token_rotation: 'sometimes' })).toMatch(/oidc\.clients\[0\]\.refresh_token_rotation/);
    expect(refusal({ require_pkce: false })).toMatch(/oidc\.clients\[0\]\.require_pkce: must be true for a public client/);
    const confidential = { ...publicClient, client_secret: 'a-client-secret-of-at-least-32-characters' };
    const config = loadConfig({ raw: { oidc: { clients: [{ ...confidential, resource_server: true, refresh_token_rotation: 'none', token_endpoint_auth_method: 'client_secret_post' }, { ...confidential, client_id: 'defaults' }] } }, env: {} });
    expect(config.oidc.clients[0]).toMatchObject({ resource_server: true, refresh_token_rotation: 'none', token_endpoint_auth_method: 'client_secret_post' });
    expect(config.oidc.clients[1]).toMatchObject({ resource_server: false, refresh_token_rotation: 'rotate', require_pkce: true });
    expect(loadConfig({ raw: { oidc: { clients: [{ ...confidential, require_pkce: false }] } }, env: {} }).oidc.clients[0]?.require_pkce).toBe(false);
  });

  describe('private_key_jwt clients', () => {
    const keyed = { client_id: 'keyed-client', redirect_uris: ['https://rp.example/cb'], token_endpoint_auth_method: 'private_key_jwt' };
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const publicJwk = { ...publicKey.export({ format: 'jwk' }), kid: 'rp-2026', alg: 'ES256', use: 'sig' };
    const rsaJwk = { ...generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ format: 'jwk' }), kid: 'rp-rsa', alg: 'PS256' };
    const load = (client: Record<string, unknown>, raw: Record<string, unknown> = {}, env: Record<string, string> = {}) =>
      loadConfig({ raw: { ...raw, oidc: { ...(raw['oidc'] as object), clients: [{ ...keyed, ...client }] } }, env });
    const refusal = (client: Record<string, unknown>) => configError(() => load(client));

    it('takes the public keys inline (RSA and EC) or a jwks_uri, and no secret', () => {
      expect(load({ jwks: { keys: [publicJwk, rsaJwk] } }).oidc.clients[0]).toMatchObject({ token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [publicJwk, rsaJwk] } });
      expect(load({ jwks_uri: 'https://rp.example/jwks' }).oidc.clients[0]?.jwks_uri).toBe('https://rp.example/jwks');
    });

    it('refuses a private key, a symmetric key, a missing jwks and a secret alongside, naming the key', () => {
      const privateJwk = { ...privateKey.export({ format: 'jwk' }), kid: 'oops' };
      expect(refusal({ jwks: { keys: [publicJwk, privateJwk] } })).toMatch(/oidc\.clients\[0\]\.jwks\.keys\[1\]\.d: is private key material/);
      expect(refusal({ jwks: { keys: [{ kty: 'oct', k: 'c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0', kid: 'hmac' }] } })).toMatch(/oidc\.clients\[0\]\.jwks\.keys\[0\]\.kty: is a symmetric key/);
      expect(refusal({})).toMatch(/oidc\.clients\[0\]\.jwks: private_key_jwt needs exactly one of jwks or jwks_uri/);
      expect(refusal({ jwks: { keys: [publicJwk] }, jwks_uri: 'https://rp.example/jwks' })).toMatch(/oidc\.clients\[0\]\.jwks: private_key_jwt needs exactly one/);
      expect(refusal({ jwks: { keys: [publicJwk] }, client_secret: 'a-client-secret-of-at-least-32-characters' })).toMatch(
        /oidc\.clients\[0\]\.client_secret: must not be set with token_endpoint_auth_method private_key_jwt/,
      );
    });

    it('refuses unsupported algorithms and curves, small RSA keys, keys without or with the same kid, and broken keys', () => {
      expect(refusal({ jwks: { keys: [{ ...publicJwk, alg: 'RS256' }] } })).toMatch(/jwks\.keys\[0\]\.alg: must be one of ES256 for a EC key/);
      expect(refusal({ jwks: { keys: [{ ...rsaJwk, alg: 'RS512' }] } })).toMatch(/jwks\.keys\[0\]\.alg: must be one of RS256, PS256/);
      const p384 = { ...generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey.export({ format: 'jwk' }), kid: 'p384' };
      expect(refusal({ jwks: { keys: [p384] } })).toMatch(/jwks\.keys\[0\]\.crv: must be "P-256"/);
      const small = { ...generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'jwk' }), kid: 'small' };
      expect(refusal({ jwks: { keys: [small] } })).toMatch(/jwks\.keys\[0\]\.n: must be an RSA key of at least 2048 bits/);
      const { kid: _kid, ...noKid } = publicJwk;
      expect(refusal({ jwks: { keys: [noKid] } })).toMatch(/jwks\.keys\[0\]\.kid: is required/);
      expect(refusal({ jwks: { keys: [publicJwk, { ...rsaJwk, kid: publicJwk.kid }] } })).toMatch(/jwks\.keys\[1\]\.kid: duplicate kid "rp-2026"/);
      expect(refusal({ jwks: { keys: [{ ...publicJwk, x: 'AAAA' }] } })).toMatch(/jwks\.keys\[0\]: is not a valid public key/);
      expect(refusal({ jwks: { keys: [{ ...publicJwk, use: 'enc' }] } })).toMatch(/jwks\.keys\[0\]\.use: must be "sig"/);
    });

    it('keeps jwks and jwks_uri to private_key_jwt, and wants jwks_uri over https in production', () => {
      expect(refusal({ token_endpoint_auth_method: 'client_secret_basic', client_secret: 'a-client-secret-of-at-least-32-characters', jwks: { keys: [publicJwk] } })).toMatch(
        /oidc\.clients\[0\]\.jwks: is only for token_endpoint_auth_method private_key_jwt/,
      );
      expect(configError(() => load({ jwks_uri: 'http://rp.example/jwks' }, {}, { NODE_ENV: 'production' }))).toMatch(/oidc\.clients\[0\]\.jwks_uri: must be an https URL in production/);
      expect(load({ jwks_uri: 'http://127.0.0.1:9000/jwks' }).oidc.clients[0]?.jwks_uri).toBe('http://127.0.0.1:9000/jwks');
    });
  });

  it('requires real keys, https and a database in production', () => {
    const message = configError(() => loadConfig({ raw: {}, env: { NODE_ENV: 'production' } }));
    expect(message).toMatch(/issuer.*https/);
    expect(message).toMatch(/secrets\.encryptionKeys.*required in production/);
    // Signing keys may come from the database (sealed with secrets.encryptionKeys) instead of a file.
    expect(message).not.toMatch(/jwksFile/);
    expect(message).toMatch(/oidc\.cookieKeys.*required in production/);
    expect(message).toMatch(/database\.url.*required in production/);
  });

  it('keeps a new signing key published for at least one key refresh before it may sign', () => {
    expect(configError(() => loadConfig({ raw: { oidc: { keys: { refreshSeconds: 60, publishBeforeSigningSeconds: 30 } } }, env: {} }))).toMatch(
      /oidc\.keys\.publishBeforeSigningSeconds.*at least oidc\.keys\.refreshSeconds/,
    );
  });

  it('reads the file named by CONFIG_FILE and reports a missing or broken one', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ccass-config-'));
    const good = path.join(dir, 'good.yaml');
    writeFileSync(good, 'server:\n  port: 4321\n');
    expect(loadConfig({ env: { CONFIG_FILE: good } }).server.port).toBe(4321);

    expect(configError(() => loadConfig({ env: { CONFIG_FILE: path.join(dir, 'missing.yaml') } }))).toMatch(/missing\.yaml: file not found/);

    const broken = path.join(dir, 'broken.yaml');
    writeFileSync(broken, 'server: [unclosed\n');
    expect(configError(() => loadConfig({ env: { CONFIG_FILE: broken } }))).toMatch(/broken\.yaml is not valid YAML/);

    const list = path.join(dir, 'list.yaml');
    writeFileSync(list, '- a\n- b\n');
    expect(configError(() => loadConfig({ env: { CONFIG_FILE: list } }))).toMatch(/top level must be a mapping/);
  });

  describe('abuse resistance and sessions', () => {
    it('defaults to AAL2 session lifetimes, growing locks and per-address limits', () => {
      const config = loadConfig({ raw: {}, env: {} });
      expect(config.oidc.ttl).toMatchObject({ session: 12 * 3600, sessionIdle: 30 * 60 });
      expect(config.lockout).toEqual({ threshold: 10, durationSeconds: 900, growthFactor: 2, maxDurationSeconds: 86400 });
      expect(config.rateLimits).toMatchObject({ enabled: true, ipv6PrefixLength: 64, loginFailures: { points: 30, durationSeconds: 900 } });
    });

    it('names the key of a session idle time longer than the session, or a lock maximum below the first lock', () => {
      expect(configError(() => loadConfig({ raw: { oidc: { ttl: { session: 3600, sessionIdle: 7200 } } }, env: {} }))).toMatch(/oidc\.ttl\.sessionIdle: must not be longer than oidc\.ttl\.session/);
      expect(configError(() => loadConfig({ raw: { lockout: { durationSeconds: 7200, maxDurationSeconds: 3600 } }, env: {} }))).toMatch(/lockout\.maxDurationSeconds/);
      expect(configError(() => loadConfig({ raw: { rateLimits: { loginFailures: { points: 0 } } }, env: {} }))).toMatch(/rateLimits\.loginFailures\.points/);
      expect(configError(() => loadConfig({ raw: { rateLimits: { typo: {} } }, env: {} }))).toMatch(/rateLimits/);
    });
  });

  describe('phases and smartcards', () => {
    it('takes a pinned phase from PHASE_OVERRIDE and refuses an unknown one by name', () => {
      expect(loadConfig({ raw: {}, env: { PHASE_OVERRIDE: '2fa-only' } }).phases.override).toBe('2fa-only');
      expect(configError(() => loadConfig({ raw: {}, env: { PHASE_OVERRIDE: 'smartcard-forever' } }))).toMatch(/PHASE_OVERRIDE: .* \(the environment variable for phases\.override\)/);
    });

    it('upper-cases pilot participants and refuses ones that are no participant ID', () => {
      expect(loadConfig({ raw: { phases: { pilotParticipants: ['b01234'] } }, env: {} }).phases.pilotParticipants).toEqual(['B01234']);
      expect(configError(() => loadConfig({ raw: { phases: { pilotParticipants: ['not an id'] } }, env: {} }))).toMatch(/phases\.pilotParticipants\[0\]/);
    });

    it('needs a way for certificates to arrive once a smartcard CA is configured, and a CA for either mode', () => {
      expect(configError(() => loadConfig({ raw: { smartcard: { caFile: 'ca.pem' } }, env: {} }))).toMatch(/smartcard\.caFile: needs smartcard\.tls or smartcard\.proxy/);
      expect(configError(() => loadConfig({ raw: { smartcard: { proxy: { trustedAddresses: ['10.0.0.1'] } } }, env: {} }))).toMatch(/smartcard\.caFile: is required/);
    });

    it('refuses a trusted proxy address that is no IP address or CIDR range', () => {
      const raw = (address: string) => ({ smartcard: { caFile: 'ca.pem', proxy: { trustedAddresses: [address] } } });
      expect(loadConfig({ raw: raw('10.0.0.0/8'), env: {} }).smartcard.proxy).toMatchObject({ trustedAddresses: ['10.0.0.0/8'], encoding: 'url-escaped-pem' });
      expect(loadConfig({ raw: raw('::1'), env: {} }).smartcard.proxy?.trustedAddresses).toEqual(['::1']);
      for (const bad of ['10.0.0.0/33', 'proxy.internal', '10.0.0.1/8/1', '']) {
        expect(configError(() => loadConfig({ raw: raw(bad), env: {} }))).toMatch(/smartcard\.proxy\.trustedAddresses\[0\].*CIDR/);
      }
    });
  });
});
