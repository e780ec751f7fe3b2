/**
 * Signing key rotation with no downtime, as an operator does it with the CLI while the
 * server runs: add (published, not signing) → promote (signs; the old key stays published,
 * so ID tokens it signed still verify and sessions and refresh tokens carry on) → retire.
 * Relying parties verify ID tokens against the live JWKS with jose, as CCASS Terminal would.
 */
import { writeFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from 'jose';
import request from 'supertest';
import { generateSigningKeys } from '../../src/oidc/keys.js';
import { cliRunner } from '../support/cli.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { nextTotp } from '../support/dms.js';
import { exchangeCode, followToCallback, refreshGrant, passwordStep, startAuthorization, submitCode } from '../support/flows.js';
import { seedUser, startTestServer, TERMINAL, type RunningTestServer, type SeededUser } from '../support/server.js';

describe('signing key rotation', () => {
  let database: TestDatabase;
  let running: RunningTestServer;
  let user: SeededUser;
  let encryptionKey: string;

  const cli = (args: string[]) => cliRunner({ DATABASE_URL: database.url, SECRETS_ENCRYPTION_KEYS: encryptionKey })(args);
  const jwks = async (): Promise<JSONWebKeySet> => (await request(running.http).get('/jwks').expect(200)).body;
  const kidsOf = async () => (await jwks()).keys.map((key) => key.kid);

  async function login() {
    const start = await startAuthorization(running.issuer);
    const codePage = await passwordStep(start, { participantId: user.participantId, userId: user.userId, password: user.password });
    const callback = await followToCallback(start, await submitCode(start, codePage, nextTotp(running, user)));
    return exchangeCode(running.http, start, callback);
  }

  async function verified(idToken: string) {
    return jwtVerify(idToken, createLocalJWKSet(await jwks()), { issuer: running.issuer, audience: TERMINAL.clientId, currentDate: running.clock.now() });
  }

  beforeAll(async () => {
    database = await createTestDatabase();
    // The server and the CLI share the encryption key that seals the signing keys, as in production.
    encryptionKey = `k1:${Buffer.alloc(32, 7).toString('base64')}`;
    running = await startTestServer(database.db, database.url, { secrets: { encryptionKeys: [encryptionKey] } });
    user = await seedUser(running.server, running.config, { participantId: 'B01234', userId: 'ROTATE', email: 'rotate@example.com' }, running.clock);
  });
  afterAll(async () => {
    await running.close();
    await database.drop();
  });

  it('starts with one RS256 and one ES256 key, private parts sealed', async () => {
    const rows = await database.db('signing_keys').orderBy('alg');
    expect(rows.map((row) => [row.alg, row.state])).toEqual([
      ['ES256', 'active'],
      ['RS256', 'active'],
    ]);
    for (const row of rows) {
      expect(row.public_jwk).not.toHaveProperty('d');
      expect(row.private_jwk_sealed).toMatch(/^v1:k1:/);
      expect(row.private_jwk_sealed).not.toContain('"d"');
    }
    expect((await jwks()).keys.every((key) => !('d' in key))).toBe(true);
    const listed = await cli(['keys', 'list']);
    expect(listed.code).toBe(0);
    expect(listed.out).toMatch(/^KID\s+ALG\s+STATE\s+CREATED\s+SIGNING SINCE\s+NEXT/);
    expect(listed.out.match(/\sactive\s/g)).toHaveLength(2);
  });

  it('rotates the ES256 key (the default ID token algorithm) while users stay logged in and earlier tokens keep verifying', async () => {
    const oldKid = (await database.db('signing_keys').where({ alg: 'ES256', state: 'active' }).first()).kid as string;
    const before = await login();
    expect(decodeProtectedHeader(before.id_token).kid).toBe(oldKid);

    // 1. Add: published by the node at its next check, not used to sign.
    const added = await cli(['keys', 'add', '--alg', 'ES256']);
    expect(added.code).toBe(0);
    const newKid = /key (es256-[0-9a-f]+) \(ES256\) added/.exec(added.out)?.[1] as string;
    expect(newKid).toBeTruthy();
    expect(await running.server.providers.refresh()).toBe(true);
    expect(await kidsOf()).toEqual(expect.arrayContaining([oldKid, newKid]));
    expect(decodeProtectedHeader((await login()).id_token).kid).toBe(oldKid);

    // 2. Promote: refused until the key has been published long enough, unless forced.
    const early = await cli(['keys', 'promote', newKid]);
    expect(early).toMatchObject({ code: 5, error: expect.stringContaining('has not been published long enough') });
    const promoted = await cli(['keys', 'promote', newKid, '--force']);
    expect(promoted).toMatchObject({ code: 0, out: expect.stringContaining(`${oldKid} stays published`) });
    await running.server.providers.refresh();

    const after = await login();
    expect(decodeProtectedHeader(after.id_token).kid).toBe(newKid);
    // The ID token signed before the rotation still verifies against the published keys…
    expect((await verified(before.id_token)).protectedHeader.kid).toBe(oldKid);
    expect((await verified(after.id_token)).protectedHeader.kid).toBe(newKid);
    // …and the refresh token issued before it still works, now with an ID token from the new key.
    const refreshed = await refreshGrant(running.http, before.refresh_token);
    expect(decodeProtectedHeader(refreshed.id_token).kid).toBe(newKid);

    // 3. Retire: the signing key never; the old one only once its tokens have expired, unless forced.
    expect(await cli(['keys', 'retire', newKid])).toMatchObject({ code: 5, error: expect.stringContaining('is signing') });
    expect(await cli(['keys', 'retire', oldKid])).toMatchObject({ code: 5, error: expect.stringContaining('may still be presented') });
    expect(await cli(['keys', 'retire', oldKid, '--force'])).toMatchObject({ code: 0 });
    await running.server.providers.refresh();
    expect(await kidsOf()).not.toContain(oldKid);
    expect(await kidsOf()).toContain(newKid);
    await expect(verified(before.id_token)).rejects.toThrow();
    const retired = await database.db('signing_keys').where({ kid: oldKid }).first();
    expect(retired).toMatchObject({ state: 'retired', private_jwk_sealed: null });

    const audit = await database.db('audit_events').where('type', 'like', 'signing_key.%').orderBy('id');
    expect(audit.map((row) => [row.type, row.details.kid, row.actor])).toEqual([
      ['signing_key.add', newKid, 'operator:test-operator'],
      ['signing_key.promote', newKid, 'operator:test-operator'],
      ['signing_key.retire', oldKid, 'operator:test-operator'],
    ]);
    expect(audit[1].details).toMatchObject({ replaced: oldKid, forced: true });
  });

  it('refuses unknown keys and algorithms, and a second promotion', async () => {
    expect(await cli(['keys', 'promote', 'rs256-000000000000'])).toMatchObject({ code: 3 });
    expect(await cli(['keys', 'add', '--alg', 'HS256'])).toMatchObject({ code: 2 });
    const [active] = await database.db('signing_keys').where({ alg: 'ES256', state: 'active' });
    expect(await cli(['keys', 'promote', active.kid, '--force'])).toMatchObject({ code: 5, error: expect.stringContaining('only a staged key') });
  });

  it('cannot open the keys without the encryption key that sealed them', async () => {
    const other = cliRunner({ DATABASE_URL: database.url, SECRETS_ENCRYPTION_KEYS: `k2:${Buffer.alloc(32, 9).toString('base64')}` });
    const before = await database.db('signing_keys').select('kid', 'state');
    // Adding a key works (it is sealed under k2) but nothing existing can be read or changed with it.
    const { code } = await other(['keys', 'add', '--alg', 'ES256']);
    expect(code).toBe(0);
    await expect(running.server.providers.refresh()).rejects.toThrow(/unknown format or key/);
    // The node keeps serving with the keys it has.
    expect((await request(running.http).get('/jwks').expect(200)).body.keys.length).toBeGreaterThan(0);
    await database.db('signing_keys').whereNotIn('kid', before.map((row) => row.kid)).delete();
  });

  it('leaves keys from oidc.jwksFile to the file', async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'ccass-jwks-')), 'jwks.json');
    writeFileSync(file, JSON.stringify(await generateSigningKeys()));
    const fileCli = cliRunner({ DATABASE_URL: database.url, JWKS_FILE: file });
    expect(await fileCli(['keys', 'add'])).toMatchObject({ code: 5, error: expect.stringContaining('oidc.jwksFile') });
  });
});
