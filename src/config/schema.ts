/**
 * The one configuration schema. Every key has a default or is optional, so the file in
 * `config/` only needs what differs; `docs/configuration.md` is the reference for operators.
 */
import { createPublicKey, type JsonWebKey } from 'node:crypto';
import { z } from 'zod';
import { PHASES } from '../policy/phases.js';
import { CHANGE_REQUEST_ACTIONS } from '../policy/maker-checker.js';
import { parseHongKongTime } from '../kernel/hong-kong-time.js';
import { parseAddressRange } from '../kernel/address-ranges.js';
import { FORWARDED_CERTIFICATE_ENCODINGS } from '../factors/certificate-encoding.js';

const logLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

/** Dates and secrets in config stay strings; URLs are checked here so a typo fails at start-up. */
const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' });

const phaseName = z.enum(PHASES);

/**
 * A TCP port. Environment variables (and quoted YAML) give text: digits are read as the
 * number they spell; anything else stays as given, so the error shows "abc", not NaN.
 */
function port(min: 0 | 1) {
  return z.preprocess((value) => (typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : value), z.number().int().min(min).max(65535));
}
const hongKongTime = z.string().refine((value) => parseHongKongTime(value) !== undefined, {
  message: 'must be a Hong Kong date or time like "2023-06-26" or "2023-06-26T08:00"',
});

/**
 * How a confidential client may authenticate: a client secret, in the Authorization header
 * (the default) or in the request body. Public clients use `none`. Discovery lists exactly
 * these (src/oidc/clients.ts), so a method appears there only once a client can be configured with it.
 */
export const CONFIDENTIAL_CLIENT_AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'private_key_jwt'] as const;

/**
 * `private_key_jwt` (RFC 7523, OIDC Core 9): the client signs an assertion with its private key;
 * it registers the public keys as `jwks` (inline) or `jwks_uri`, and has no client secret.
 */
export const CLIENT_ASSERTION_SIGNING_ALGS = ['RS256', 'PS256', 'ES256'] as const;

/**
 * Why a key of a client's inline `jwks` is refused (path relative to the key, message), or
 * nothing: public keys only, RSA (RS256/PS256, at least 2048 bits) or EC P-256 (ES256), for signing.
 */
function clientJwkProblem(key: unknown): { path: string[]; message: string } | undefined {
  if (typeof key !== 'object' || key === null || Array.isArray(key)) return { path: [], message: 'must be a JSON Web Key (an object)' };
  const jwk = key as Record<string, unknown>;
  if ('d' in jwk) return { path: ['d'], message: 'is private key material: jwks holds the client\'s public keys only' };
  if (jwk['kty'] === 'oct' || 'k' in jwk) return { path: ['kty'], message: 'is a symmetric key: only RSA or EC public keys are accepted' };
  if (typeof jwk['kid'] !== 'string' || jwk['kid'].length === 0) return { path: ['kid'], message: 'is required (an assertion names its key by kid)' };
  if (jwk['kty'] !== 'RSA' && jwk['kty'] !== 'EC') return { path: ['kty'], message: 'must be "RSA" or "EC"' };
  if (jwk['use'] !== undefined && jwk['use'] !== 'sig') return { path: ['use'], message: 'must be "sig" (or unset)' };
  const algs: readonly string[] = jwk['kty'] === 'RSA' ? ['RS256', 'PS256'] : ['ES256'];
  if (jwk['alg'] !== undefined && !algs.includes(jwk['alg'] as string)) return { path: ['alg'], message: `must be one of ${algs.join(', ')} for a ${jwk['kty']} key` };
  if (jwk['kty'] === 'EC' && jwk['crv'] !== 'P-256') return { path: ['crv'], message: 'must be "P-256" (ES256)' };
  let details;
  try {
    details = createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' }).asymmetricKeyDetails;
  } catch {
    return { path: [], message: 'is not a valid public key' };
  }
  if (jwk['kty'] === 'RSA' && (details?.modulusLength ?? 0) < 2048) return { path: ['n'], message: 'must be an RSA key of at least 2048 bits' };
  return undefined;
}

const clientSchema = z
  .object({
    client_id: z.string().regex(/^[A-Za-z0-9._-]{3,64}$/, 'must be 3-64 characters of A-Z a-z 0-9 . _ -'),
    client_name: z.string().min(1).optional(),
    /** The name in Traditional Chinese, for pages in that language (OIDC Dynamic Registration §2.1 language tags). */
    'client_name#zh-Hant': z.string().min(1).optional(),
    /** Confidential clients authenticate with this secret; omit it for a public (PKCE-only) client. */
    client_secret: z.string().min(32, 'must be at least 32 characters').optional(),
    redirect_uris: z.array(httpUrl).min(1),
    post_logout_redirect_uris: z.array(httpUrl).default([]),
    grant_types: z
      .array(z.enum(['authorization_code', 'refresh_token']))
      .default(['authorization_code', 'refresh_token']),
    /**
     * Where a user starts a login at this client (OIDC Registration §2 `initiate_login_uri`):
     * the page that closes an activation links to it ("Log in to CCASS Terminal").
     */
    initiate_login_uri: httpUrl.optional(),
    /** First-party clients (CCASS Terminal, DMS) are operated by HKSCC: no consent screen. */
    first_party: z.boolean().default(false),
    /** Accept only password + OTP logins for this client, whatever the phase (as if it always sent the 2FA acr_values). */
    require_two_factor: z.boolean().default(false),
    /**
     * Accept only phishing-resistant logins for this client (acr `phr`): a security key or
     * passkey after the password, or the smartcard while smartcards work; never a code.
     */
    require_phishing_resistant: z.boolean().default(false),
    /**
     * PKCE (RFC 7636, S256) on every authorization request of this client. `false` only for a
     * confidential client that cannot send it — the OpenID conformance suite's Basic OP modules
     * do not — whose protection against code injection then rests on its nonce (RFC 9700 §2.1.1).
     */
    require_pkce: z.boolean().default(true),
    /** How this client's ID tokens are signed; unset: oidc.idTokenSigningAlg. RS256 for relying parties that know nothing else. */
    id_token_signed_response_alg: z.enum(['ES256', 'RS256']).optional(),
    /** How a confidential client sends its secret to the token, introspection and revocation endpoints. */
    token_endpoint_auth_method: z.enum(CONFIDENTIAL_CLIENT_AUTH_METHODS).optional(),
    /** With private_key_jwt: the client's public keys, inline (a JWK Set)… */
    jwks: z.object({ keys: z.array(z.record(z.string(), z.unknown())).min(1) }).strict().optional(),
    /** …or where the provider fetches them (https in production). */
    jwks_uri: httpUrl.optional(),
    /**
     * A resource server (an API) may introspect tokens issued to other clients (RFC 7662 §4:
     * the server decides who may); every other client introspects only its own.
     */
    resource_server: z.boolean().default(false),
    /**
     * `rotate`: every refresh returns a new refresh token, and bringing back a used one ends the
     * grant (RFC 9700 §4.14.2). `none`: a confidential client keeps one refresh token until it
     * expires (it is bound to the client by its secret).
     */
    refresh_token_rotation: z.enum(['rotate', 'none']).default('rotate'),
    /**
     * Where the provider POSTs a logout token when a session of this client's user ends
     * (OpenID Connect Back-Channel Logout 1.0): https, or http to localhost/127.0.0.1 outside production.
     */
    backchannel_logout_uri: z
      .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
      .refine((uri) => uri.startsWith('https://') || /^http:\/\/(localhost|127\.0\.0\.1)(:\d+)?\//.test(uri), 'must be https (http only to localhost or 127.0.0.1)')
      .optional(),
    /** Back-Channel Logout §2.2: the logout token names the session (`sid`, also put in ID tokens). */
    backchannel_logout_session_required: z.boolean().default(true),
  })
  .strict()
  .superRefine((client, ctx) => {
    if (client.token_endpoint_auth_method === 'private_key_jwt') {
      if (client.client_secret) ctx.addIssue({ code: 'custom', path: ['client_secret'], message: 'must not be set with token_endpoint_auth_method private_key_jwt (the client authenticates with its key)' });
      if (!client.jwks === !client.jwks_uri) ctx.addIssue({ code: 'custom', path: ['jwks'], message: 'private_key_jwt needs exactly one of jwks or jwks_uri (the client\'s public keys)' });
      const kids = new Set<unknown>();
      client.jwks?.keys.forEach((key, index) => {
        const problem = clientJwkProblem(key);
        if (problem) ctx.addIssue({ code: 'custom', path: ['jwks', 'keys', index, ...problem.path], message: problem.message });
        const kid = (key as Record<string, unknown>)?.['kid'];
        if (!problem && kids.has(kid)) ctx.addIssue({ code: 'custom', path: ['jwks', 'keys', index, 'kid'], message: `duplicate kid "${String(kid)}"` });
        kids.add(kid);
      });
      return;
    }
    for (const key of ['jwks', 'jwks_uri'] as const) {
      if (client[key]) ctx.addIssue({ code: 'custom', path: [key], message: 'is only for token_endpoint_auth_method private_key_jwt' });
    }
    if (client.client_secret) return;
    // A public client proves nothing about itself: nothing that trusts the client's identity.
    if (client.token_endpoint_auth_method) {
      ctx.addIssue({ code: 'custom', path: ['token_endpoint_auth_method'], message: 'needs client_secret (a public client authenticates with none)' });
    }
    if (client.resource_server) {
      ctx.addIssue({ code: 'custom', path: ['resource_server'], message: 'needs client_secret (a public client may not introspect)' });
    }
    if (client.refresh_token_rotation === 'none') {
      ctx.addIssue({ code: 'custom', path: ['refresh_token_rotation'], message: 'must be "rotate" for a public client (RFC 9700 §4.14.2: its refresh tokens are bound to nothing else)' });
    }
    if (!client.require_pkce) {
      ctx.addIssue({ code: 'custom', path: ['require_pkce'], message: 'must be true for a public client (RFC 9700 §2.1.1: PKCE is its only protection against code injection)' });
    }
  });

export type ClientConfig = z.infer<typeof clientSchema>;

/** A limit per client address: at most `points` within `durationSeconds`. */
function rateLimit(points: number, durationSeconds: number) {
  return z
    .object({
      points: z.number().int().min(1).default(points),
      durationSeconds: z.number().int().min(1).max(24 * 3600).default(durationSeconds),
    })
    .strict()
    .prefault({});
}

export const configSchema = z
  .object({
    env: z.enum(['development', 'test', 'production']).default('development'),
    issuer: httpUrl.default('http://localhost:3000'),
    server: z
      .object({
        host: z.string().min(1).default('127.0.0.1'),
        port: port(0).default(3000),
        /** Trust X-Forwarded-* headers: set only when a reverse proxy is the sole way in. */
        trustProxy: z.boolean().default(false),
        /**
         * With trustProxy: the proxies (IP addresses or CIDR ranges) whose X-Forwarded-* headers
         * count; from any other peer they are dropped. Empty: from any peer (the network must
         * then make sure only the proxy reaches the node).
         */
        trustedProxyAddresses: z.array(z.string().min(1)).default([]),
        /** Largest form or JSON body accepted by our own routes. */
        bodyLimit: z.string().regex(/^\d+(kb|mb)$/).default('16kb'),
        /** On SIGTERM: readiness fails at once, and the listeners keep accepting this long so the load balancer notices… */
        shutdownDelaySeconds: z.number().min(0).max(60).default(5),
        /** …then requests in flight get this long to finish before their connections are cut. */
        shutdownTimeoutSeconds: z.number().min(1).max(300).default(20),
      })
      .strict()
      .prefault({}),
    database: z
      .object({
        /** Unset: an embedded PostgreSQL is started in `embedded.dataDir`. */
        url: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL').optional(),
        pool: z
          .object({ min: z.number().int().min(0).default(0), max: z.number().int().min(1).default(10) })
          .strict()
          .prefault({}),
        embedded: z
          .object({
            dataDir: z.string().min(1).default('.data/postgres'),
            port: z.number().int().min(1).max(65535).default(54329),
          })
          .strict()
          .prefault({}),
        /** How often this node deletes expired OIDC artefacts (seconds; 0 disables). */
        purgeIntervalSeconds: z.number().int().min(0).default(300),
      })
      .strict()
      .prefault({}),
    log: z.object({ level: logLevel.default('info') }).strict().prefault({}),
    /** Error pages tell users whom to call: the CCASS Hotline, with its number. */
    support: z
      .object({ hotline: z.string().regex(/^\+?[0-9(][0-9 ()-]{4,28}[0-9]$/, 'must be a phone number like "+852 2979 7111" (digits, spaces, "+", "(", ")", "-")').default('+852 2979 7111') })
      .strict()
      .prefault({}),
    metrics: z
      .object({
        /** Serve /metrics on this port of its own (not on server.port), for the monitoring network only. */
        port: port(1).optional(),
        host: z.string().min(1).default('127.0.0.1'),
        /** Require "Authorization: Bearer <token>" on /metrics; at least 32 characters. */
        token: z.string().min(32, 'must be at least 32 characters').optional(),
      })
      .strict()
      .prefault({}),
    smtp: z
      .object({
        url: z.string().regex(/^smtps?:\/\//, 'must be an smtp:// or smtps:// URL').optional(),
        from: z.string().min(3).default('CCASS Authentication <no-reply@localhost>'),
        /** Without smtp.url (development only): mail is written here as .eml files and announced in the log. */
        outboxDir: z.string().min(1).default('.data/outbox'),
        /**
         * How long a page that has just queued a one-time code waits for this node's first
         * attempt to send it, so it can say whether the code went out or the mail server is down.
         */
        firstAttemptWaitMs: z.number().int().min(0).max(10_000).default(3000),
      })
      .strict()
      .prefault({}),
    jobs: z
      .object({
        /** How often a node looks for jobs whose worker died (and retries them) and refreshes queue statistics. */
        monitorIntervalSeconds: z.number().int().min(1).max(300).default(10),
        /** How often a node polls for jobs when LISTEN/NOTIFY does not wake it (a backstop). */
        pollingIntervalSeconds: z.number().min(0.5).max(60).default(2),
        /** Jobs of each queue this node runs at once (mails in flight to the SMTP server). */
        concurrency: z.number().int().min(2).max(32).default(4),
      })
      .strict()
      .prefault({}),
    secrets: z
      .object({
        /**
         * Keys that encrypt secrets at rest (TOTP keys) and key the hashes of emailed codes:
         * `id:base64-of-32-bytes`, current key first. Older keys stay listed until nothing
         * encrypted with them remains. Unset outside production: generated once and kept in the database.
         */
        encryptionKeys: z
          .array(z.string().regex(/^[A-Za-z0-9_-]{1,32}:[A-Za-z0-9+/=_-]{43,44}$/, 'must be "id:base64-of-32-bytes"'))
          .default([]),
      })
      .strict()
      .prefault({}),
    totp: z
      .object({
        /** Shown in the authenticator app next to the account. */
        issuer: z.string().min(1).max(64).default('HKSCC CCASS'),
        /** SHA1 is what every authenticator app supports; SHA256/SHA512 only if all of yours do. */
        algorithm: z.enum(['sha1', 'sha256', 'sha512']).default('sha1'),
        digits: z.literal([6, 8]).default(6),
        period: z.number().int().min(15).max(120).default(30),
        /** Accepted clock drift in time steps either side (RFC 6238 §5.2 recommends at most one). */
        window: z.number().int().min(0).max(2).default(1),
      })
      .strict()
      .prefault({}),
    /**
     * Security keys and passkeys (WebAuthn). The RP ID is the domain credentials are bound to:
     * the issuer's host or a registrable suffix of it (a key registered for "example.com" works
     * on "auth.example.com"); a browser refuses any other. Origins: where ceremonies may run
     * (default: the issuer's origin and the smartcard login's); each must lie within the RP ID.
     */
    webauthn: z
      .object({
        rpId: z
          .string()
          .regex(/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/, 'must be a lower-case domain name without scheme or port, such as auth.example.com')
          .optional(),
        /** Shown by the browser and the authenticator when a key is registered. */
        rpName: z.string().min(1).max(64).default('HKSCC CCASS'),
        origins: z.array(z.url({ protocol: /^https?$/ })).min(1).optional(),
        /** How long a ceremony (touching the key) may take. */
        timeoutSeconds: z.number().int().min(30).max(600).default(120),
        /** "preferred": a key without PIN or biometrics is accepted (amr says so); "required": only with. */
        userVerification: z.enum(['preferred', 'required']).default('preferred'),
        /** How many keys a user may register. */
        maxCredentialsPerUser: z.number().int().min(1).max(50).default(10),
      })
      .strict()
      .prefault({}),
    emailOtp: z
      .object({
        ttlSeconds: z.number().int().min(60).max(3600).default(300),
        maxAttempts: z.number().int().min(1).max(20).default(5),
        /** Shortest time between two codes sent to one user while the last one is unused. */
        resendIntervalSeconds: z.number().int().min(0).default(30),
        /** At most this many codes per user within windowSeconds. */
        maxSendsPerWindow: z.number().int().min(1).default(5),
        windowSeconds: z.number().int().min(60).default(900),
      })
      .strict()
      .prefault({}),
    lockout: z
      .object({
        /** Consecutive failed attempts (password or second factor) that lock an account. */
        threshold: z.number().int().min(3).max(100).default(10),
        /** How long a first lock lasts; 0 = until an operator or DA unlocks it. */
        durationSeconds: z.number().int().min(0).default(900),
        /** Each further lock before a successful login lasts this many times longer than the one before… */
        growthFactor: z.number().min(1).max(10).default(2),
        /** …up to this long. */
        maxDurationSeconds: z.number().int().min(60).default(24 * 3600),
      })
      .strict()
      .prefault({}),
    rateLimits: z
      .object({
        /** Off only for load tests in a closed environment. */
        enabled: z.boolean().default(true),
        /** IPv6 clients are counted by network prefix (one /64 is typically one customer). */
        ipv6PrefixLength: z.number().int().min(32).max(128).default(64),
        /** Failed password attempts from one address (password spraying across many accounts). */
        loginFailures: rateLimit(30, 15 * 60),
        /** Wrong one-time codes (authenticator or email) from one address. */
        otpFailures: rateLimit(30, 15 * 60),
        /** Activation links that do not work, presented from one address (link guessing). */
        activationFailures: rateLimit(20, 60 * 60),
        /** Emails triggered from one address (code resends, activation enrolment codes). */
        emails: rateLimit(30, 60 * 60),
      })
      .strict()
      .prefault({}),
    password: z
      .object({
        /** argon2id cost. Defaults are OWASP's minimum recommendation (19 MiB, 2 passes, 1 lane). */
        argon2: z
          .object({
            memoryCost: z.number().int().min(8192, 'must be at least 8192 KiB').default(19456),
            timeCost: z.number().int().min(1).default(2),
            parallelism: z.number().int().min(1).max(16).default(1),
            /** argon2 computations at once on a node; unset: one per core. */
            concurrency: z.number().int().min(1).max(256).optional(),
          })
          .strict()
          .prefault({}),
        minLength: z.number().int().min(8).max(64).default(12),
        maxLength: z.number().int().min(64).max(1024).default(128),
      })
      .strict()
      .prefault({}),
    activation: z
      .object({
        /** How long an activation link works (NIST SP 800-63B allows up to 7 days for an emailed enrolment code). */
        ttlHours: z.number().int().min(1).max(168).default(72),
        /** Shortest time between two activation emails to one user (resend button, CSV re-runs). */
        resendIntervalSeconds: z.number().int().min(0).max(3600).default(60),
        /** Time to choose and confirm a second factor after setting the password through a link. */
        enrolmentMinutes: z.number().int().min(5).max(120).default(30),
      })
      .strict()
      .prefault({}),
    dms: z
      .object({
        /** A DMS session ends after this long without a request… */
        sessionIdleMinutes: z.number().int().min(5).max(240).default(30),
        /** …and after this long in any case. */
        sessionMaxHours: z.number().int().min(1).max(24).default(12),
        /** Limits on one CSV upload of designated emails. */
        csv: z
          .object({
            maxBytes: z.number().int().min(1024).max(10 * 1024 * 1024).default(1024 * 1024),
            maxRows: z.number().int().min(1).max(20000).default(5000),
          })
          .strict()
          .prefault({}),
      })
      .strict()
      .prefault({}),
    /**
     * Maker-checker in DMS (src/policy/maker-checker.ts): the DA actions that wait for a second
     * DA of the same firm when it has two or more active DAs. A firm with one active DA is
     * refused these actions unless an operator exempts it (`participant sole-da-exempt`).
     */
    makerChecker: z
      .object({
        actions: z
          .array(z.enum(CHANGE_REQUEST_ACTIONS, { error: `must be one of ${CHANGE_REQUEST_ACTIONS.join(', ')}` }))
          .refine((actions) => new Set(actions).size === actions.length, { message: 'must not repeat an action' })
          .default([...CHANGE_REQUEST_ACTIONS]),
        /** How long a pending request waits for its checker before it expires. */
        requestTtlHours: z.number().int().min(1).max(720).default(72),
      })
      .strict()
      .prefault({}),
    phases: z
      .object({
        /**
         * When each phase starts, in Hong Kong time ("2023-06-26" or "2023-06-26T08:00").
         * The phase in force is the last one started; before the first, `smartcard-only`.
         * No schedule at all: `parallel-run`.
         */
        schedule: z.array(z.object({ phase: phaseName, from: hongKongTime }).strict()).default([]),
        /** Pins a phase whatever the schedule says (e.g. to extend the parallel run). `phase set` in the CLI wins over it. */
        override: phaseName.optional(),
        /** Participants in the connectivity test: password + OTP login during email registration. The CLI can add more. */
        pilotParticipants: z
          .array(z.string().regex(/^[A-Za-z0-9]{2,10}$/, 'must be a participant ID like B01234').transform((id) => id.toUpperCase()))
          .default([]),
        /** How long a node may use the operator's pin and pilot list before reading them again. */
        refreshSeconds: z.number().int().min(0).max(300).default(5),
      })
      .strict()
      .prefault({}),
    /**
     * The circular's deadlines, in Hong Kong time like `phases.schedule[].from`. Unset: no such
     * deadline (no reminders, nothing enforced). `secondFactor` unset takes the start of the
     * schedule's `2fa-only` phase, when there is one.
     */
    deadlines: z
      .object({
        /** Every user's designated email registered and activated: past it, activation links stop working. */
        emailRegistration: hongKongTime.optional(),
        /** Every activated user enrolled in a second factor: past it, enrolment can no longer start at login. */
        secondFactor: hongKongTime.optional(),
      })
      .strict()
      .prefault({}),
    reminders: z
      .object({
        /** Days before each deadline on which reminders, DA digests and operator reports go out. */
        offsetsDays: z
          .preprocess(
            (value) => (Array.isArray(value) ? value.map((item) => (typeof item === 'string' && /^\s*\d+\s*$/.test(item) ? Number(item) : item)) : value),
            z
              .array(z.number().int().min(1).max(366))
              .min(1)
              .refine((days) => new Set(days).size === days.length, { message: 'must not repeat a day' }),
          )
          .default([14, 7, 1]),
        /** Who receives the cross-firm readiness report at each offset (HKSCC operators); none: not sent. */
        operatorEmails: z.array(z.email({ error: 'must be an email address' })).default([]),
      })
      .strict()
      .prefault({}),
    smartcard: z
      .object({
        /**
         * PEM bundle of the CA certificates that issue smartcards. Setting it turns smartcard
         * login on; one of `tls` or `proxy` must say how certificates reach this server.
         */
        caFile: z.string().min(1).optional(),
        /** PEM or DER CRLs of those CAs, read again whenever a file changes. */
        crlFiles: z.array(z.string().min(1)).default([]),
        /** Refuse a certificate whose issuer has no current CRL loaded (fail closed). */
        requireCrl: z.boolean().default(true),
        /** Mode 1: this server terminates TLS and asks browsers for a client certificate. */
        tls: z
          .object({
            host: z.string().min(1).default('127.0.0.1'),
            port: port(0).default(8443),
            certFile: z.string().min(1),
            keyFile: z.string().min(1),
          })
          .strict()
          .optional(),
        /** Mode 2: a TLS-terminating reverse proxy forwards the certificate in a header (nginx `$ssl_client_escaped_cert`). */
        proxy: z
          .object({
            /** Default: X-SSL-Client-Cert, or Client-Cert for `rfc9440`. */
            header: z.string().regex(/^[A-Za-z0-9-]+$/, 'must be an HTTP header name').optional(),
            /**
             * How the proxy writes the certificate: `url-escaped-pem` (nginx `$ssl_client_escaped_cert`,
             * AWS ALB), `base64-der` (HAProxy `%[ssl_c_der,base64]`) or `rfc9440` (RFC 9440
             * `Client-Cert`, with an optional `Client-Cert-Chain`). Exactly this encoding is accepted.
             */
            encoding: z.enum(FORWARDED_CERTIFICATE_ENCODINGS).default('url-escaped-pem'),
            /** The header is believed only from these addresses or CIDR ranges (the proxies), never from anyone else. */
            trustedAddresses: z.array(z.string().min(1)).min(1, 'must list the proxy addresses'),
          })
          .strict()
          .optional(),
        /** Where the login page sends the "Log in with smartcard" button. Default: the issuer, or the TLS listener's port on the issuer's host. */
        loginUrl: httpUrl.optional(),
      })
      .strict()
      .prefault({}),
    oidc: z
      .object({
        /**
         * A JWKS file with private signing keys, supplied from outside (signing keys first).
         * Unset: keys live in the database, sealed with secrets.encryptionKeys, rotated with `keys` commands.
         */
        jwksFile: z.string().min(1).optional(),
        /** Signing keys kept in the database (no jwksFile). */
        keys: z
          .object({
            /** How often a node checks for a key added, promoted or retired. */
            refreshSeconds: z.number().int().min(1).max(3600).default(30),
            /** A new key is published this long before `keys promote` lets it sign (relying parties cache JWKS). */
            publishBeforeSigningSeconds: z.number().int().min(1).default(3600),
          })
          .strict()
          .prefault({}),
        /**
         * Keys that sign cookies, newest first; at least 32 characters each. Required in production.
         * Unset in development: generated once and kept in the database.
         */
        cookieKeys: z.array(z.string().min(32, 'each key must be at least 32 characters')).default([]),
        /** Lifetimes in seconds. */
        ttl: z
          .object({
            accessToken: z.number().int().min(60).default(600),
            authorizationCode: z.number().int().min(10).max(600).default(60),
            idToken: z.number().int().min(60).default(600),
            refreshToken: z.number().int().min(60).default(12 * 3600),
            /** A login session's absolute lifetime, whatever the activity (AAL2: at most 12 hours). */
            session: z.number().int().min(60).default(12 * 3600),
            /** A login session ends after this long without activity (AAL2: at most 30 minutes). */
            sessionIdle: z.number().int().min(60).default(30 * 60),
            interaction: z.number().int().min(60).default(15 * 60),
            grant: z.number().int().min(60).default(12 * 3600),
          })
          .strict()
          .prefault({}),
        clients: z.array(clientSchema).default([]),
        /**
         * How ID tokens are signed unless a client says otherwise. ES256 signs about 20 times
         * faster than RS256 (2048-bit) with a shorter token; both are always published.
         */
        idTokenSigningAlg: z.enum(['ES256', 'RS256']).default('ES256'),
      })
      .strict()
      .prefault({}),
  })
  .strict()
  .superRefine((config, ctx) => {
    const keyIds = config.secrets.encryptionKeys.map((entry) => entry.split(':')[0]);
    keyIds.forEach((id, index) => {
      if (keyIds.indexOf(id) !== index) {
        ctx.addIssue({ code: 'custom', path: ['secrets', 'encryptionKeys', index], message: `duplicate key id "${id}"` });
      }
    });
    config.phases.schedule.forEach((entry, index) => {
      const previous = config.phases.schedule[index - 1];
      if (previous && (parseHongKongTime(entry.from) as Date) <= (parseHongKongTime(previous.from) as Date)) {
        ctx.addIssue({ code: 'custom', path: ['phases', 'schedule', index, 'from'], message: 'must be later than the entry before it' });
      }
    });
    for (const key of ['emailRegistration', 'secondFactor'] as const) {
      const deadline = config.deadlines[key];
      const opens = config.phases.schedule.find((entry) => entry.phase === 'email-registration');
      if (deadline && opens && (parseHongKongTime(deadline) as Date) <= (parseHongKongTime(opens.from) as Date)) {
        ctx.addIssue({ code: 'custom', path: ['deadlines', key], message: 'must be later than the start of email registration (phases.schedule)' });
      }
    }
    if (config.oidc.keys.publishBeforeSigningSeconds < config.oidc.keys.refreshSeconds) {
      ctx.addIssue({ code: 'custom', path: ['oidc', 'keys', 'publishBeforeSigningSeconds'], message: 'must be at least oidc.keys.refreshSeconds (every node must publish a key before any signs with it)' });
    }
    if (config.oidc.ttl.sessionIdle > config.oidc.ttl.session) {
      ctx.addIssue({ code: 'custom', path: ['oidc', 'ttl', 'sessionIdle'], message: 'must not be longer than oidc.ttl.session' });
    }
    if (config.lockout.durationSeconds > config.lockout.maxDurationSeconds) {
      ctx.addIssue({ code: 'custom', path: ['lockout', 'maxDurationSeconds'], message: 'must be at least lockout.durationSeconds' });
    }
    const { smartcard } = config;
    if (smartcard.caFile && !smartcard.tls && !smartcard.proxy) {
      ctx.addIssue({ code: 'custom', path: ['smartcard', 'caFile'], message: 'needs smartcard.tls or smartcard.proxy to say how client certificates arrive' });
    }
    if (!smartcard.caFile && (smartcard.tls || smartcard.proxy)) {
      ctx.addIssue({ code: 'custom', path: ['smartcard', 'caFile'], message: 'is required when smartcard.tls or smartcard.proxy is set' });
    }
    config.server.trustedProxyAddresses.forEach((address, index) => {
      if (!parseAddressRange(address)) {
        ctx.addIssue({ code: 'custom', path: ['server', 'trustedProxyAddresses', index], message: 'must be an IP address or CIDR range like 10.0.0.0/8' });
      }
    });
    smartcard.proxy?.trustedAddresses.forEach((address, index) => {
      if (!parseAddressRange(address)) {
        ctx.addIssue({ code: 'custom', path: ['smartcard', 'proxy', 'trustedAddresses', index], message: 'must be an IP address or CIDR range like 10.0.0.0/8' });
      }
    });
    const ids = config.oidc.clients.map((client) => client.client_id);
    ids.forEach((id, index) => {
      if (id === 'ccass-dms') {
        ctx.addIssue({ code: 'custom', path: ['oidc', 'clients', index, 'client_id'], message: '"ccass-dms" is reserved for the built-in DMS client' });
      }
      if (id === 'ccass-account') {
        ctx.addIssue({ code: 'custom', path: ['oidc', 'clients', index, 'client_id'], message: '"ccass-account" is reserved for the built-in security page client' });
      }
      if (ids.indexOf(id) !== index) {
        ctx.addIssue({ code: 'custom', path: ['oidc', 'clients', index, 'client_id'], message: `duplicate client_id "${id}"` });
      }
    });
    const issuerHost = new URL(config.issuer).hostname;
    const rpId = config.webauthn.rpId;
    if (rpId && !withinDomain(issuerHost, rpId)) {
      ctx.addIssue({ code: 'custom', path: ['webauthn', 'rpId'], message: `must be the issuer's host (${issuerHost}) or a registrable suffix of it` });
    }
    config.webauthn.origins?.forEach((origin, index) => {
      const url = new URL(origin);
      if (url.origin !== origin.replace(/\/$/, '')) {
        ctx.addIssue({ code: 'custom', path: ['webauthn', 'origins', index], message: 'must be an origin (scheme, host and port only), such as https://auth.example.com' });
      } else if (!withinDomain(url.hostname, rpId ?? issuerHost)) {
        ctx.addIssue({ code: 'custom', path: ['webauthn', 'origins', index], message: `must be on webauthn.rpId (${rpId ?? issuerHost}) or a subdomain of it` });
      } else if (config.env === 'production' && url.protocol !== 'https:') {
        ctx.addIssue({ code: 'custom', path: ['webauthn', 'origins', index], message: 'must be https in production' });
      }
    });
    if (config.metrics.port && config.metrics.port === config.server.port) {
      ctx.addIssue({ code: 'custom', path: ['metrics', 'port'], message: 'must differ from server.port' });
    }
    if (config.env !== 'production') return;
    config.oidc.clients.forEach((client, index) => {
      if (client.backchannel_logout_uri && !client.backchannel_logout_uri.startsWith('https://')) {
        ctx.addIssue({ code: 'custom', path: ['oidc', 'clients', index, 'backchannel_logout_uri'], message: 'must be an https URL in production' });
      }
    });
    // Production refuses the conveniences of development: generated keys would differ per
    // node and an http issuer would send cookies and codes in the clear.
    config.oidc.clients.forEach((client, index) => {
      if (client.jwks_uri && !client.jwks_uri.startsWith('https://')) {
        ctx.addIssue({ code: 'custom', path: ['oidc', 'clients', index, 'jwks_uri'], message: 'must be an https URL in production' });
      }
    });
    if (!config.issuer.startsWith('https://')) {
      ctx.addIssue({ code: 'custom', path: ['issuer'], message: 'must be an https URL in production' });
    }
    if (config.oidc.cookieKeys.length === 0) {
      ctx.addIssue({ code: 'custom', path: ['oidc', 'cookieKeys'], message: 'is required in production' });
    }
    if (!config.database.url) {
      ctx.addIssue({ code: 'custom', path: ['database', 'url'], message: 'is required in production (the embedded database is for development)' });
    }
    if (!config.smtp.url) {
      ctx.addIssue({ code: 'custom', path: ['smtp', 'url'], message: 'is required in production (one-time codes must reach users)' });
    }
    if (config.secrets.encryptionKeys.length === 0) {
      ctx.addIssue({ code: 'custom', path: ['secrets', 'encryptionKeys'], message: 'is required in production' });
    }
    if (!config.metrics.port && !config.metrics.token) {
      ctx.addIssue({ code: 'custom', path: ['metrics'], message: 'needs metrics.port (a port of its own) or metrics.token in production: /metrics must not be public' });
    }
  });

export type Config = z.infer<typeof configSchema>;

/**
 * Whether `host` is `domain` or a subdomain of it, and `domain` is a name a site can own (not
 * a bare top-level label like "com"; an IP address only as itself). The public-suffix list
 * would say more; browsers apply it again when they check the RP ID.
 */
function withinDomain(host: string, domain: string): boolean {
  if (host === domain) return true;
  const ip = /^[0-9.]+$/.test(host) || host.includes(':');
  return !ip && domain.includes('.') && host.endsWith(`.${domain}`);
}

