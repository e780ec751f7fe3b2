/**
 * Security keys and passkeys as the second factor, through HTTP on real PostgreSQL, with a
 * software authenticator (test/support/soft-authenticator.ts) answering the challenge the
 * login page carries. A key login completes with acr/amr that say so; every forged, replayed,
 * misdirected or broken assertion is refused with nothing changed (the key's counter and last
 * use, the login's progress, no completed login); a ceremony crosses nodes; a client or a
 * request that wants phishing resistance never completes with a code.
 */
import { decodeJwt } from 'jose';
import request from 'supertest';
import type { PublicKeyCredentialCreationOptionsJSON, PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/server';
import { hashId } from '../../src/kernel/hash-id.js';
import { ACR, AMR } from '../../src/oidc/assurance.js';
import type { Database } from '../../src/store/database.js';
import type { Server } from '../../src/app/server.js';
import type { Config } from '../../src/config/schema.js';
import { Browser, formAction, inputValue, type Page } from '../support/browser.js';
import { startCluster, type TestCluster } from '../support/cluster.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { exchangeCode, followToCallback, passwordStep, startAuthorization, submitCode, type AuthorizationStart } from '../support/flows.js';
import { seedUser, TERMINAL, testConfig, useTestServer, type RunningTestServer, type SeededUser } from '../support/server.js';
import { isKeyStep, postAssertion, requestOptionsIn } from '../support/key-login.js';
import { giveKey, SoftAuthenticator } from '../support/soft-authenticator.js';
import { nginxEscaped, type IssuedCertificate } from '../support/pki.js';
import { bindDirectly, createSmartcardFixture, type SmartcardFixture } from '../support/smartcard.js';
import { rfc6238 } from '../support/totp.js';

/** A client that accepts only phishing-resistant logins. */
const STRICT = {
  clientId: 'strict-app',
  clientSecret: 'test-secret-for-the-phishing-resistant-client',
  redirectUri: 'http://127.0.0.1:9996/callback',
};

interface Client {
  clientId: string;
  clientSecret: string;
  redirectUri: string;
}

const clients = () => [
  ...testConfig('http://unused', 'postgres://unused/unused').oidc.clients,
  { client_id: STRICT.clientId, client_name: 'Strict App', client_secret: STRICT.clientSecret, redirect_uris: [STRICT.redirectUri], first_party: true, require_phishing_resistant: true },
];

const OVERRIDES = {
  oidc: { clients: clients() },
  // Every test here fails on purpose from one address: the per-address limits are not what is tested.
  rateLimits: { loginFailures: { points: 1000, durationSeconds: 900 }, otpFailures: { points: 1000, durationSeconds: 900 } },
};



interface Deployment {
  issuer: string;
  http: Parameters<typeof request>[0];
  db: Database;
  server: Pick<Server, 'queries' | 'hasher' | 'totp'>;
  config: Config;
  clock: { now(): Date; advance(seconds: number): void };
}

function authorize(deployment: Deployment, client: Client = TERMINAL, extra: Record<string, string> = {}, browser?: Browser) {
  return startAuthorization(deployment.issuer, { client_id: client.clientId, redirect_uri: client.redirectUri, ...extra }, browser);
}

const credentials = (user: SeededUser) => ({ participantId: user.participantId, userId: user.userId, password: user.password });

/** Password, then the security-key page: its options and the CSRF token to post with. */
async function toKeyStep(deployment: Deployment, user: SeededUser, client: Client = TERMINAL, extra: Record<string, string> = {}, browser?: Browser) {
  const start = await authorize(deployment, client, extra, browser);
  const page = await passwordStep(start, credentials(user));
  expect(page.status).toBe(200);
  if (!isKeyStep(page)) throw new Error(`not the security-key step: ${page.body.replace(/\s+/g, ' ').slice(0, 3000)}`);
  return { start, page, options: requestOptionsIn(page) };
}


async function idTokenClaims(deployment: Deployment, start: AuthorizationStart, afterLogin: Page, client: Client = TERMINAL) {
  const callback = await followToCallback(start, afterLogin, client.redirectUri);
  expect(callback.searchParams.get('code')).toBeTruthy();
  return decodeJwt((await exchangeCode(deployment.http, start, callback, client)).id_token);
}

/** What must not move when an assertion is refused. */
async function snapshot(deployment: Deployment, user: SeededUser, start: AuthorizationStart) {
  const uid = start.interactionUrl.split('/').pop() as string;
  const keys = await deployment.db('webauthn_credentials').where({ user_id: user.subject }).orderBy('credential_id').select('credential_id', 'sign_count', 'last_used_at', 'backed_up');
  const progress = await deployment.db('login_progress').where({ interaction_hash: hashId(uid) }).first('factors');
  const completed = await deployment.db('audit_events').where({ type: 'login', outcome: 'success', user_id: user.userId }).count<{ n: string }[]>('* as n');
  const keySuccesses = await deployment.db('audit_events').where({ type: 'login.webauthn', outcome: 'success', user_id: user.userId }).count<{ n: string }[]>('* as n');
  const sessions = await deployment.db('oidc_payloads').where({ model: 'Session' }).whereRaw(`payload->>'accountId' = ?`, [user.subject]).count<{ n: string }[]>('* as n');
  return { keys: keys.map((key) => ({ ...key, sign_count: Number(key.sign_count) })), factors: progress?.factors, completed: Number(completed[0]?.n), keySuccesses: Number(keySuccesses[0]?.n), sessions: Number(sessions[0]?.n) };
}

/** A form posted where the login may not go: at most back to the same interaction's page, never on to the relying party. */
function expectNotCompleted(start: AuthorizationStart, page: Page): void {
  if (page.status !== 303) return expect(page.status).toBeGreaterThanOrEqual(400);
  expect(new URL(page.headers.get('location') as string, page.url).pathname).toBe(new URL(start.interactionUrl).pathname);
}

async function completedLogins(db: Database, user: SeededUser): Promise<number> {
  const [row] = await db('audit_events').where({ type: 'login', outcome: 'success', user_id: user.userId }).count<{ n: string }[]>('* as n');
  return Number(row?.n);
}

async function lastWebauthnFailure(db: Database, user: SeededUser): Promise<Record<string, unknown> | undefined> {
  const row = await db('audit_events').where({ type: 'login.webauthn', outcome: 'failure', user_id: user.userId }).orderBy('id', 'desc').first('details');
  return row?.details as Record<string, unknown> | undefined;
}

describe('security keys and passkeys at login', () => {
  let database: TestDatabase;
  let running: RunningTestServer;
  let deployment: Deployment;
  let seq = 0;

  useTestServer((started) => {
    ({ database, running } = started);
    deployment = { issuer: running.issuer, http: running.http, db: database.db, get server() { return running.server; }, config: running.config, clock: running.clock };
  }, OVERRIDES);

  /** A new user with TOTP, and (unless `key: false`) a key registered for them. */
  async function userWithKey(options: { key?: boolean; user?: SeededUser; authenticator?: Partial<ConstructorParameters<typeof SoftAuthenticator>[0]> } = {}) {
    seq += 1;
    const user = options.user ?? (await seedUser(running.server, running.config, { participantId: 'B01234', userId: `KEY${seq}`, email: `key${seq}@example.com` }, running.clock));
    const origin = new URL(running.issuer).origin;
    const key = new SoftAuthenticator({ rpId: new URL(running.issuer).hostname, origin, ...options.authenticator });
    if (options.key !== false) await giveKey(running.server.queries, user.subject, key);
    return { user, key };
  }

  const totpNow = (user: SeededUser) => rfc6238(user.totpSecret as Buffer, running.clock.now().getTime() / 1000);

  it('offers the key after the password, and a password + key login says so in the ID token', async () => {
    const { user, key } = await userWithKey({ authenticator: { userVerified: true } });
    const { start, page, options } = await toKeyStep(deployment, user);
    // The challenge is for this RP ID and lists this user's key only.
    expect(options.rpId).toBe(new URL(running.issuer).hostname);
    expect(options.allowCredentials?.map((credential) => credential.id)).toEqual([key.id]);
    const before = await snapshot(deployment, user, start);
    const afterKey = await postAssertion(start, page, key.assert(options));
    expect(afterKey.status).toBe(303);
    const claims = await idTokenClaims(deployment, start, afterKey);
    // No acr_values: the level the login naturally names (a device-bound key: phrh; src/oidc/assurance.ts NATURAL_ACR).
    expect(claims).toMatchObject({ sub: user.subject, nonce: start.nonce, acr: ACR.phishingResistantHardware });
    expect(claims['amr']).toEqual(expect.arrayContaining([AMR.password, AMR.hardwareKey, AMR.multipleFactors, AMR.userPresence, AMR.pin]));
    expect(claims['amr']).not.toContain(AMR.oneTimePassword);
    // The key moved forward and was noted, and the login was audited.
    const after = await snapshot(deployment, user, start);
    expect(after.keys[0]?.sign_count).toBe(1);
    expect(before.keys[0]?.last_used_at).toBeNull();
    expect(after.keys[0]?.last_used_at).toBeInstanceOf(Date);
    expect(after.completed).toBe(before.completed + 1);
    expect(after.keySuccesses).toBe(1);
  });

  it('a key without user verification gives amr without "user" and "pin"', async () => {
    const { user, key } = await userWithKey({ authenticator: { userVerified: false } });
    const { start, page, options } = await toKeyStep(deployment, user);
    const afterKey = await postAssertion(start, page, key.assert(options));
    expect(afterKey.status).toBe(303);
    const claims = await idTokenClaims(deployment, start, afterKey);
    expect(claims['amr']).toEqual(expect.arrayContaining([AMR.password, AMR.hardwareKey, AMR.multipleFactors]));
    expect(claims['amr']).not.toContain(AMR.userPresence);
    expect(claims['amr']).not.toContain(AMR.pin);
  });

  it('a request for the 2FA level completed with a key gets the 2FA acr', async () => {
    const { user, key } = await userWithKey();
    const { start, page, options } = await toKeyStep(deployment, user, TERMINAL, { acr_values: ACR.twoFactor });
    const afterKey = await postAssertion(start, page, key.assert(options));
    expect(afterKey.status).toBe(303);
    expect((await idTokenClaims(deployment, start, afterKey))['acr']).toBe(ACR.twoFactor);
  });

  describe('refuses, with nothing changed', () => {
    /** Posts `forge(options)` at the key step; expects a 401, the reason in the audit, and no change at all. */
    async function expectRefused(
      user: SeededUser,
      forge: (options: PublicKeyCredentialRequestOptionsJSON) => unknown,
      reason: string,
      reach: () => Promise<{ start: AuthorizationStart; page: Page; options: PublicKeyCredentialRequestOptionsJSON }> = () => toKeyStep(deployment, user),
    ) {
      const { start, page, options } = await reach();
      const before = await snapshot(deployment, user, start);
      const answer = await postAssertion(start, page, forge(options));
      expect(answer.status).toBe(401);
      // The same step again, with a new challenge: the login goes on only with a real key.
      expect(isKeyStep(answer)).toBe(true);
      expect(requestOptionsIn(answer).challenge).not.toBe(options.challenge);
      expect(await snapshot(deployment, user, start)).toEqual(before);
      expect(before.factors).toEqual(['pwd']);
      expect(await lastWebauthnFailure(database.db, user)).toMatchObject({ reason });
      // Counted towards the lock like a wrong code.
      expect((await database.db('users').where({ id: user.subject }).first('failed_attempts')).failed_attempts).toBeGreaterThanOrEqual(1);
      return { start, answer };
    }

    it('an assertion replayed into a later login (a counting key)', async () => {
      const { user, key } = await userWithKey();
      const first = await toKeyStep(deployment, user);
      const captured = key.assert(first.options);
      expect((await postAssertion(first.start, first.page, captured)).status).toBe(303);
      await expectRefused(user, () => captured, 'counter_regressed');
    });

    it('an assertion replayed into a later login (a passkey that keeps no counter)', async () => {
      const { user, key } = await userWithKey({ authenticator: { counts: false, backupEligible: true, backedUp: true } });
      const first = await toKeyStep(deployment, user);
      const captured = key.assert(first.options);
      expect((await postAssertion(first.start, first.page, captured)).status).toBe(303);
      // The counter cannot tell; the challenge, used once, can.
      await expectRefused(user, () => captured, 'challenge_unknown');
    });

    it('the same assertion posted twice at once: one login, one use of the key', async () => {
      const { user, key } = await userWithKey();
      const { start, page, options } = await toKeyStep(deployment, user);
      const assertion = key.assert(options);
      const before = await snapshot(deployment, user, start);
      await Promise.all([postAssertion(start, page, assertion), postAssertion(start, page, assertion)]);
      const after = await snapshot(deployment, user, start);
      expect(after.keys[0]?.sign_count).toBe(1);
      expect(after.keySuccesses).toBe(1);
      expect(after.completed).toBe(before.completed + 1);
    });

    it("a challenge issued to another interaction (the user's other login)", async () => {
      const { user, key } = await userWithKey();
      const other = await toKeyStep(deployment, user);
      await expectRefused(user, () => key.assert(other.options), 'challenge_unknown');
    });

    it("another user's key", async () => {
      const { user } = await userWithKey();
      const { user: stranger, key: strangersKey } = await userWithKey();
      const strangerBefore = await database.db('webauthn_credentials').where({ user_id: stranger.subject }).first('sign_count', 'last_used_at');
      await expectRefused(user, (options) => strangersKey.assert(options), 'unknown_credential');
      expect(await database.db('webauthn_credentials').where({ user_id: stranger.subject }).first('sign_count', 'last_used_at')).toEqual(strangerBefore);
    });

    it('a key that is not registered at all', async () => {
      const { user } = await userWithKey();
      const unknown = new SoftAuthenticator({ rpId: new URL(running.issuer).hostname, origin: running.issuer });
      await expectRefused(user, (options) => unknown.assert(options), 'unknown_credential');
    });

    it('an assertion made on another origin (a phishing site relaying the challenge)', async () => {
      const { user, key } = await userWithKey();
      await expectRefused(user, (options) => key.assert(options, { origin: 'https://ccass-auth.example.net' }), 'invalid');
    });

    it('an assertion for another RP ID', async () => {
      const { user, key } = await userWithKey();
      await expectRefused(user, (options) => key.assert(options, { rpId: 'ccass-auth.example.net' }), 'invalid');
    });

    it('a counter that went backwards (a cloned key)', async () => {
      const { user, key } = await userWithKey({ authenticator: { signCount: 41 } });
      await expectRefused(user, (options) => key.assert(options, { counter: 40 }), 'counter_regressed');
      // Its holder is told at once: the key may have been copied.
      expect((await running.mail.mailTo(user.email as string)).subject).toContain('A security key of yours may have been copied');
    });

    it('a tampered signature', async () => {
      const { user, key } = await userWithKey();
      await expectRefused(user, (options) => key.assert(options, { tamperSignature: true }), 'invalid');
    });

    it("a signature by another key under the registered key's credential ID", async () => {
      const { user, key } = await userWithKey();
      const impostor = new SoftAuthenticator({ rpId: new URL(running.issuer).hostname, origin: running.issuer });
      await expectRefused(user, (options) => key.assert(options, { signingKey: impostor.privateKey }), 'invalid');
    });

    it("a user handle that is not the user's", async () => {
      const { user, key } = await userWithKey();
      const { user: other } = await userWithKey({ key: false });
      await expectRefused(user, (options) => key.assert(options, { userHandle: other.subject }), 'user_handle_mismatch');
    });

    it('a registration response where an assertion belongs', async () => {
      const { user, key } = await userWithKey();
      await expectRefused(user, (options) => key.register(options), 'malformed');
    });

    it('malformed JSON, and JSON that is not a credential', async () => {
      const { user } = await userWithKey();
      await expectRefused(user, () => '{"id": "abc", "response": ', 'malformed');
      await expectRefused(user, () => ({ error: 'NotAllowedError', id: 'smuggled' }), 'malformed');
    });

    it('a ceremony the user cancelled (or that timed out) is offered again and counts as no failure', async () => {
      const { user } = await userWithKey();
      const { start, page, options } = await toKeyStep(deployment, user);
      const before = await snapshot(deployment, user, start);
      const answer = await postAssertion(start, page, { error: 'NotAllowedError' });
      expect(answer.status).toBe(400);
      expect(isKeyStep(answer)).toBe(true);
      expect(requestOptionsIn(answer).challenge).not.toBe(options.challenge);
      expect(await snapshot(deployment, user, start)).toEqual(before);
      expect(await lastWebauthnFailure(database.db, user)).toBeUndefined();
      expect((await database.db('users').where({ id: user.subject }).first('failed_attempts')).failed_attempts).toBe(0);
    });

    it('a key whose backup eligibility changed since it was registered (not the key we know)', async () => {
      const { user, key } = await userWithKey();
      await database.db('webauthn_credentials').where({ user_id: user.subject }).update({ device_type: 'multiDevice' });
      await expectRefused(user, (options) => key.assert(options), 'backup_eligibility_changed');
    });

    it('after a refusal the real key still works (the refusal broke nothing)', async () => {
      const { user, key } = await userWithKey();
      const { start, answer } = await expectRefused(user, (options) => key.assert(options, { tamperSignature: true }), 'invalid');
      const afterKey = await postAssertion(start, answer, key.assert(requestOptionsIn(answer)));
      expect(afterKey.status).toBe(303);
      expect((await idTokenClaims(deployment, start, afterKey))['sub']).toBe(user.subject);
      expect((await database.db('users').where({ id: user.subject }).first('failed_attempts')).failed_attempts).toBe(0);
    });
  });

  it('a user who has a key may use their code instead when the client allows it', async () => {
    const { user, key } = await userWithKey();
    const { start, page } = await toKeyStep(deployment, user);
    expect(page.body).toMatch(/name="way" value="totp"/);
    const switched = await start.browser.request(`${start.interactionUrl}/another-way`, { form: { csrf: inputValue(page.body, 'csrf'), way: 'totp' } });
    expect(switched.status).toBe(303);
    const codePage = await start.browser.follow(start.interactionUrl);
    expect(codePage.body).toContain('Enter your one-time code');
    const afterCode = await submitCode(start, codePage, totpNow(user));
    expect(afterCode.status).toBe(303);
    const claims = await idTokenClaims(deployment, start, afterCode);
    expect(claims).toMatchObject({ acr: ACR.twoFactor, amr: [AMR.password, AMR.oneTimePassword, AMR.multipleFactors, AMR.totp] });
    // The key was not used.
    expect(Number((await database.db('webauthn_credentials').where({ credential_id: key.id }).first('sign_count')).sign_count)).toBe(0);
    running.clock.advance(running.config.totp.period);
  });

  describe('a client that requires phishing resistance', () => {
    it('refuses a user without a key (403), whose TOTP would have done elsewhere', async () => {
      const { user } = await userWithKey({ key: false });
      const start = await authorize(deployment, STRICT);
      const page = await passwordStep(start, credentials(user));
      expect(page.status).toBe(403);
      expect(page.body).not.toContain('Enter your one-time code');
      // Nor can the code step be reached by posting to it.
      const forced = await start.browser.request(`${start.interactionUrl}/otp`, { form: { csrf: inputValue(start.loginPage.body, 'csrf'), code: totpNow(user) } });
      expectNotCompleted(start, forced);
      expect(await completedLogins(database.db, user)).toBe(0);
    });

    it('never offers nor accepts the code of a user with a key', async () => {
      const { user } = await userWithKey();
      const { start, page } = await toKeyStep(deployment, user, STRICT);
      expect(page.body).not.toMatch(/name="way" value="(totp|email|recovery)"/);
      // "Use a code instead" posted anyway: still the key step.
      await start.browser.request(`${start.interactionUrl}/another-way`, { form: { csrf: inputValue(page.body, 'csrf'), way: 'totp' } });
      const still = await start.browser.follow(start.interactionUrl);
      expect(isKeyStep(still)).toBe(true);
      const forced = await submitCode(start, still, totpNow(user));
      expectNotCompleted(start, forced);
      expect(await completedLogins(database.db, user)).toBe(0);
    });

    it('a device-bound key gets phrh', async () => {
      const { user, key } = await userWithKey({ authenticator: { userVerified: true } });
      const { start, page, options } = await toKeyStep(deployment, user, STRICT);
      const afterKey = await postAssertion(start, page, key.assert(options));
      expect(afterKey.status).toBe(303);
      const claims = await idTokenClaims(deployment, start, afterKey, STRICT);
      expect(claims['acr']).toBe(ACR.phishingResistantHardware);
      expect(claims['amr']).toEqual(expect.arrayContaining([AMR.password, AMR.hardwareKey, AMR.multipleFactors, AMR.userPresence, AMR.pin]));
    });

    it('a synced passkey gets phr', async () => {
      const { user, key } = await userWithKey({ authenticator: { userVerified: true, backupEligible: true, backedUp: true, transports: ['internal', 'hybrid'], attachment: 'platform' } });
      const { start, page, options } = await toKeyStep(deployment, user, STRICT);
      const afterKey = await postAssertion(start, page, key.assert(options, { userHandle: user.subject }));
      expect(afterKey.status).toBe(303);
      expect((await idTokenClaims(deployment, start, afterKey, STRICT))['acr']).toBe(ACR.phishingResistant);
    });
  });

  describe('acr_values=phrh: only a key bound to its device', () => {
    it('is refused for a user whose only key is a synced passkey, before any ceremony and with nothing recorded as a login', async () => {
      const { user } = await userWithKey({ authenticator: { userVerified: true, backupEligible: true, backedUp: true, transports: ['internal', 'hybrid'], attachment: 'platform' } });
      const start = await authorize(deployment, TERMINAL, { acr_values: 'phrh' });
      const page = await passwordStep(start, credentials(user));
      expect(page.status).toBe(403);
      expect(isKeyStep(page)).toBe(false);
      expect(page.body).toContain('never leaves its device');
      expect(await completedLogins(database.db, user)).toBe(0);
    });

    it('asks only for the device-bound keys of a user who has both, and names the login phrh', async () => {
      const { user, key } = await userWithKey({ authenticator: { userVerified: true } });
      const synced = await userWithKey({ user, authenticator: { userVerified: true, backupEligible: true, backedUp: true, transports: ['internal'], attachment: 'platform' } });
      const { start, page, options } = await toKeyStep(deployment, user, TERMINAL, { acr_values: 'phrh' });
      expect(options.allowCredentials?.map((credential) => credential.id)).toEqual([key.id]);
      // The synced passkey answers anyway (a browser may offer any discoverable credential): refused, no login.
      const refused = await postAssertion(start, page, synced.key.assert(options, { userHandle: user.subject }));
      expectNotCompleted(start, refused);
      expect(await completedLogins(database.db, user)).toBe(0);
      const again = await toKeyStep(deployment, user, TERMINAL, { acr_values: 'phrh' });
      const afterKey = await postAssertion(again.start, again.page, key.assert(again.options, { userHandle: user.subject }));
      expect((await idTokenClaims(deployment, again.start, afterKey))['acr']).toBe(ACR.phishingResistantHardware);
    });
  });

  describe('acr_values=phr', () => {
    it('refuses the code of a user without a key, and takes a key', async () => {
      const { user: withoutKey } = await userWithKey({ key: false });
      const start = await authorize(deployment, TERMINAL, { acr_values: ACR.phishingResistant });
      expect((await passwordStep(start, credentials(withoutKey))).status).toBe(403);

      const { user, key } = await userWithKey();
      const { start: keyStart, page, options } = await toKeyStep(deployment, user, TERMINAL, { acr_values: ACR.phishingResistant });
      expect(page.body).not.toMatch(/name="way" value="(totp|email|recovery)"/);
      const afterKey = await postAssertion(keyStart, page, key.assert(options));
      expect(afterKey.status).toBe(303);
      expect((await idTokenClaims(deployment, keyStart, afterKey))['acr']).toBe(ACR.phishingResistant);
    });

    it('steps up a session at the 2FA level: log in again, with the key', async () => {
      const { user, key } = await userWithKey();
      const browser = new Browser();
      // A session at 2FA (password + TOTP; "use a code instead").
      const first = await toKeyStep(deployment, user, TERMINAL, {}, browser);
      await browser.request(`${first.start.interactionUrl}/another-way`, { form: { csrf: inputValue(first.page.body, 'csrf'), way: 'totp' } });
      const codePage = await browser.follow(first.start.interactionUrl);
      const afterCode = await submitCode(first.start, codePage, totpNow(user));
      expect((await idTokenClaims(deployment, first.start, afterCode))['acr']).toBe(ACR.twoFactor);
      running.clock.advance(running.config.totp.period);

      // The session is enough for 2FA: no login page.
      const again = await authorize(deployment, TERMINAL, { acr_values: ACR.twoFactor }, browser);
      expect(again.loginPage.url.startsWith(TERMINAL.redirectUri)).toBe(true);

      // Not for phr: the login page again, then password and key.
      const stepUp = await authorize(deployment, TERMINAL, { acr_values: ACR.phishingResistant }, browser);
      expect(stepUp.loginPage.status).toBe(200);
      expect(stepUp.interactionUrl).toMatch(/\/interaction\/[\w-]+$/);
      const keyPage = await passwordStep(stepUp, credentials(user));
      expect(isKeyStep(keyPage)).toBe(true);
      const afterKey = await postAssertion(stepUp, keyPage, key.assert(requestOptionsIn(keyPage)));
      expect(afterKey.status).toBe(303);
      const claims = await idTokenClaims(deployment, stepUp, afterKey);
      expect(claims['acr']).toBe(ACR.phishingResistant);
      expect(claims['amr']).toEqual(expect.arrayContaining([AMR.hardwareKey]));
    });
  });

  it('discovery lists phr and phrh', async () => {
    const response = await request(running.http).get('/.well-known/openid-configuration').expect(200);
    expect(response.body.acr_values_supported).toEqual(expect.arrayContaining([ACR.phishingResistant, ACR.phishingResistantHardware, ACR.twoFactor]));
  });
});

describe('a key ceremony across nodes', () => {
  let database: TestDatabase;
  let cluster: TestCluster;

  beforeAll(async () => {
    database = await createTestDatabase();
    cluster = await startCluster(database.db, database.url, OVERRIDES);
  });
  afterAll(async () => {
    await cluster?.close();
    await database?.drop();
  });

  it('is begun on one node and finished on the other', async () => {
    const node0 = cluster.nodes[0]?.server as Server;
    const deployment: Deployment = { issuer: cluster.issuer, http: cluster.http, db: database.db, server: node0, config: cluster.config, clock: cluster.clock };
    const user = await seedUser(node0, cluster.config, { participantId: 'B01234', userId: 'ROAMER', email: 'roamer@example.com' }, cluster.clock);
    const key = new SoftAuthenticator({ rpId: new URL(cluster.issuer).hostname, origin: cluster.issuer });
    await giveKey(node0.queries, user.subject, key);

    // Node 0 shows the page (and issues the challenge); node 1 checks the assertion; then any.
    cluster.route((method, path) => (method === 'POST' && path.endsWith('/security-key') ? 1 : 0));
    const { start, page, options } = await toKeyStep(deployment, user);
    const afterKey = await postAssertion(start, page, key.assert(options));
    expect(afterKey.status).toBe(303);
    cluster.route('alternate');
    const claims = await idTokenClaims(deployment, start, afterKey);
    expect(claims).toMatchObject({ sub: user.subject });
    expect(claims['amr']).toEqual(expect.arrayContaining([AMR.hardwareKey]));

    const uid = start.interactionUrl.split('/').pop() as string;
    expect(cluster.nodes[0]?.served).toContain(`GET /interaction/${uid}`);
    expect(cluster.nodes[0]?.served).not.toContain(`POST /interaction/${uid}/security-key`);
    expect(cluster.nodes[1]?.served).toContain(`POST /interaction/${uid}/security-key`);
    expect(Number((await database.db('webauthn_credentials').where({ credential_id: key.id }).first('sign_count')).sign_count)).toBe(1);
  });
});

describe('the smartcard bridge: a key registered right after a smartcard login, vouched for by the card', () => {
  const PROXY_ADDRESS = '127.0.0.2';
  let fixture: SmartcardFixture;
  let database: TestDatabase;
  let running: RunningTestServer;
  let seq = 0;

  beforeAll(async () => {
    fixture = await createSmartcardFixture();
  });
  useTestServer((started) => ({ database, running } = started), () => ({
    ...OVERRIDES,
    smartcard: { caFile: fixture.files.caFile, crlFiles: [fixture.files.crlFile], proxy: { trustedAddresses: [`${PROXY_ADDRESS}/32`] } },
    phases: { refreshSeconds: 0 },
  }));

  /** A user whose card is bound, logged in by smartcard (through the proxy): the offer of a key. */
  async function offered(card: IssuedCertificate) {
    seq += 1;
    const user = await seedUser(running.server, running.config, { participantId: 'B01234', userId: `CARD${seq}`, email: `card${seq}@example.com` }, running.clock);
    await bindDirectly(running.server, user, card);
    const start = await startAuthorization(running.issuer, {}, new Browser({ localAddress: PROXY_ADDRESS }));
    const afterCard = await start.browser.request(new URL(formAction(start.loginPage.body, 'smartcard-login'), start.interactionUrl).toString(), {
      form: { csrf: inputValue(start.loginPage.body, 'csrf') },
      headers: { 'X-SSL-Client-Cert': nginxEscaped(card.pem) },
    });
    expect(afterCard.status).toBe(303);
    const page = await start.browser.follow(start.interactionUrl);
    expect(page.body).toMatch(/<form[^>]*action="\/interaction\/[^"]+\/register-key"[^>]*data-webauthn="register"/);
    const match = /<script type="application\/json" id="webauthn-options">([\s\S]*?)<\/script>/.exec(page.body);
    const options = JSON.parse(match?.[1] as string) as PublicKeyCredentialCreationOptionsJSON;
    const key = new SoftAuthenticator({ rpId: new URL(running.issuer).hostname, origin: running.issuer, userVerified: true });
    return { user, start, page, options, key };
  }

  const register = (start: AuthorizationStart, page: Page, credential: unknown, name = 'Card-vouched key') =>
    start.browser.request(`${start.interactionUrl}/register-key`, { form: { csrf: inputValue(page.body, 'csrf'), name, credential: JSON.stringify(credential) } });

  it('registers the key, completes the smartcard login, and the key then logs the user in with their password', async () => {
    const { user, start, page, options, key } = await offered(fixture.cards.valid);
    expect(options.rp.id).toBe(new URL(running.issuer).hostname);
    expect(Buffer.from(options.user.id, 'base64url').toString('utf8')).toBe(user.subject);
    const afterKey = await register(start, page, key.register(options));
    expect(afterKey.status).toBe(303);
    const claims = await idTokenClaims({ issuer: running.issuer, http: running.http, db: database.db, server: running.server, config: running.config, clock: running.clock }, start, afterKey);
    expect(claims).toMatchObject({ sub: user.subject, acr: ACR.smartcard });
    const stored = await database.db('webauthn_credentials').where({ user_id: user.subject }).select('credential_id', 'registered_with', 'name', 'sign_count');
    expect(stored).toEqual([expect.objectContaining({ credential_id: key.id, registered_with: 'smartcard', name: 'Card-vouched key' })]);
    const notice = await running.mail.mailTo(user.email as string);
    expect(notice.subject).toContain('A security key was added to your CCASS login');

    // The key registered is the one that now logs in.
    const deployment: Deployment = { issuer: running.issuer, http: running.http, db: database.db, server: running.server, config: running.config, clock: running.clock };
    const login = await toKeyStep(deployment, user);
    const afterLogin = await postAssertion(login.start, login.page, key.assert(login.options));
    expect(afterLogin.status).toBe(303);
    expect((await idTokenClaims(deployment, login.start, afterLogin))['amr']).toEqual(expect.arrayContaining([AMR.hardwareKey]));
  });

  it('stores nothing for a registration made on another origin, and offers again', async () => {
    const { user, start, page, options, key } = await offered(fixture.cards.second);
    const refused = await register(start, page, key.register(options, { origin: 'https://ccass-auth.example.net' }));
    expect(refused.status).toBe(400);
    expect(refused.body).toMatch(/action="\/interaction\/[^"]+\/register-key"/);
    expect(await database.db('webauthn_credentials').where({ user_id: user.subject })).toHaveLength(0);
    expect(await database.db('oidc_payloads').where({ model: 'Session' }).whereRaw(`payload->>'accountId' = ?`, [user.subject])).toHaveLength(0);
  });

  it('"not now" completes the smartcard login without a key', async () => {
    const { user, start, page } = await offered(fixture.cards.unbound);
    const skipped = await start.browser.request(`${start.interactionUrl}/skip-key`, { form: { csrf: inputValue(page.body, 'csrf') } });
    expect(skipped.status).toBe(303);
    const claims = await idTokenClaims({ issuer: running.issuer, http: running.http, db: database.db, server: running.server, config: running.config, clock: running.clock }, start, skipped);
    expect(claims).toMatchObject({ sub: user.subject, acr: ACR.smartcard });
    expect(await database.db('webauthn_credentials').where({ user_id: user.subject })).toHaveLength(0);
  });
});
