/**
 * Refresh-token rotation (RFC 9700 §4.14.2). Every client rotates by default: a refresh returns
 * a new refresh token, and the used one, brought back, ends the grant and everything issued
 * from it (reuse detection). A confidential client may be configured `refresh_token_rotation:
 * none` and keep one refresh token (bound to it by its secret); a public client always rotates.
 */
import request from 'supertest';
import { loginToCallback } from '../support/flows.js';
import { PUBLIC_CLIENT, seedUser, TERMINAL, useTestServer, withClients, type RunningTestServer } from '../support/server.js';

/** A first-party confidential client that keeps its refresh token and sends its secret in the body. */
const BACK_OFFICE = {
  clientId: 'back-office',
  clientSecret: 'test-secret-for-the-back-office-client-00',
  redirectUri: 'http://127.0.0.1:9995/callback',
};

interface Client {
  clientId: string;
  redirectUri: string;
  clientSecret?: string;
}

interface Tokens {
  id_token: string;
  access_token: string;
  refresh_token: string;
}

describe('refresh-token rotation', () => {
  let running: RunningTestServer;
  useTestServer(
    (started) => ({ running } = started),
    withClients({
      client_id: BACK_OFFICE.clientId,
      client_secret: BACK_OFFICE.clientSecret,
      token_endpoint_auth_method: 'client_secret_post',
      redirect_uris: [BACK_OFFICE.redirectUri],
      first_party: true,
      refresh_token_rotation: 'none',
    }),
  );

  /** The token endpoint as `client` calls it: Basic for TERMINAL, the body for BACK_OFFICE, client_id alone for the public client. */
  function tokenRequest(client: Client, form: Record<string, string>) {
    const post = request(running.http).post('/token').type('form');
    if (client === TERMINAL) return post.auth(TERMINAL.clientId, TERMINAL.clientSecret).send(form);
    if (client.clientSecret) return post.send({ ...form, client_id: client.clientId, client_secret: client.clientSecret });
    return post.send({ ...form, client_id: client.clientId });
  }

  async function logIn(userId: string, client: Client = TERMINAL): Promise<Tokens> {
    const user = await seedUser(running.server, running.config, { participantId: 'B70007', userId }, running.clock);
    const { start, callback } = await loginToCallback(running, user, client);
    const response = await tokenRequest(client, {
      grant_type: 'authorization_code',
      code: callback.searchParams.get('code') as string,
      redirect_uri: client.redirectUri,
      code_verifier: start.codeVerifier,
    }).expect(200);
    return response.body as Tokens;
  }

  const refresh = (client: Client, refreshToken: string) => tokenRequest(client, { grant_type: 'refresh_token', refresh_token: refreshToken });
  const userinfo = (accessToken: string) => request(running.http).get('/me').set('Authorization', `Bearer ${accessToken}`);

  it('rotates a confidential client’s refresh token by default, and a used one brought back ends the grant', async () => {
    const tokens = await logIn('ROTATE1');
    const first = await refresh(TERMINAL, tokens.refresh_token).expect(200);
    expect(first.body.refresh_token).toBeTruthy();
    expect(first.body.refresh_token).not.toBe(tokens.refresh_token);
    const second = await refresh(TERMINAL, first.body.refresh_token).expect(200);
    expect(second.body.refresh_token).not.toBe(first.body.refresh_token);
    await userinfo(second.body.access_token).expect(200);

    // Someone replays the first token (stolen, say): refused, and the whole grant ends with it —
    // the live refresh token and the access token the rightful client holds stop working too.
    expect((await refresh(TERMINAL, tokens.refresh_token)).body).toMatchObject({ error: 'invalid_grant' });
    expect((await refresh(TERMINAL, second.body.refresh_token)).body).toMatchObject({ error: 'invalid_grant' });
    expect((await userinfo(second.body.access_token)).status).toBe(401);
  });

  it('of one refresh token sent twice at the same moment, rotates it once; the other is a reuse that ends the grant', async () => {
    for (let round = 0; round < 3; round += 1) {
      const tokens = await logIn(`RACE${round}`);
      const answers = await Promise.all([refresh(TERMINAL, tokens.refresh_token), refresh(TERMINAL, tokens.refresh_token)]);
      expect(answers.map((answer) => answer.status).sort()).toEqual([200, 400]);
      const won = answers.find((answer) => answer.status === 200);
      expect(answers.find((answer) => answer.status === 400)?.body).toMatchObject({ error: 'invalid_grant' });
      // The grant ended with the reuse: the rotated token and its access token are dead too.
      expect((await refresh(TERMINAL, won?.body.refresh_token as string)).body).toMatchObject({ error: 'invalid_grant' });
      expect((await userinfo(won?.body.access_token as string)).status).toBe(401);
    }
  });

  it('rotates a public client’s refresh token, with the same reuse detection', async () => {
    const tokens = await logIn('ROTATE2', PUBLIC_CLIENT);
    const first = await refresh(PUBLIC_CLIENT, tokens.refresh_token).expect(200);
    expect(first.body.refresh_token).not.toBe(tokens.refresh_token);
    expect((await refresh(PUBLIC_CLIENT, tokens.refresh_token)).body).toMatchObject({ error: 'invalid_grant' });
    expect((await refresh(PUBLIC_CLIENT, first.body.refresh_token)).body).toMatchObject({ error: 'invalid_grant' });
  });

  it('keeps one refresh token for a confidential client configured refresh_token_rotation: none (secret sent in the body)', async () => {
    const tokens = await logIn('KEEPER1', BACK_OFFICE);
    for (let round = 0; round < 3; round += 1) {
      const refreshed = await refresh(BACK_OFFICE, tokens.refresh_token).expect(200);
      expect(refreshed.body.refresh_token).toBe(tokens.refresh_token);
      await userinfo(refreshed.body.access_token).expect(200);
    }
  });

  it('refuses one client the refresh token of another, and that ends nothing for its own client', async () => {
    const kept = await logIn('KEEPER2', BACK_OFFICE);
    const rotating = await logIn('ROTATE3');
    expect((await refresh(TERMINAL, kept.refresh_token)).body).toMatchObject({ error: 'invalid_grant' });
    expect((await refresh(BACK_OFFICE, rotating.refresh_token)).body).toMatchObject({ error: 'invalid_grant' });
    await refresh(BACK_OFFICE, kept.refresh_token).expect(200);
    await refresh(TERMINAL, rotating.refresh_token).expect(200);
  });
});
