import { hashId, postgresAdapterFactory, purgeExpiredOidcPayloads } from '../../src/store/oidc-adapter.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

describe('PostgreSQL adapter for oidc-provider', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await database.drop();
  });

  const adapter = (model: string) => new (postgresAdapterFactory(database.db))(model);

  it('stores a payload and finds it by id, with its jti', async () => {
    await adapter('AccessToken').upsert('token-1', { jti: 'token-1', accountId: 'acc', grantId: 'g1', kind: 'AccessToken' }, 60);
    expect(await adapter('AccessToken').find('token-1')).toEqual({ jti: 'token-1', accountId: 'acc', grantId: 'g1', kind: 'AccessToken' });
  });

  it('keeps models apart', async () => {
    await adapter('AuthorizationCode').upsert('shared-id', { kind: 'AuthorizationCode' }, 60);
    expect(await adapter('RefreshToken').find('shared-id')).toBeUndefined();
  });

  it('stores only a hash of the id, so the table does not hold usable tokens', async () => {
    await adapter('RefreshToken').upsert('secret-refresh-token', { jti: 'secret-refresh-token', kind: 'RefreshToken' }, 60);
    const rows = await database.db('oidc_payloads').where({ model: 'RefreshToken' });
    expect(JSON.stringify(rows)).not.toContain('secret-refresh-token');
    expect(rows[0].id_hash).toBe(hashId('secret-refresh-token'));
  });

  it('updates in place on a second upsert', async () => {
    await adapter('Session').upsert('s1', { uid: 'u1', accountId: 'a' }, 60);
    await adapter('Session').upsert('s1', { uid: 'u1', accountId: 'b' }, 60);
    expect((await adapter('Session').find('s1'))?.accountId).toBe('b');
    expect(await database.db('oidc_payloads').where({ model: 'Session', id_hash: hashId('s1') }).count('* as n').first()).toEqual({ n: 1 });
  });

  it('finds a session by uid', async () => {
    await adapter('Session').upsert('s2', { uid: 'uid-2', accountId: 'acc-2' }, 60);
    expect(await adapter('Session').findByUid('uid-2')).toMatchObject({ uid: 'uid-2', accountId: 'acc-2' });
    expect(await adapter('Session').findByUid('uid-missing')).toBeUndefined();
  });

  it('marks a consumed artefact with the time of consumption', async () => {
    await adapter('AuthorizationCode').upsert('code-1', { kind: 'AuthorizationCode' }, 60);
    await adapter('AuthorizationCode').consume('code-1');
    const found = await adapter('AuthorizationCode').find('code-1');
    expect(typeof found?.consumed).toBe('number');
    expect(Math.abs((found?.consumed as number) - Date.now() / 1000)).toBeLessThan(60);
  });

  it('destroys an artefact', async () => {
    await adapter('Interaction').upsert('i1', { kind: 'Interaction' }, 60);
    await adapter('Interaction').destroy('i1');
    expect(await adapter('Interaction').find('i1')).toBeUndefined();
  });

  it('revokes every artefact of a grant and nothing else', async () => {
    await adapter('AccessToken').upsert('at-g2', { grantId: 'g2' }, 60);
    await adapter('RefreshToken').upsert('rt-g2', { grantId: 'g2' }, 60);
    await adapter('AuthorizationCode').upsert('ac-g2', { grantId: 'g2' }, 60);
    await adapter('AccessToken').upsert('at-g3', { grantId: 'g3' }, 60);
    await adapter('RefreshToken').revokeByGrantId('g2');
    expect(await adapter('AccessToken').find('at-g2')).toBeUndefined();
    expect(await adapter('RefreshToken').find('rt-g2')).toBeUndefined();
    expect(await adapter('AuthorizationCode').find('ac-g2')).toBeUndefined();
    expect(await adapter('AccessToken').find('at-g3')).toBeDefined();
  });

  it('does not return expired artefacts, and the purge deletes them', async () => {
    await adapter('AccessToken').upsert('expired', { kind: 'AccessToken' }, 60);
    await adapter('AccessToken').upsert('alive', { kind: 'AccessToken' }, 3600);
    await database.db('oidc_payloads')
      .where({ id_hash: hashId('expired') })
      .update({ expires_at: database.db.raw("now() - interval '10 minutes'") });
    expect(await adapter('AccessToken').find('expired')).toBeUndefined();

    expect(await purgeExpiredOidcPayloads(database.db)).toBeGreaterThanOrEqual(1);
    expect(await database.db('oidc_payloads').where({ id_hash: hashId('expired') }).first()).toBeUndefined();
    expect(await adapter('AccessToken').find('alive')).toBeDefined();
  });
});
