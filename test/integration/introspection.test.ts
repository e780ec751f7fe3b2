/**
 * Who may introspect (RFC 7662 §4: the server decides): the client a token was issued to, or a
 * client configured as a resource server — both confidential. Anyone else gets the answer for
 * a token that does not exist, `{"active": false}`, so a refusal reveals nothing about a token.
 */
import request from 'supertest';
import { randomBytes } from 'node:crypto';
import { exchangeCode, loginToCallback } from '../support/flows.js';
import {
  PUBLIC_CLIENT,
  RESOURCE_SERVER,
  RESOURCE_SERVER_CLIENT,
  seedUser,
  TERMINAL,
  THIRD_PARTY,
  useTestServer,
  withClients,
  type RunningTestServer,
} from '../support/server.js';

interface Tokens {
  access_token: string;
  refresh_token: string;
}

describe('token introspection', () => {
  let running: RunningTestServer;
  useTestServer((started) => ({ running } = started), withClients(RESOURCE_SERVER_CLIENT));

  /** A new user logs in at `client` (a first-party one: no consent) and the code is redeemed. */
  async function tokensFor(userId: string, client: { clientId: string; redirectUri: string; clientSecret?: string } = TERMINAL): Promise<Tokens & { subject: string }> {
    const user = await seedUser(running.server, running.config, { participantId: 'B60006', userId }, running.clock);
    const { start, callback } = await loginToCallback(running, user, client);
    if (client.clientSecret) return { subject: user.subject, ...((await exchangeCode(running.http, start, callback, client as typeof TERMINAL)) as Tokens) };
    const response = await request(running.http)
      .post('/token')
      .type('form')
      .send({ grant_type: 'authorization_code', client_id: client.clientId, code: callback.searchParams.get('code'), redirect_uri: client.redirectUri, code_verifier: start.codeVerifier })
      .expect(200);
    return { subject: user.subject, ...(response.body as Tokens) };
  }

  const introspect = (token: string, as: { clientId: string; clientSecret: string }) =>
    request(running.http).post('/token/introspection').auth(as.clientId, as.clientSecret).type('form').send({ token });

  it('tells a client about its own access and refresh tokens', async () => {
    const tokens = await tokensFor('OWNTOKEN');
    const access = await introspect(tokens.access_token, TERMINAL).expect(200);
    expect(access.body).toMatchObject({ active: true, client_id: TERMINAL.clientId, sub: tokens.subject, token_type: 'Bearer', iss: running.issuer });
    const refresh = await introspect(tokens.refresh_token, TERMINAL).expect(200);
    expect(refresh.body).toMatchObject({ active: true, client_id: TERMINAL.clientId, sub: tokens.subject });
  });

  it('answers another confidential client {"active": false} for a live token not issued to it, exactly as for a token that does not exist', async () => {
    const tokens = await tokensFor('NOTYOURS');
    const unknown = await introspect(randomBytes(32).toString('base64url'), THIRD_PARTY).expect(200);
    expect(unknown.body).toEqual({ active: false });
    for (const token of [tokens.access_token, tokens.refresh_token]) {
      const refused = await introspect(token, THIRD_PARTY).expect(200);
      expect(refused.body).toEqual({ active: false });
      expect(refused.headers['content-type']).toBe(unknown.headers['content-type']);
      expect(refused.headers['cache-control']).toBe(unknown.headers['cache-control']);
    }
    // The refusal asked nothing of the token: it is as live as before for its own client.
    expect((await introspect(tokens.access_token, TERMINAL)).body).toMatchObject({ active: true });
  });

  it('tells a resource server about any client’s tokens, and that they are no longer active once revoked', async () => {
    const terminal = await tokensFor('FORTHEAPI1');
    const publicApp = await tokensFor('FORTHEAPI2', PUBLIC_CLIENT);
    expect((await introspect(terminal.access_token, RESOURCE_SERVER)).body).toMatchObject({ active: true, client_id: TERMINAL.clientId, sub: terminal.subject });
    expect((await introspect(publicApp.access_token, RESOURCE_SERVER)).body).toMatchObject({ active: true, client_id: PUBLIC_CLIENT.clientId, sub: publicApp.subject });

    await request(running.http).post('/token/revocation').auth(TERMINAL.clientId, TERMINAL.clientSecret).type('form').send({ token: terminal.access_token }).expect(200);
    expect((await introspect(terminal.access_token, RESOURCE_SERVER)).body).toEqual({ active: false });
  });

  it('lets a public client introspect nothing, not even its own tokens', async () => {
    const tokens = await tokensFor('PUBLICAPP', PUBLIC_CLIENT);
    const answer = await request(running.http).post('/token/introspection').type('form').send({ token: tokens.access_token, client_id: PUBLIC_CLIENT.clientId }).expect(200);
    expect(answer.body).toEqual({ active: false });
  });

  it('refuses a wrong secret (invalid_client) and a request that names no client (invalid_request)', async () => {
    const tokens = await tokensFor('WRONGSECRET');
    const wrong = await introspect(tokens.access_token, { clientId: RESOURCE_SERVER.clientId, clientSecret: 'not-the-secret-of-the-trading-api-at-all' }).expect(401);
    expect(wrong.body).toMatchObject({ error: 'invalid_client' });
    const anonymous = await request(running.http).post('/token/introspection').type('form').send({ token: tokens.access_token }).expect(400);
    expect(anonymous.body).toMatchObject({ error: 'invalid_request' });
  });
});
