import { flushOidcWrites, hashId, postgresAdapterFactory, purgeExpiredOidcPayloads, withBatchedOidcWrites } from '../../src/store/oidc-adapter.js';
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

  it.each([
    ['a NUL', { params: { state: 'a\u0000b' } }],
    ['a lone surrogate', { params: { nonce: 'x\ud800' } }],
    ['a NUL in a key', { claims: { 'a\u0000': 1 } }],
  ])('refuses a payload with %s as the client\'s bad request, and stores nothing', async (_what, extra) => {
    await expect(adapter('Interaction').upsert('bad-1', { kind: 'Interaction', ...extra } as never, 60)).rejects.toMatchObject({ name: 'InvalidRequest', statusCode: 400 });
    expect(await adapter('Interaction').find('bad-1')).toBeUndefined();
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

  it('refuses the second of two consumptions of one code, and ends its grant (two redemptions at once)', async () => {
    await adapter('Grant').upsert('g-race', { kind: 'Grant', accountId: 'acc' }, 60);
    await adapter('AuthorizationCode').upsert('code-race', { grantId: 'g-race', kind: 'AuthorizationCode' }, 60);
    await adapter('AccessToken').upsert('at-race', { grantId: 'g-race', kind: 'AccessToken' }, 60);
    // Both requests found the code unconsumed; both consume.
    const outcomes = await Promise.allSettled([adapter('AuthorizationCode').consume('code-race'), adapter('AuthorizationCode').consume('code-race')]);
    expect(outcomes.map((outcome) => outcome.status).sort()).toEqual(['fulfilled', 'rejected']);
    const refusal = outcomes.find((outcome) => outcome.status === 'rejected') as PromiseRejectedResult;
    expect(refusal.reason).toMatchObject({ error: 'invalid_grant', statusCode: 400 });
    expect(await adapter('Grant').find('g-race')).toBeUndefined();
    expect(await adapter('AccessToken').find('at-race')).toBeUndefined();
    expect(await adapter('AuthorizationCode').find('code-race')).toBeUndefined();
  });

  describe("one request's writes, sent together at its end", () => {
    const counted = async <T>(work: () => Promise<T>): Promise<{ result: T; statements: string[] }> => {
      const statements: string[] = [];
      const listener = (query: { sql: string }) => statements.push(query.sql.trim().split(/\s+/).slice(0, 3).join(' '));
      database.db.on('query', listener);
      try {
        return { result: await work(), statements };
      } finally {
        database.db.removeListener('query', listener);
      }
    };

    it('writes consecutive upserts and deletes in one statement, when the request ends', async () => {
      await adapter('Interaction').upsert('wb-interaction', { kind: 'Interaction' }, 60);
      const { statements } = await counted(() =>
        withBatchedOidcWrites(async () => {
          await adapter('Interaction').destroy('wb-interaction');
          await adapter('Grant').upsert('wb-grant', { kind: 'Grant', accountId: 'wb' }, 60);
          await adapter('Session').upsert('wb-session', { kind: 'Session', uid: 'wb-uid', accountId: 'wb' }, 60);
          await adapter('AuthorizationCode').upsert('wb-code', { kind: 'AuthorizationCode', grantId: 'wb-grant', accountId: 'wb' }, 60);
          // Nothing is written yet: another request would not see them.
          expect(await database.db('oidc_payloads').where({ account_id: 'wb' })).toHaveLength(0);
        }),
      );
      expect(statements.filter((sql) => !sql.startsWith('select'))).toHaveLength(1);
      expect(await adapter('Interaction').find('wb-interaction')).toBeUndefined();
      expect(await adapter('AuthorizationCode').find('wb-code')).toMatchObject({ grantId: 'wb-grant' });
      expect(await adapter('Session').findByUid('wb-uid')).toMatchObject({ accountId: 'wb' });
      expect(await database.db('oidc_payloads').where({ model: 'AuthorizationCode', grant_id_hash: hashId('wb-grant') })).toHaveLength(1);
    });

    it('lets the request read what it wrote: a read sends the waiting writes first', async () => {
      const { result } = await counted(() =>
        withBatchedOidcWrites(async () => {
          await adapter('Grant').upsert('wb-read', { kind: 'Grant', accountId: 'reader' }, 60);
          const found = await adapter('Grant').find('wb-read');
          await adapter('Grant').destroy('wb-read');
          return { found, afterDestroy: await adapter('Grant').find('wb-read') };
        }),
      );
      expect(result.found).toMatchObject({ accountId: 'reader' });
      expect(result.afterDestroy).toBeUndefined();
    });

    it('sends flushes one after the other: a read during a flush waits for it and sees the later write', async () => {
      const found = await withBatchedOidcWrites(async () => {
        await adapter('Grant').upsert('wb-order', { kind: 'Grant', version: 1 }, 60);
        const first = flushOidcWrites(); // under way
        await adapter('Grant').upsert('wb-order', { kind: 'Grant', version: 2 }, 60);
        const read = await adapter('Grant').find('wb-order');
        await first;
        return read;
      });
      expect(found).toMatchObject({ version: 2 });
      expect(await adapter('Grant').find('wb-order')).toMatchObject({ version: 2 });
    });

    it('keeps the last of several writes of one key', async () => {
      await withBatchedOidcWrites(async () => {
        await adapter('Session').upsert('wb-twice', { kind: 'Session', uid: 'wb-twice-uid', version: 1 }, 60);
        await adapter('Session').upsert('wb-twice', { kind: 'Session', uid: 'wb-twice-uid', version: 2 }, 60);
        await adapter('Grant').upsert('wb-gone', { kind: 'Grant' }, 60);
        await adapter('Grant').destroy('wb-gone');
        await adapter('AccessToken').upsert('wb-back', { kind: 'AccessToken' }, 60);
        await adapter('AccessToken').destroy('wb-back');
        await adapter('AccessToken').upsert('wb-back', { kind: 'AccessToken', version: 3 }, 60);
      });
      expect(await adapter('Session').findByUid('wb-twice-uid')).toMatchObject({ version: 2 });
      expect(await adapter('Grant').find('wb-gone')).toBeUndefined();
      expect(await adapter('AccessToken').find('wb-back')).toMatchObject({ version: 3 });
    });

    it('consumes a code in the statement that writes the tokens it is exchanged for', async () => {
      await adapter('AuthorizationCode').upsert('wb-consume', { kind: 'AuthorizationCode' }, 60);
      const { statements } = await counted(() =>
        withBatchedOidcWrites(async () => {
          await adapter('AuthorizationCode').consume('wb-consume');
          await adapter('AccessToken').upsert('wb-consume-at', { kind: 'AccessToken' }, 60);
          await adapter('RefreshToken').upsert('wb-consume-rt', { kind: 'RefreshToken' }, 60);
        }),
      );
      expect(statements).toEqual(['with consumed as']);
      expect(await adapter('AuthorizationCode').find('wb-consume')).toMatchObject({ consumed: expect.anything() });
      expect(await adapter('AccessToken').find('wb-consume-at')).toMatchObject({ kind: 'AccessToken' });
      // Consumed once: a second exchange is refused, and writes none of its tokens.
      await expect(
        withBatchedOidcWrites(async () => {
          await adapter('AuthorizationCode').consume('wb-consume');
          await adapter('AccessToken').upsert('wb-consume-again', { kind: 'AccessToken' }, 60);
        }),
      ).rejects.toMatchObject({ name: 'InvalidGrant' });
      expect(await adapter('AccessToken').find('wb-consume-again')).toBeUndefined();
    });

    it('sends a consumption at once when the request reads before writing again, and alone when nothing follows', async () => {
      await adapter('AuthorizationCode').upsert('wb-consume-read', { kind: 'AuthorizationCode' }, 60);
      await adapter('AccessToken').upsert('wb-other', { kind: 'AccessToken' }, 60);
      await withBatchedOidcWrites(async () => {
        await adapter('AuthorizationCode').consume('wb-consume-read');
        await adapter('AccessToken').find('wb-other'); // a read: what waits goes first
        expect((await database.db('oidc_payloads').where({ id_hash: hashId('wb-consume-read') }).first())?.consumed_at).not.toBeNull();
      });
      await adapter('AuthorizationCode').upsert('wb-consume-alone', { kind: 'AuthorizationCode' }, 60);
      await withBatchedOidcWrites(() => adapter('AuthorizationCode').consume('wb-consume-alone'));
      expect((await database.db('oidc_payloads').where({ id_hash: hashId('wb-consume-alone') }).first())?.consumed_at).not.toBeNull();
      await expect(withBatchedOidcWrites(() => adapter('AuthorizationCode').consume('wb-consume-alone'))).rejects.toMatchObject({ name: 'InvalidGrant' });
    });

    it('of two exchanges of one code at once, lets exactly one write its tokens; the other ends the grant', async () => {
      for (let round = 0; round < 5; round += 1) {
        const grant = `g-wb-race-${round}`;
        await adapter('Grant').upsert(grant, { kind: 'Grant', accountId: 'acc' }, 60);
        await adapter('AuthorizationCode').upsert(`wb-race-${round}`, { grantId: grant, kind: 'AuthorizationCode' }, 60);
        const exchange = (side: string) =>
          withBatchedOidcWrites(async () => {
            await adapter('AuthorizationCode').consume(`wb-race-${round}`);
            await adapter('AccessToken').upsert(`wb-race-${round}-${side}`, { grantId: grant, kind: 'AccessToken' }, 60);
          });
        const outcomes = await Promise.allSettled([exchange('a'), exchange('b')]);
        expect(outcomes.map((outcome) => outcome.status).sort()).toEqual(['fulfilled', 'rejected']);
        expect((outcomes.find((outcome) => outcome.status === 'rejected') as PromiseRejectedResult).reason).toMatchObject({ error: 'invalid_grant', statusCode: 400 });
        // The loser's token was never written; the winner's went with the grant the loser ended.
        const left = await database.db('oidc_payloads').whereIn('id_hash', [hashId(`wb-race-${round}-a`), hashId(`wb-race-${round}-b`), hashId(grant)]);
        expect(left).toEqual([]);
      }
    });

    it('writes what a failing request wrote before it failed, as it would have one by one', async () => {
      await expect(
        withBatchedOidcWrites(async () => {
          await adapter('Session').upsert('wb-failed', { kind: 'Session', uid: 'wb-failed-uid' }, 60);
          throw new Error('the request failed afterwards');
        }),
      ).rejects.toThrow('the request failed afterwards');
      expect(await adapter('Session').findByUid('wb-failed-uid')).toMatchObject({ kind: 'Session' });
    });
  });

  describe("a token's grant and session, fetched with it for the request", () => {
    // The requests: new objects for each test, as oidc-provider has a new context for each request.
    let request: object;
    let other: object;
    let current: object | undefined;
    // One factory, as oidc-provider has one: what a request keeps lives in it.
    let Scoped: ReturnType<typeof postgresAdapterFactory> | undefined;
    const scoped = (model: string) => new (Scoped ??= postgresAdapterFactory(database.db, () => current))(model);
    const plain = adapter;

    async function statementsOf<T>(action: () => Promise<T>): Promise<{ result: T; statements: string[] }> {
      const statements: string[] = [];
      const listener = (query: { sql: string; name?: string }) => statements.push(query.name ?? query.sql);
      database.db.on('query', listener);
      try {
        return { result: await action(), statements };
      } finally {
        database.db.removeListener('query', listener);
      }
    }

    beforeEach(async () => {
      request = { name: 'request A' };
      other = { name: 'request B' };
      current = undefined;
      await plain('Grant').upsert('g-kept', { kind: 'Grant', accountId: 'acc-k', openid: { scope: 'openid' } }, 600);
      await plain('Session').upsert('s-kept', { kind: 'Session', uid: 'uid-kept', accountId: 'acc-k', authorizations: {} }, 600);
      await plain('RefreshToken').upsert('rt-kept', { kind: 'RefreshToken', grantId: 'g-kept', sessionUid: 'uid-kept', expiresWithSession: true, accountId: 'acc-k' }, 600);
    });

    it('hands the request exactly what a separate lookup returns, once', async () => {
      current = request;
      const { result: token, statements } = await statementsOf(() => scoped('RefreshToken').find('rt-kept'));
      expect(statements).toEqual(['oidc_find_with_relatives']);
      expect(token).toEqual(await plain('RefreshToken').find('rt-kept'));

      const kept = await statementsOf(async () => [await scoped('Session').findByUid('uid-kept'), await scoped('Grant').find('g-kept')]);
      expect(kept.statements).toEqual([]);
      expect(kept.result).toEqual([await plain('Session').findByUid('uid-kept'), await plain('Grant').find('g-kept')]);

      // Handed out once: asked again, the database answers.
      const again = await statementsOf(() => scoped('Grant').find('g-kept'));
      expect(again.statements).toEqual(['oidc_find']);
    });

    it('keeps nothing for another request, nor outside a request', async () => {
      current = request;
      await scoped('RefreshToken').find('rt-kept');
      current = other;
      expect((await statementsOf(() => scoped('Grant').find('g-kept'))).statements).toEqual(['oidc_find']);
      current = undefined;
      const outside = await statementsOf(async () => [await scoped('RefreshToken').find('rt-kept'), await scoped('Grant').find('g-kept')]);
      expect(outside.statements).toEqual(['oidc_find', 'oidc_find']);
    });

    it('does not bring a session the token does not live with', async () => {
      await plain('AccessToken').upsert('at-free', { kind: 'AccessToken', grantId: 'g-kept', sessionUid: 'uid-kept', accountId: 'acc-k' }, 600);
      current = request;
      await scoped('AccessToken').find('at-free');
      expect((await statementsOf(() => scoped('Session').findByUid('uid-kept'))).statements).toEqual(['oidc_find_by_uid']);
    });

    it('brings no grant or session that expired (not yet purged)', async () => {
      await database.db('oidc_payloads').whereIn('id_hash', [hashId('g-kept'), hashId('s-kept')]).update({ expires_at: database.db.raw("now() - interval '1 minute'") });
      current = request;
      expect(await scoped('RefreshToken').find('rt-kept')).toBeDefined();
      expect(await scoped('Grant').find('g-kept')).toBeUndefined();
      expect(await scoped('Session').findByUid('uid-kept')).toBeUndefined();
    });

    it('reads a grant or session again once the request writes or deletes it', async () => {
      current = request;
      await scoped('RefreshToken').find('rt-kept');
      await scoped('Grant').upsert('g-kept', { kind: 'Grant', accountId: 'acc-k', openid: { scope: 'openid email' } }, 600);
      expect((await scoped('Grant').find('g-kept'))?.openid).toEqual({ scope: 'openid email' });
      await scoped('RefreshToken').find('rt-kept');
      await scoped('Session').destroy('s-kept');
      expect(await scoped('Session').findByUid('uid-kept')).toBeUndefined();
    });
  });
});
