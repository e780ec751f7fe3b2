/**
 * A token's grant and session are fetched with the token, in one statement, and kept for the
 * request that fetched them only: a refresh costs three statements, and a grant or session
 * that ends between two requests is seen ended by the second.
 */
import request from 'supertest';
import { type TestDatabase } from '../support/database.js';
import { exchangeCode, followToCallback, passwordStep, startAuthorization, submitCode, type AuthorizationStart } from '../support/flows.js';
import { seedUser, TERMINAL, type RunningTestServer, type SeededUser, useTestServer } from '../support/server.js';
import { rfc6238 } from '../support/totp.js';
import { hashId } from '../../src/kernel/hash-id.js';

interface Tokens {
  id_token: string;
  access_token: string;
  refresh_token: string;
}

describe('token lookups', () => {
  let database: TestDatabase;
  let running: RunningTestServer;

  useTestServer((started) => ({ database, running } = started));

  /** Logs a new user in up to the relying party's callback (the code not yet exchanged). */
  async function authorize(userId: string): Promise<{ user: SeededUser; start: AuthorizationStart; callback: URL }> {
    const user = await seedUser(running.server, running.config, { participantId: 'B50005', userId }, running.clock);
    const start = await startAuthorization(running.issuer);
    const codePage = await passwordStep(start, { participantId: user.participantId, userId: user.userId, password: user.password });
    const afterCode = await submitCode(start, codePage, rfc6238(user.totpSecret as Buffer, running.clock.now().getTime() / 1000));
    running.clock.advance(30);
    return { user, start, callback: await followToCallback(start, afterCode) };
  }

  async function logIn(userId: string): Promise<{ user: SeededUser; tokens: Tokens }> {
    const { user, start, callback } = await authorize(userId);
    return { user, tokens: (await exchangeCode(running.http, start, callback)) as Tokens };
  }

  const refresh = (refreshToken: string) =>
    request(running.http).post('/token').auth(TERMINAL.clientId, TERMINAL.clientSecret).type('form').send({ grant_type: 'refresh_token', refresh_token: refreshToken });
  const userinfo = (accessToken: string) => request(running.http).get('/me').set('Authorization', `Bearer ${accessToken}`);

  /** The statements `action` sends, by prepared-statement name or by their first words. */
  async function statementsOf(action: () => Promise<unknown>): Promise<string[]> {
    const seen: string[] = [];
    const listener = (query: { sql: string; name?: string }) => seen.push(query.name ?? query.sql.trim().split(/\s+/).slice(0, 4).join(' '));
    database.db.on('query', listener);
    try {
      await action();
    } finally {
      database.db.removeListener('query', listener);
    }
    return seen;
  }

  it('refreshes with two statements: the token with its grant, session and account; the used token consumed with the new tokens written', async () => {
    const { tokens } = await logIn('LOOKUPS1');
    // The first refresh may also move the session's idle expiry (at most once a minute): not counted.
    const first = await refresh(tokens.refresh_token).expect(200);

    let response: request.Response | undefined;
    const statements = await statementsOf(async () => {
      response = await refresh(first.body.refresh_token);
    });
    expect(response?.status).toBe(200);
    expect(statements).toHaveLength(2);
    expect(statements[0]).toBe('oidc_find_with_relatives');
    expect(statements[1]).toBe('oidc_consume_and_write_0_2');
    expect(statements).not.toContain('users_by_subject');
    expect(statements).not.toContain('oidc_find');
    expect(statements).not.toContain('oidc_find_by_uid');
  });

  it('refuses a refresh for a user disabled since, though the account came with the token', async () => {
    const { user, tokens } = await logIn('DISABLED1');
    // The rotated token is the live one: refusing it is for the user's status, not for reuse.
    const rotated = await refresh(tokens.refresh_token).expect(200);
    // Only the status changes here (no revocation): the account read with the token must say so.
    await database.db('users').where({ id: user.subject }).update({ status: 'disabled' });
    expect((await refresh(rotated.body.refresh_token)).body).toMatchObject({ error: 'invalid_grant' });
  });

  it('sees a grant that ended after the last request ended, though that request fetched it', async () => {
    const { tokens } = await logIn('LOOKUPS2');
    const rotated = await refresh(tokens.refresh_token).expect(200);
    const [token] = await database.db('oidc_payloads').where({ model: 'RefreshToken', id_hash: hashId(rotated.body.refresh_token) });
    expect(await database.db('oidc_payloads').where({ model: 'Grant', id_hash: token.grant_id_hash }).delete()).toBe(1);

    expect((await refresh(rotated.body.refresh_token)).body).toMatchObject({ error: 'invalid_grant' });
  });

  it('sees a session that ended after the last request ended: refresh refused, access token no longer accepted', async () => {
    const { tokens } = await logIn('LOOKUPS3');
    const rotated = await refresh(tokens.refresh_token).expect(200);
    await userinfo(tokens.access_token).expect(200);
    const [token] = await database.db('oidc_payloads').where({ model: 'RefreshToken', id_hash: hashId(rotated.body.refresh_token) });
    expect(await database.db('oidc_payloads').where({ model: 'Session', uid: token.payload.sessionUid }).delete()).toBe(1);

    expect((await refresh(rotated.body.refresh_token)).body).toMatchObject({ error: 'invalid_grant' });
    expect((await userinfo(tokens.access_token)).status).toBe(401);
  });

  it('does not hand one account the grant or session of another (each token brings its own)', async () => {
    const first = await logIn('LOOKUPS4');
    const second = await logIn('LOOKUPS5');
    const [a, b] = await Promise.all([refresh(first.tokens.refresh_token), refresh(second.tokens.refresh_token)]);
    expect(a.status).toBe(200);
    expect(b.status).toBe(200);
    const subjectOf = (idToken: string) => JSON.parse(Buffer.from(idToken.split('.')[1] as string, 'base64url').toString()).sub as string;
    expect(subjectOf(a.body.id_token)).toBe(first.user.subject);
    expect(subjectOf(b.body.id_token)).toBe(second.user.subject);
  });

  it('redeems a code once when two requests bring it at the same moment, and ends what the first got', async () => {
    const { start, callback } = await authorize('LOOKUPS6');
    const redeem = () =>
      request(running.http)
        .post('/token')
        .auth(TERMINAL.clientId, TERMINAL.clientSecret)
        .type('form')
        .send({ grant_type: 'authorization_code', code: callback.searchParams.get('code'), redirect_uri: TERMINAL.redirectUri, code_verifier: start.codeVerifier });
    const responses = await Promise.all([redeem(), redeem(), redeem()]);
    const statuses = responses.map((response) => response.status).sort();
    expect(statuses.filter((status) => status === 200).length).toBeLessThanOrEqual(1);
    expect(statuses.filter((status) => status === 400).length).toBeGreaterThanOrEqual(2);
    for (const refused of responses.filter((response) => response.status === 400)) expect(refused.body).toMatchObject({ error: 'invalid_grant' });
    // Reuse ends the grant: a refresh token the winner got no longer works.
    const winner = responses.find((response) => response.status === 200);
    if (winner) expect((await refresh(winner.body.refresh_token)).body).toMatchObject({ error: 'invalid_grant' });
  });
});
