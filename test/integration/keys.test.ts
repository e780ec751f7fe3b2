import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { ConfigError } from '../../src/config/load.js';
import { createLogger } from '../../src/observability/logger.js';
import { generateSigningKeys, loadProviderKeys } from '../../src/oidc/keys.js';
import { buildServer } from '../../src/app/server.js';
import { createSecretBox, generateEncryptionKeyEntry, parseEncryptionKeys } from '../../src/secrets/secret-box.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { testConfig } from '../support/server.js';

describe('signing and cookie keys from configuration', () => {
  let database: TestDatabase;
  const dir = mkdtempSync(path.join(tmpdir(), 'ccass-keys-'));
  const box = createSecretBox(parseEncryptionKeys([generateEncryptionKeyEntry('test')]));
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await database.drop();
  });

  it('serves the public half of the configured JWKS and generates nothing', async () => {
    const jwks = await generateSigningKeys();
    const file = path.join(dir, 'jwks.json');
    writeFileSync(file, JSON.stringify(jwks));
    const config = testConfig('http://127.0.0.1:1', database.url, { oidc: { jwksFile: file, cookieKeys: ['c'.repeat(32)] } });
    const server = await buildServer(config, database.db, createLogger('silent'));
    const response = await request(server.app.callback()).get('/jwks').expect(200);
    expect(response.body.keys.map((key: { kid: string }) => key.kid).sort()).toEqual(jwks.keys.map((key) => key.kid).sort());
    expect(await database.db('generated_secrets').where('name', 'like', 'oidc.%').count('* as n').first()).toEqual({ n: 0 });
    await server.stop();
  });

  it('refuses a JWKS file without private keys, or that is not JSON, naming the key', async () => {
    const publicOnly = path.join(dir, 'public.json');
    const { keys } = await generateSigningKeys();
    writeFileSync(publicOnly, JSON.stringify({ keys: keys.map(({ d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...rest }) => rest) }));
    const notJson = path.join(dir, 'broken.json');
    writeFileSync(notJson, 'nope');
    for (const file of [publicOnly, notJson, path.join(dir, 'missing.json')]) {
      const config = testConfig('http://127.0.0.1:1', database.url, { oidc: { jwksFile: file } });
      await expect(loadProviderKeys(config, database.db, box)).rejects.toThrow(ConfigError);
      await expect(loadProviderKeys(config, database.db, box)).rejects.toThrow(/oidc\.jwksFile/);
    }
  });
});
