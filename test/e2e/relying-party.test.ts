/**
 * CCASS Terminal's view of the provider, with openid-client as the relying party:
 * discovery → authorization URL with PKCE and nonce → login form → callback → code
 * exchange with ID token validation → refresh (after the provider was rebuilt on a new
 * database pool, so only PostgreSQL carried the state) → RP-initiated logout.
 */
import * as client from 'openid-client';
import { Browser, formAction, inputValue, type Page } from '../support/browser.js';
import { rfc6238 } from '../support/totp.js';
import { codeIn } from '../support/smtp-sink.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { connectDatabase } from '../../src/store/database.js';
import { ACR, AMR } from '../../src/oidc/assurance.js';
import { setUserEnabled } from '../../src/directory/users.js';
import {
  PUBLIC_CLIENT,
  RESOURCE_SERVER,
  RESOURCE_SERVER_CLIENT,
  seedUser,
  startTestServer,
  TERMINAL,
  withClients,
  type RunningTestServer,
  type SeededUser,
} from '../support/server.js';

describe('CCASS Terminal as an openid-client relying party', () => {
  let database: TestDatabase;
  let running: RunningTestServer;
  let user: SeededUser;
  const extraPools: Array<{ destroy(): Promise<void> }> = [];

  beforeAll(async () => {
    database = await createTestDatabase();
    running = await startTestServer(database.db, database.url, withClients(RESOURCE_SERVER_CLIENT));
    user = await seedUser(running.server, running.config, { participantId: 'C00019', userId: 'TRADER01', email: 'trader01@example.com' }, running.clock);
  });
  afterAll(async () => {
    await running.close();
    for (const pool of extraPools) await pool.destroy();
    await database.drop();
  });

  async function discover() {
    return client.discovery(new URL(running.issuer), TERMINAL.clientId, undefined, client.ClientSecretBasic(TERMINAL.clientSecret), {
      execute: [client.allowInsecureRequests], // the test server is plain http on loopback
    });
  }

  it('logs in, refreshes across a provider restart, and logs out', async () => {
    const config = await discover();
    expect(config.serverMetadata().issuer).toBe(running.issuer);

    // 1. The relying party builds the authorization URL.
    const codeVerifier = client.randomPKCECodeVerifier();
    const nonce = client.randomNonce();
    const state = client.randomState();
    const authorizationUrl = client.buildAuthorizationUrl(config, {
      redirect_uri: TERMINAL.redirectUri,
      scope: 'openid profile email',
      code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
      nonce,
      state,
    });

    // 2. The user's browser logs in on the provider's form: password, then the authenticator code.
    const browser = new Browser();
    const loginPage = await browser.follow(authorizationUrl.toString());
    expect(loginPage.body).toContain('Log in to CCASS Terminal');
    const afterLogin = await passwordAndTotp(browser, loginPage, user);
    const callback = await browser.follow(new URL(afterLogin.headers.get('location') as string, afterLogin.url).toString(), {}, (next) =>
      next.toString().startsWith(TERMINAL.redirectUri),
    );

    // 3. The relying party exchanges the code; openid-client checks signature, iss, aud, nonce, state and PKCE.
    const tokens = await client.authorizationCodeGrant(config, new URL(callback.url), {
      pkceCodeVerifier: codeVerifier,
      expectedNonce: nonce,
      expectedState: state,
      idTokenExpected: true,
    });
    const claims = tokens.claims();
    expect(claims).toMatchObject({
      iss: running.issuer,
      aud: TERMINAL.clientId,
      sub: user.subject,
      participant_id: 'C00019',
      user_id: 'TRADER01',
      email: 'trader01@example.com',
      acr: ACR.twoFactor,
      amr: [AMR.password, AMR.oneTimePassword, AMR.multipleFactors, AMR.totp],
    });
    expect(tokens.refresh_token).toBeTruthy();
    const userinfo = await client.fetchUserInfo(config, tokens.access_token, user.subject);
    expect(userinfo).toMatchObject({ sub: user.subject, participant_id: 'C00019', user_id: 'TRADER01', name: 'User TRADER01' });

    // 4. "Restart": a new provider instance on a new connection pool; only PostgreSQL remembers the session.
    const freshPool = connectDatabase(database.url, { min: 0, max: 2 });
    extraPools.push(freshPool);
    await running.restart(freshPool);
    const rediscovered = await discover();
    const refreshed = await client.refreshTokenGrant(rediscovered, tokens.refresh_token as string);
    expect(refreshed.access_token).toBeTruthy();
    expect(refreshed.claims()).toMatchObject({ sub: user.subject, participant_id: 'C00019', acr: ACR.twoFactor, amr: expect.arrayContaining([AMR.totp]) });
    const introspection = await client.tokenIntrospection(rediscovered, refreshed.access_token);
    expect(introspection).toMatchObject({ active: true, sub: user.subject, client_id: TERMINAL.clientId });

    // 5. RP-initiated logout: the end-session URL, the confirmation form, the redirect back.
    const endSessionUrl = client.buildEndSessionUrl(rediscovered, {
      id_token_hint: refreshed.id_token ?? (tokens.id_token as string),
      post_logout_redirect_uri: TERMINAL.postLogoutRedirectUri,
      state: 'bye',
    });
    const confirm = await browser.follow(endSessionUrl.toString());
    expect(confirm.status).toBe(200);
    expect(confirm.body).toContain('Log out of CCASS Authentication?');
    const action = formAction(confirm.body, 'op.logoutForm');
    const loggedOut = await browser.follow(
      new URL(action, running.issuer).toString(),
      { form: { xsrf: inputValue(confirm.body, 'xsrf'), logout: 'yes' } },
      (next) => next.toString().startsWith(TERMINAL.postLogoutRedirectUri),
    );
    expect(new URL(loggedOut.url).searchParams.get('state')).toBe('bye');

    // The refresh token was bound to the session that just ended.
    await expect(client.refreshTokenGrant(rediscovered, refreshed.refresh_token ?? (tokens.refresh_token as string))).rejects.toMatchObject({
      error: 'invalid_grant',
    });
    // And the browser must log in again.
    const again = await browser.follow(authorizationUrl.toString());
    expect(again.body).toContain('Log in to CCASS Terminal');
  });

  /** Password, then the current authenticator code computed from the enrolled secret; returns the redirect. */
  async function passwordAndTotp(browser: Browser, loginPage: Page, who: SeededUser): Promise<Page> {
    const afterPassword = await browser.request(`${loginPage.url}/login`, {
      form: { csrf: inputValue(loginPage.body, 'csrf'), participantId: who.participantId, userId: who.userId, password: who.password },
    });
    const codePage = await browser.follow(new URL(afterPassword.headers.get('location') as string, afterPassword.url).toString());
    expect(codePage.body).toContain('Enter your one-time code');
    const code = rfc6238(who.totpSecret as Buffer, running.clock.now().getTime() / 1000);
    const afterCode = await browser.request(`${loginPage.url}/otp`, { form: { csrf: inputValue(codePage.body, 'csrf'), code } });
    running.clock.advance(30); // a code is accepted once: the next login uses the next time step
    return afterCode;
  }

  /** One login through the browser for `config`'s client; returns the token response. */
  async function logIn(config: client.Configuration, redirectUri: string, who: SeededUser = user) {
    const codeVerifier = client.randomPKCECodeVerifier();
    const nonce = client.randomNonce();
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri,
      scope: 'openid',
      code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
      nonce,
    });
    const browser = new Browser();
    const loginPage = await browser.follow(url.toString());
    const afterLogin = await passwordAndTotp(browser, loginPage, who);
    const callback = await browser.follow(new URL(afterLogin.headers.get('location') as string, afterLogin.url).toString(), {}, (next) =>
      next.toString().startsWith(redirectUri),
    );
    return client.authorizationCodeGrant(config, new URL(callback.url), { pkceCodeVerifier: codeVerifier, expectedNonce: nonce });
  }

  it('refuses a revoked refresh token', async () => {
    const config = await discover();
    const tokens = await logIn(config, TERMINAL.redirectUri);
    await client.tokenRevocation(config, tokens.refresh_token as string);
    await expect(client.refreshTokenGrant(config, tokens.refresh_token as string)).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  it('stops refreshing for a user who has been disabled', async () => {
    const config = await discover();
    const dormant = await seedUser(running.server, running.config, { participantId: 'C00019', userId: 'LEAVER' }, running.clock);
    const tokens = await logIn(config, TERMINAL.redirectUri, dormant);
    await setUserEnabled(running.server.queries, dormant, false, { name: 'test' });
    await expect(client.refreshTokenGrant(config, tokens.refresh_token as string)).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  it('serves a public client with PKCE alone, but does not let it introspect', async () => {
    const config = await client.discovery(new URL(running.issuer), PUBLIC_CLIENT.clientId, undefined, client.None(), {
      execute: [client.allowInsecureRequests],
    });
    const tokens = await logIn(config, PUBLIC_CLIENT.redirectUri);
    expect(tokens.claims()?.sub).toBe(user.subject);
    // Refused without revealing anything: the answer is "inactive", as for an unknown token ...
    expect(await client.tokenIntrospection(config, tokens.access_token)).toEqual({ active: false });
    // ... while a resource server learns that the same token is live.
    const api = await client.discovery(new URL(running.issuer), RESOURCE_SERVER.clientId, undefined, client.ClientSecretBasic(RESOURCE_SERVER.clientSecret), {
      execute: [client.allowInsecureRequests],
    });
    expect(await client.tokenIntrospection(api, tokens.access_token)).toMatchObject({ active: true, client_id: PUBLIC_CLIENT.clientId });
  });

  it('logs in a user whose second factor is an emailed code', async () => {
    const config = await discover();
    const emailUser = await seedUser(running.server, running.config, { participantId: 'C00019', userId: 'MAILER', email: 'mailer@example.com', secondFactor: 'email' }, running.clock);
    const codeVerifier = client.randomPKCECodeVerifier();
    const nonce = client.randomNonce();
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: TERMINAL.redirectUri,
      scope: 'openid email',
      code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
      nonce,
      acr_values: ACR.twoFactor,
    });
    const browser = new Browser();
    const loginPage = await browser.follow(url.toString());
    const afterPassword = await browser.request(`${loginPage.url}/login`, {
      form: { csrf: inputValue(loginPage.body, 'csrf'), participantId: emailUser.participantId, userId: emailUser.userId, password: emailUser.password },
    });
    const codePage = await browser.follow(new URL(afterPassword.headers.get('location') as string, afterPassword.url).toString());
    const code = codeIn(await running.mail.mailTo('mailer@example.com'));
    const afterCode = await browser.request(`${loginPage.url}/otp`, { form: { csrf: inputValue(codePage.body, 'csrf'), code } });
    const callback = await browser.follow(new URL(afterCode.headers.get('location') as string, afterCode.url).toString(), {}, (next) =>
      next.toString().startsWith(TERMINAL.redirectUri),
    );
    const tokens = await client.authorizationCodeGrant(config, new URL(callback.url), { pkceCodeVerifier: codeVerifier, expectedNonce: nonce });
    expect(tokens.claims()).toMatchObject({
      sub: emailUser.subject,
      email: 'mailer@example.com',
      acr: ACR.twoFactor,
      amr: [AMR.password, AMR.oneTimePassword, AMR.multipleFactors, AMR.email],
    });
  });

  it('refuses an authorization request for an authentication level it cannot provide', async () => {
    const config = await discover();
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: TERMINAL.redirectUri,
      scope: 'openid',
      code_challenge: await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier()),
      code_challenge_method: 'S256',
      acr_values: 'urn:example:unknown-level',
    });
    const browser = new Browser();
    const result = await browser.follow(url.toString(), {}, (next) => next.toString().startsWith(TERMINAL.redirectUri));
    const callback = new URL(result.url);
    expect(callback.searchParams.get('error')).toBe('invalid_request');
    expect(callback.searchParams.get('error_description')).toMatch(/acr_values/);
  });
});
