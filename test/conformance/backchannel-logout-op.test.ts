/**
 * The conformance suite's Back-Channel Logout OP plan
 * (oidcc-backchannel-rp-initiated-logout-certification-test-plan): CCASS Terminal registers a
 * backchannel_logout_uri (a receiver in this test); ending its user's session — by
 * RP-initiated logout, or by a DA or operator shutting the user out — POSTs it a logout token
 * that the receiver verifies as the suite does, against the provider's JWKS.
 */
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as client from 'openid-client';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { Browser, formAction, inputValue } from '../support/browser.js';
import { authorizationRequest, authorize, discoverTerminal, followFrom, logInOnPage, navigate, silentAuthorization } from '../support/conformance.js';
import { seedDa, signInToDms } from '../support/dms.js';
import { PUBLIC_CLIENT, seedUser, TERMINAL, useTestServer, type RunningTestServer } from '../support/server.js';
import { setUserEnabled } from '../../src/directory/users.js';
import type { ChildProcess } from 'node:child_process';
import { EXAMPLE_TERMINAL, startExampleRelyingParty } from '../support/example-rp.js';
import { freePort } from '../support/ports.js';
import type { TestDatabase } from '../support/database.js';
import { backchannelLogoutJobId } from '../../src/oidc/backchannel-logout.js';

/** A relying party's back-channel endpoint: records every POST; answers 503 while `down`. */
class Receiver {
  readonly tokens: string[] = [];
  refused = 0;
  down = false;
  private server: HttpServer | undefined;
  uri = '';

  async start(): Promise<void> {
    this.server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        if (this.down) {
          this.refused += 1;
          response.writeHead(503).end();
          return;
        }
        const token = new URLSearchParams(body).get('logout_token');
        if (request.method === 'POST' && request.headers['content-type'] === 'application/x-www-form-urlencoded' && token) this.tokens.push(token);
        response.writeHead(token ? 200 : 400, { 'cache-control': 'no-store' }).end();
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.uri = `http://127.0.0.1:${(this.server?.address() as AddressInfo).port}/backchannel-logout`;
  }

  async stop(): Promise<void> {
    await new Promise((resolve) => this.server?.close(resolve));
  }

  /** Waits for the `count`th logout token. */
  async token(count: number, timeoutMs = 15_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (this.tokens.length < count) {
      if (Date.now() > deadline) throw new Error(`logout token ${count} not received (${this.tokens.length} so far)`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return this.tokens[count - 1] as string;
  }
}

describe('Back-Channel Logout OP plan', () => {
  const receiver = new Receiver();
  let running: RunningTestServer;
  let database: TestDatabase;
  let config: client.Configuration;
  let examplePort = 0;
  let example: ChildProcess | undefined;
  const exampleOrigin = () => `http://localhost:${examplePort}`;
  beforeAll(async () => {
    await receiver.start();
    examplePort = await freePort();
  });
  afterAll(async () => {
    example?.kill();
    await receiver.stop();
  });
  useTestServer(
    (started) => ({ running, database } = started),
    () => ({
      jobs: { pollingIntervalSeconds: 0.5, monitorIntervalSeconds: 1 },
      oidc: {
        clients: [
          {
            client_id: TERMINAL.clientId,
            client_name: 'CCASS Terminal',
            client_secret: TERMINAL.clientSecret,
            redirect_uris: [TERMINAL.redirectUri],
            post_logout_redirect_uris: [TERMINAL.postLogoutRedirectUri],
            first_party: true,
            backchannel_logout_uri: receiver.uri,
          },
          { client_id: PUBLIC_CLIENT.clientId, redirect_uris: [PUBLIC_CLIENT.redirectUri], first_party: true },
          {
            client_id: EXAMPLE_TERMINAL.clientId,
            client_secret: EXAMPLE_TERMINAL.clientSecret,
            redirect_uris: [`${exampleOrigin()}/callback`],
            post_logout_redirect_uris: [`${exampleOrigin()}/`],
            first_party: true,
            backchannel_logout_uri: `${exampleOrigin()}/backchannel-logout`,
          },
        ],
      },
    }),
  );
  beforeAll(async () => {
    config = await discoverTerminal(running);
  });

  /** Verifies a logout token as Back-Channel Logout 1.0 §2.6 says a relying party must. */
  async function verifiedLogoutToken(token: string, expected: { sub: string; sid: unknown }) {
    const metadata = config.serverMetadata();
    const { payload, protectedHeader } = await jwtVerify(token, createRemoteJWKSet(new URL(metadata.jwks_uri as string)), {
      issuer: running.issuer,
      audience: TERMINAL.clientId,
      typ: 'logout+jwt',
      requiredClaims: ['iat', 'jti', 'events', 'sub', 'sid'],
    });
    expect(protectedHeader.alg).not.toBe('none');
    expect(payload.events).toEqual({ 'http://schemas.openid.net/event/backchannel-logout': {} });
    expect(payload).not.toHaveProperty('nonce');
    expect(payload.sub).toBe(expected.sub);
    expect(payload.sid).toBe(expected.sid);
    return payload;
  }

  async function loggedIn(who: { participantId: string; userId: string }) {
    const user = await seedUser(running.server, running.config, who, running.clock);
    const browser = new Browser();
    const tokens = await authorize(running, config, browser, user);
    const sid = tokens.claims()?.['sid'];
    expect(typeof sid).toBe('string'); // §2.1: the ID tokens of a client that requires it carry sid
    return { user, browser, idToken: tokens.id_token as string, sid };
  }

  async function logOut(browser: Browser, idToken: string): Promise<void> {
    const confirmation = await navigate(browser, client.buildEndSessionUrl(config, { id_token_hint: idToken, post_logout_redirect_uri: TERMINAL.postLogoutRedirectUri }));
    const action = new URL(formAction(confirmation.body, 'op.logoutForm'), running.issuer);
    const answer = await browser.request(action.toString(), { form: { xsrf: inputValue(confirmation.body, 'xsrf'), logout: 'yes' } });
    await followFrom(browser, answer, TERMINAL.postLogoutRedirectUri);
  }

  it('oidcc-backchannel-logout-discovery-endpoint-verification: discovery says back-channel logout with sid is supported', () => {
    const metadata = config.serverMetadata();
    expect(metadata['backchannel_logout_supported']).toBe(true);
    expect(metadata['backchannel_logout_session_supported']).toBe(true);
  });

  it('oidcc-backchannel-rp-initiated-logout: RP-initiated logout sends the client a valid logout token for its session', async () => {
    const { user, browser, idToken, sid } = await loggedIn({ participantId: 'B01234', userId: 'LOGOUT1' });
    const before = receiver.tokens.length;
    await logOut(browser, idToken);
    await verifiedLogoutToken(await receiver.token(before + 1), { sub: user.subject, sid });
    // Once per cause: nothing more arrives for it.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(receiver.tokens.length).toBe(before + 1);
  });

  it('sends the logout token when a DA locks the user, and when an operator disables one', async () => {
    const da = await seedDa(running, 'B01234', 'DA1');
    const dms = await signInToDms(running, da);
    const locked = await loggedIn({ participantId: 'B01234', userId: 'LOCKED1' });
    const before = receiver.tokens.length;
    expect((await dms.api('POST', `/dms/api/users/${locked.user.userId}/lock`)).status).toBeLessThan(300);
    await verifiedLogoutToken(await receiver.token(before + 1), { sub: locked.user.subject, sid: locked.sid });

    const disabled = await loggedIn({ participantId: 'B01234', userId: 'LEAVER1' });
    await setUserEnabled(running.server.queries, disabled.user, false, { name: 'operator' });
    await verifiedLogoutToken(await receiver.token(before + 2), { sub: disabled.user.subject, sid: disabled.sid });
  });

  it('sends the logout token when the user ends that session from the security page', async () => {
    const { user, sid } = await loggedIn({ participantId: 'B01234', userId: 'ENDER1' });
    const before = receiver.tokens.length;
    // What the security page's "end this session" calls (src/account/security-page.ts endOtherSession).
    const [session] = await running.server.queries.userAccess.sessionsOf({ id: user.subject, participant_id: user.participantId, user_id: user.userId });
    expect(await running.server.queries.userAccess.endOidcSession(user.subject, session?.uid as string)).toMatchObject({ Session: 1 });
    await verifiedLogoutToken(await receiver.token(before + 1), { sub: user.subject, sid });
  });

  it('a refresh token that outlived its session (offline_access) still names its login: a DA lock sends that sid', async () => {
    const user = await seedUser(running.server, running.config, { participantId: 'B01234', userId: 'OFFLINE1' }, running.clock);
    // OIDC Core 11: offline_access is granted with prompt=consent, on the consent page.
    const browser = new Browser();
    const request = await authorizationRequest(config, { scope: 'openid offline_access', prompt: 'consent' });
    const consentPage = await followFrom(browser, await logInOnPage(running, browser, await followFrom(browser, await navigate(browser, request.url)), user));
    const callback = await followFrom(browser, await browser.request(new URL(formAction(consentPage.body), running.issuer).toString(), { form: { csrf: inputValue(consentPage.body, 'csrf') } }));
    const tokens = await client.authorizationCodeGrant(config, new URL(callback.url), { pkceCodeVerifier: request.verifier, expectedNonce: request.nonce, expectedState: request.state });
    const sid = tokens.claims()?.['sid'];
    expect(tokens.scope?.split(' ')).toContain('offline_access');
    // The provider session times out (what the purge does with an expired one); the relying party goes on refreshing.
    await database.db('oidc_payloads').where({ model: 'Session', account_id: user.subject }).delete();
    await database.db('pgboss.job').where({ name: 'backchannel_logout' }).delete(); // nothing announced so far would hide the next
    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token as string);
    const before = receiver.tokens.length;
    const dms = await signInToDms(running, await seedDa(running, 'B01234', 'DA4'));
    expect((await dms.api('POST', `/dms/api/users/${user.userId}/lock`)).status).toBeLessThan(300);
    await verifiedLogoutToken(await receiver.token(before + 1), { sub: user.subject, sid });
    await expect(client.refreshTokenGrant(config, refreshed.refresh_token as string)).rejects.toMatchObject({ error: 'invalid_grant' });
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(receiver.tokens.length).toBe(before + 1); // the access and refresh tokens of one login: one logout token
  });

  /** Logs out while the relying party's endpoint refuses, and waits for a first refused delivery; returns the tokens received before. */
  async function logOutWhileReceiverIsDown(browser: Browser, idToken: string): Promise<number> {
    const before = receiver.tokens.length;
    receiver.down = true;
    receiver.refused = 0;
    await logOut(browser, idToken);
    const deadline = Date.now() + 10_000;
    while (receiver.refused < 1 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(receiver.refused).toBeGreaterThanOrEqual(1);
    return before;
  }

  /**
   * Makes PostgreSQL refuse, for the duration of `during`, deleting one account's provider
   * session (`target: 'session'`), its grants and tokens (`grant`: what oidc-provider revokes
   * between asking for the logout tokens and ending the session) or creating a back-channel
   * logout job (`target: 'job'`) —
   * a statement failing, as a node dying would, between what oidc-provider asks for first
   * (the logout tokens) and what it does last (ending the session).
   */
  async function refusing<T>(target: 'session' | 'grant' | 'job', accountId: string, during: () => Promise<T>): Promise<T> {
    const [table, condition] = {
      session: ['oidc_payloads', `old.model = 'Session' and old.account_id = '${accountId}'`],
      grant: ['oidc_payloads', `old.model <> 'Session' and old.account_id = '${accountId}'`],
      job: ['pgboss.job', `new.name = 'backchannel_logout' and new.data->>'sub' = '${accountId}'`],
    }[target];
    const row = target === 'job' ? 'new' : 'old';
    await database.db.raw(`create function pg_temp_refuse() returns trigger language plpgsql as $$
      begin if ${condition} then raise exception 'refused by the test'; end if; return ${row}; end $$`);
    await database.db.raw(`create trigger refuse_in_test before ${target === 'job' ? 'insert' : 'delete'} on ${table} for each row execute function pg_temp_refuse()`);
    try {
      return await during();
    } finally {
      await database.db.raw(`drop trigger refuse_in_test on ${table}`);
      await database.db.raw('drop function pg_temp_refuse()');
    }
  }

  /** Whether a back-channel logout job exists for (client, sid), in any state. */
  async function logoutJobFor(sid: unknown, sub: string): Promise<boolean> {
    const id = backchannelLogoutJobId({ clientId: TERMINAL.clientId, sub, sid: sid as string });
    return (await database.db('pgboss.job').where({ name: 'backchannel_logout', id }).first('id')) !== undefined;
  }

  it('a logout whose session could not be ended sends no logout token: the token commits with the ending', async () => {
    const { user, browser, idToken, sid } = await loggedIn({ participantId: 'B01234', userId: 'ATOMIC1' });
    const before = receiver.tokens.length;
    const confirmation = await navigate(browser, client.buildEndSessionUrl(config, { id_token_hint: idToken, post_logout_redirect_uri: TERMINAL.postLogoutRedirectUri }));
    const action = new URL(formAction(confirmation.body, 'op.logoutForm'), running.issuer);
    const failed = await refusing('session', user.subject, () => browser.request(action.toString(), { form: { xsrf: inputValue(confirmation.body, 'xsrf'), logout: 'yes' } }));
    expect(failed.status).toBeGreaterThanOrEqual(500);
    expect(failed.headers.get('location')).toBeNull();
    expect(await logoutJobFor(sid, user.subject)).toBe(false);
    // The session lives on: the relying party, told nothing, is right.
    expect((await silentAuthorization(browser, config)).callback?.get('code')).toBeTruthy();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(receiver.tokens.length).toBe(before);
    // Tried again, it ends the session and sends the token, once.
    await logOut(browser, idToken);
    await verifiedLogoutToken(await receiver.token(before + 1), { sub: user.subject, sid });
    expect(await logoutJobFor(sid, user.subject)).toBe(true);
  });

  it('a logout that fails before it reaches the session (revoking its grants) sends no logout token either', async () => {
    const { user, browser, idToken, sid } = await loggedIn({ participantId: 'B01234', userId: 'ATOMIC3' });
    const confirmation = await navigate(browser, client.buildEndSessionUrl(config, { id_token_hint: idToken, post_logout_redirect_uri: TERMINAL.postLogoutRedirectUri }));
    const action = new URL(formAction(confirmation.body, 'op.logoutForm'), running.issuer);
    const failed = await refusing('grant', user.subject, () => browser.request(action.toString(), { form: { xsrf: inputValue(confirmation.body, 'xsrf'), logout: 'yes' } }));
    expect(failed.status).toBeGreaterThanOrEqual(500);
    expect(await logoutJobFor(sid, user.subject)).toBe(false);
    expect((await silentAuthorization(browser, config)).callback?.get('code')).toBeTruthy();
  });

  it('"No, stay logged in" ends the session of the asking client only: that client gets its logout token, the login goes on', async () => {
    const { user, browser, idToken, sid } = await loggedIn({ participantId: 'B01234', userId: 'STAYER1' });
    const before = receiver.tokens.length;
    const confirmation = await navigate(browser, client.buildEndSessionUrl(config, { id_token_hint: idToken, post_logout_redirect_uri: TERMINAL.postLogoutRedirectUri }));
    const action = new URL(formAction(confirmation.body, 'op.logoutForm'), running.issuer);
    await followFrom(browser, await browser.request(action.toString(), { form: { xsrf: inputValue(confirmation.body, 'xsrf') } }), TERMINAL.postLogoutRedirectUri);
    await verifiedLogoutToken(await receiver.token(before + 1), { sub: user.subject, sid });
    const sessions = await running.server.queries.userAccess.sessionsOf({ id: user.subject, participant_id: user.participantId, user_id: user.userId });
    expect(sessions.map((session) => session.clientIds)).toEqual([[]]);
  });

  it('a logout whose logout token could not be queued does not end the session (never a silent end)', async () => {
    const { user, browser, idToken, sid } = await loggedIn({ participantId: 'B01234', userId: 'ATOMIC2' });
    const confirmation = await navigate(browser, client.buildEndSessionUrl(config, { id_token_hint: idToken, post_logout_redirect_uri: TERMINAL.postLogoutRedirectUri }));
    const action = new URL(formAction(confirmation.body, 'op.logoutForm'), running.issuer);
    const failed = await refusing('job', user.subject, () => browser.request(action.toString(), { form: { xsrf: inputValue(confirmation.body, 'xsrf'), logout: 'yes' } }));
    expect(failed.status).toBeGreaterThanOrEqual(500);
    expect(failed.headers.get('location')).toBeNull();
    expect(await logoutJobFor(sid, user.subject)).toBe(false);
    const sessions = await running.server.queries.userAccess.sessionsOf({ id: user.subject, participant_id: user.participantId, user_id: user.userId });
    expect(sessions.map((session) => session.clientIds)).toEqual([[TERMINAL.clientId]]);
  });

  it('retries a logout token until the relying party is back', async () => {
    const { user, browser, idToken, sid } = await loggedIn({ participantId: 'B01234', userId: 'RETRY1' });
    const before = await logOutWhileReceiverIsDown(browser, idToken);
    receiver.down = false;
    await verifiedLogoutToken(await receiver.token(before + 1, 20_000), { sub: user.subject, sid });
  });

  it('sends nothing to a client without a backchannel_logout_uri', async () => {
    // The DA's provider session is DMS's (ccass-dms registers no back-channel URI).
    const da = await seedDa(running, 'B01234', 'DA2');
    await signInToDms(running, da);
    const before = receiver.tokens.length;
    await setUserEnabled(running.server.queries, da, false, { name: 'operator' });
    const depth = (await running.server.queries.jobs.depth()).find((row) => row.queue === 'backchannel_logout');
    expect((depth?.queued ?? 0) + (depth?.active ?? 0)).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(receiver.tokens.length).toBe(before);
  });

  it('the example relying party ends its session when a DA locks its user', async () => {
    example = await startExampleRelyingParty(running.issuer, examplePort, EXAMPLE_TERMINAL);
    const user = await seedUser(running.server, running.config, { participantId: 'B01234', userId: 'EXAMPLE1' }, running.clock);
    const browser = new Browser();
    const loginPage = await browser.follow(`${exampleOrigin()}/login`);
    const afterCode = await logInOnPage(running, browser, loginPage, user);
    const home = await browser.follow(new URL(afterCode.headers.get('location') as string, afterCode.url).toString());
    expect(home.body).toContain('Logged in to CCASS Terminal');

    const dms = await signInToDms(running, await seedDa(running, 'B01234', 'DA3'));
    expect((await dms.api('POST', `/dms/api/users/${user.userId}/lock`)).status).toBeLessThan(300);
    const deadline = Date.now() + 15_000;
    let page = await browser.follow(`${exampleOrigin()}/`);
    while (page.body.includes('Logged in to CCASS Terminal') && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      page = await browser.follow(`${exampleOrigin()}/`);
    }
    expect(page.body).toContain('Log in');
    expect(page.body).not.toContain('Logged in to CCASS Terminal');
  });

  it('keeps a logout token that is still being retried when the node stops, and the next node sends it', async () => {
    const { user, browser, idToken, sid } = await loggedIn({ participantId: 'B01234', userId: 'RESTART1' });
    const before = await logOutWhileReceiverIsDown(browser, idToken);
    await running.restart(); // the job is in PostgreSQL, not in the node that tried it
    receiver.down = false;
    await verifiedLogoutToken(await receiver.token(before + 1, 20_000), { sub: user.subject, sid });
  });
});
