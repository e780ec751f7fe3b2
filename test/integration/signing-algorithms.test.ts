/**
 * ID tokens are signed with ES256 unless a client is configured for RS256 (a relying party
 * that knows nothing else); both keys are always published, and the file of keys supplied
 * from outside must hold a key for every algorithm in use.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { decodeProtectedHeader } from 'jose';
import request from 'supertest';
import { ConfigError } from '../../src/config/load.js';
import { generateSigningKey, loadProviderKeys } from '../../src/oidc/keys.js';
import { createSecretBox, generateEncryptionKeyEntry, parseEncryptionKeys } from '../../src/secrets/secret-box.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { nextTotp } from '../support/dms.js';
import { exchangeCode, followToCallback, passwordStep, startAuthorization, submitCode } from '../support/flows.js';
import { seedUser, startTestServer, testConfig, type RunningTestServer } from '../support/server.js';

describe('ID token signing algorithms', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await database.drop();
  });

  async function idTokenFrom(running: RunningTestServer, userId: string): Promise<string> {
    const user = await seedUser(running.server, running.config, { participantId: 'B01234', userId, email: `${userId.toLowerCase()}@example.com` }, running.clock);
    const start = await startAuthorization(running.issuer);
    const codePage = await passwordStep(start, { participantId: user.participantId, userId: user.userId, password: user.password });
    const callback = await followToCallback(start, await submitCode(start, codePage, nextTotp(running, user)));
    return (await exchangeCode(running.http, start, callback)).id_token;
  }

  it('signs with ES256 by default and publishes both algorithms', async () => {
    const running = await startTestServer(database.db, database.url);
    try {
      expect(decodeProtectedHeader(await idTokenFrom(running, 'ESUSER')).alg).toBe('ES256');
      const discovery = await request(running.http).get('/.well-known/openid-configuration').expect(200);
      expect(discovery.body.id_token_signing_alg_values_supported).toEqual(expect.arrayContaining(['ES256', 'RS256']));
    } finally {
      await running.close();
    }
  });

  it('signs with RS256 for a client configured for it', async () => {
    const clients = testConfig('http://unused', database.url).oidc.clients.map((client) =>
      client.client_id === 'ccass-terminal' ? { ...client, id_token_signed_response_alg: 'RS256' as const } : client,
    );
    const running = await startTestServer(database.db, database.url, { oidc: { clients } });
    try {
      expect(decodeProtectedHeader(await idTokenFrom(running, 'RSUSER')).alg).toBe('RS256');
    } finally {
      await running.close();
    }
  });

  it('refuses a key file without a key for an algorithm in use, naming the key', async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'ccass-alg-')), 'rsa-only.json');
    writeFileSync(file, JSON.stringify({ keys: [await generateSigningKey('RS256')] }));
    const box = createSecretBox(parseEncryptionKeys([generateEncryptionKeyEntry('t')]));
    const config = testConfig('http://127.0.0.1:1', database.url, { oidc: { jwksFile: file } });
    await expect(loadProviderKeys(config, database.db, box)).rejects.toThrow(ConfigError);
    await expect(loadProviderKeys(config, database.db, box)).rejects.toThrow(/oidc\.jwksFile: .* has no ES256 key/);
    const rsaConfig = testConfig('http://127.0.0.1:1', database.url, { oidc: { jwksFile: file, idTokenSigningAlg: 'RS256' } });
    await expect(loadProviderKeys(rsaConfig, database.db, box)).resolves.toMatchObject({ signing: { kind: 'file' } });
  });
});
