/**
 * The `claims` authorization request parameter (OIDC Core 5.5) over HTTP on real PostgreSQL:
 * a malformed one is refused with invalid_request and changes nothing; only claims this server
 * holds are returned, where they were asked for; a third-party client's user allows the
 * claims asked for by name on the consent page, in words and in their language; an essential
 * `acr` with values is a requirement exactly as `acr_values` is.
 */
import { decodeJwt } from 'jose';
import request from 'supertest';
import { ACR, AMR } from '../../src/oidc/assurance.js';
import { Browser, inputValue, type Page } from '../support/browser.js';
import type { TestDatabase } from '../support/database.js';
import { exchangeCode, followToCallback, passwordStep, startAuthorization, submitCode, type AuthorizationStart } from '../support/flows.js';
import { isKeyStep, postAssertion, requestOptionsIn } from '../support/key-login.js';
import { latinSentences } from '../support/latin-sentences.js';
import { seedUser, TERMINAL, THIRD_PARTY, useTestServer, type RunningTestServer, type SeededUser } from '../support/server.js';
import { giveKey, SoftAuthenticator } from '../support/soft-authenticator.js';
import { rfc6238 } from '../support/totp.js';

interface Client {
  clientId: string;
  clientSecret: string;
  redirectUri: string;
}

describe('the claims parameter', () => {
  let database: TestDatabase;
  let running: RunningTestServer;
  let user: SeededUser;
  let seq = 0;
  useTestServer((started) => ({ database, running } = started));
  beforeAll(async () => {
    user = await seedUser(running.server, running.config, { participantId: 'B01234', userId: 'CLAIMS', email: 'claims@example.com' }, running.clock);
  });

  const credentials = (who: SeededUser) => ({ participantId: who.participantId, userId: who.userId, password: who.password });
  const totpNow = (who: SeededUser) => rfc6238(who.totpSecret as Buffer, running.clock.now().getTime() / 1000);
  const claims = (value: unknown) => ({ claims: JSON.stringify(value) });

  /** An authorization request of `client` (scope openid), followed to the login page or back to the client. */
  async function authorize(extra: Record<string, string>, browser = new Browser(), client: Client = TERMINAL): Promise<AuthorizationStart> {
    return startAuthorization(running.issuer, { scope: 'openid', client_id: client.clientId, redirect_uri: client.redirectUri, ...extra }, browser);
  }

  /** Password and authenticator code; returns the answer to the code (a redirect onwards). */
  async function logIn(start: AuthorizationStart, who: SeededUser = user): Promise<Page> {
    const codePage = await passwordStep(start, credentials(who));
    const afterCode = await submitCode(start, codePage, totpNow(who));
    running.clock.advance(running.config.totp.period); // a code is accepted once
    expect(afterCode.status).toBe(303);
    return afterCode;
  }

  /** The code redeemed: the ID token's claims and what userinfo answers. */
  async function tokensFor(start: AuthorizationStart, callback: URL, client: Client = TERMINAL) {
    expect(callback.searchParams.get('code')).toBeTruthy();
    const tokens = await exchangeCode(running.http, start, callback, client);
    const userinfo = await request(running.http).get('/me').set('Authorization', `Bearer ${tokens.access_token}`).expect(200);
    return { idToken: decodeJwt(tokens.id_token), userinfo: userinfo.body as Record<string, unknown> };
  }

  describe('a malformed claims parameter', () => {
    const MALFORMED: Array<[string, string]> = [
      ['not JSON', '{"userinfo":'],
      ['not an object', '["name"]'],
      ['a string', '"name"'],
      ['neither userinfo nor id_token', '{"name":null}'],
      ['userinfo not an object', '{"userinfo":["name"]}'],
      ['id_token not an object', '{"id_token":"email"}'],
      ['a claim asked for by a string', '{"userinfo":{"name":"yes"}}'],
      ['essential not a boolean', '{"userinfo":{"name":{"essential":"true"}}}'],
      ['value an object', '{"id_token":{"email":{"value":{"a":1}}}}'],
      ['values not an array', '{"id_token":{"email":{"values":"a@example.com"}}}'],
      ['values empty', '{"id_token":{"email":{"values":[]}}}'],
      ['an acr value that is not a string', '{"id_token":{"acr":{"essential":true,"values":[2]}}}'],
    ];

    it('is refused with invalid_request on the redirect, with the state, and changes nothing in the session or its grant', async () => {
      const browser = new Browser();
      const first = await authorize({}, browser);
      await followToCallback(first, await logIn(first));
      const grants = () => database.db('oidc_payloads').where({ model: 'Grant' }).orderBy('id_hash').select('id_hash', 'payload', 'expires_at');
      const grantsBefore = await grants();
      expect(grantsBefore.length).toBeGreaterThan(0);
      for (const [what, value] of MALFORMED) {
        const refused = await authorize({ claims: value }, browser);
        const callback = new URL(refused.loginPage.url);
        expect({ what, callback: Object.fromEntries(callback.searchParams) }).toEqual({
          what,
          callback: expect.objectContaining({ error: 'invalid_request', state: refused.state, error_description: expect.stringMatching(/claims/) }),
        });
      }
      expect(await grants()).toEqual(grantsBefore);
      // Still logged in, and the grant gained nothing: a silent request gets a code whose tokens have no name.
      const silent = await authorize({ prompt: 'none' }, browser);
      const { idToken, userinfo } = await tokensFor(silent, new URL(silent.loginPage.url));
      expect(idToken).not.toHaveProperty('name');
      expect(userinfo).not.toHaveProperty('name');
    });

    it('members it does not know are ignored (OIDC Core 5.5, 5.5.1), not refused', async () => {
      const browser = new Browser();
      const start = await authorize(claims({ userinfo: { name: { essential: true, purpose: 'to greet you' } }, verified_claims: { anything: 1 } }), browser);
      const { userinfo } = await tokensFor(start, await followToCallback(start, await logIn(start)));
      expect(userinfo['name']).toBe('User CLAIMS');
    });
  });

  it('returns only claims this server holds, where they were asked for, with scope openid only', async () => {
    const start = await authorize(
      claims({
        userinfo: { name: null, phone_number: { essential: true }, address: null },
        id_token: { email: { essential: true }, birthdate: null, locale: null },
      }),
    );
    const { idToken, userinfo } = await tokensFor(start, await followToCallback(start, await logIn(start)));
    expect(idToken).toMatchObject({ email: 'claims@example.com', participant_id: 'B01234', user_id: 'CLAIMS' });
    expect(idToken).not.toHaveProperty('name');
    expect(userinfo).toMatchObject({ sub: user.subject, name: 'User CLAIMS' });
    for (const unheld of ['phone_number', 'address', 'birthdate', 'locale']) {
      expect(idToken).not.toHaveProperty(unheld);
      expect(userinfo).not.toHaveProperty(unheld);
    }
  });

  describe('a third-party client', () => {
    const chinese = () => new Browser({}, { 'accept-language': 'zh-HK,zh;q=0.9,en;q=0.5' });
    const follow = (browser: Browser, from: Page) => browser.follow(new URL(from.headers.get('location') as string, from.url).toString());
    const asked = (page: Page) => [...page.body.matchAll(/<li>([^<]*)<\/li>/g)].map(([, line]) => (line as string).trim());

    it('asks consent for the claims asked for by name, in words and in the reader’s language; consent grants them', async () => {
      seq += 1;
      const who = await seedUser(running.server, running.config, { participantId: 'B01234', userId: `THIRD${seq}`, email: `third${seq}@example.com` }, running.clock);
      const start = await authorize(claims({ userinfo: { name: { essential: true }, phone_number: null }, id_token: { email: null, acr: null } }), chinese(), THIRD_PARTY);
      const consent = await follow(start.browser, await logIn(start, who));
      expect(consent.status).toBe(200);
      expect(consent.body).toContain('<html lang="zh-Hant-HK">');
      // The scope's line, then one per claim held and asked for: no claim names, no English sentence.
      expect(asked(consent)).toEqual(['您的參與者編號及用戶編號，以及您的登入方式', '您的姓名', '您的指定電郵地址']);
      expect(latinSentences(consent.body, ['CCASS', 'HKSCC', THIRD_PARTY.clientId])).toEqual([]);
      expect(consent.body).not.toMatch(/\b(name|email|phone_number|acr)\b(?![^<]*>)/);

      const confirmed = await start.browser.request(`${consent.url}/confirm`, { form: { csrf: inputValue(consent.body, 'csrf') } });
      expect(confirmed.status).toBe(303);
      const callback = await followToCallback(start, confirmed, THIRD_PARTY.redirectUri);
      const { idToken, userinfo } = await tokensFor(start, callback, THIRD_PARTY);
      expect(idToken).toMatchObject({ sub: who.subject, email: `third${seq}@example.com` });
      expect(idToken).not.toHaveProperty('name');
      expect(userinfo).toMatchObject({ name: `User THIRD${seq}` });
      expect(userinfo).not.toHaveProperty('email');

      // Granted, claim by claim: asked again (now in the ID token), no consent page.
      const again = await authorize(claims({ id_token: { name: null } }), start.browser, THIRD_PARTY);
      expect(again.loginPage.url.startsWith(THIRD_PARTY.redirectUri)).toBe(true);
      expect((await tokensFor(again, new URL(again.loginPage.url), THIRD_PARTY)).idToken).toMatchObject({ name: `User THIRD${seq}` });
    });

    it('does not list a claim twice when a scope on the page gives it; a claim not yet allowed is asked for alone', async () => {
      seq += 1;
      const who = await seedUser(running.server, running.config, { participantId: 'B01234', userId: `THIRD${seq}`, email: `third${seq}@example.com` }, running.clock);
      const start = await authorize({ scope: 'openid profile', ...claims({ userinfo: { name: { essential: true }, user_id: null } }) }, new Browser(), THIRD_PARTY);
      const consent = await follow(start.browser, await logIn(start, who));
      expect(asked(consent)).toEqual(['your participant ID and user ID, and how you logged in', 'your name']);
      const confirmed = await start.browser.request(`${consent.url}/confirm`, { form: { csrf: inputValue(consent.body, 'csrf') } });
      await tokensFor(start, await followToCallback(start, confirmed, THIRD_PARTY.redirectUri), THIRD_PARTY);

      const more = await authorize({ scope: 'openid profile', ...claims({ userinfo: { name: null, email: { essential: true } } }) }, start.browser, THIRD_PARTY);
      expect(more.loginPage.status).toBe(200);
      expect(asked(more.loginPage)).toEqual(['your designated email address']);
      // Cancelled: the client learns access_denied, and the email stays ungranted.
      const cancelled = await start.browser.follow(`${more.interactionUrl}/abort`, { form: { csrf: inputValue(more.loginPage.body, 'csrf') } }, (next) =>
        next.toString().startsWith(THIRD_PARTY.redirectUri),
      );
      expect(new URL(cancelled.url).searchParams.get('error')).toBe('access_denied');
      expect((await authorize(claims({ userinfo: { email: null } }), start.browser, THIRD_PARTY)).loginPage.status).toBe(200);
    });
  });

  describe('an essential acr with values: a requirement, as acr_values is', () => {
    it('refuses values none of which is offered, as it refuses such acr_values', async () => {
      for (const extra of [claims({ id_token: { acr: { essential: true, values: ['urn:example:unknown-level'] } } }), { acr_values: 'urn:example:unknown-level' }]) {
        const start = await authorize(extra);
        const callback = new URL(start.loginPage.url);
        expect(callback.toString().startsWith(TERMINAL.redirectUri)).toBe(true);
        expect(callback.searchParams.get('error')).toBe('invalid_request');
        expect(callback.searchParams.get('error_description')).toMatch(/acr_values/);
      }
      // Not essential, it is a wish (OIDC Core 5.5.1.1): no refusal, the login page.
      const voluntary = await authorize(claims({ id_token: { acr: { values: ['urn:example:unknown-level'] } } }));
      expect(voluntary.loginPage.status).toBe(200);
    });

    it('meets the 2FA level with a 2FA login; over that session asks phr of a key login (prompt=none: login_required)', async () => {
      seq += 1;
      const who = await seedUser(running.server, running.config, { participantId: 'B01234', userId: `KEYED${seq}` }, running.clock);
      const key = new SoftAuthenticator({ rpId: new URL(running.issuer).hostname, origin: new URL(running.issuer).origin });
      await giveKey(running.server.queries, who.subject, key);
      const essential = (value: string) => claims({ id_token: { acr: { essential: true, values: [value] } } });
      const browser = new Browser();

      // A session at 2FA: password, then "use a code instead" of the key.
      const first = await authorize(essential(ACR.twoFactor), browser);
      const keyPage = await passwordStep(first, credentials(who));
      expect(isKeyStep(keyPage)).toBe(true);
      await browser.request(`${first.interactionUrl}/another-way`, { form: { csrf: inputValue(keyPage.body, 'csrf'), way: 'totp' } });
      const codePage = await browser.follow(first.interactionUrl);
      const afterCode = await submitCode(first, codePage, totpNow(who));
      running.clock.advance(running.config.totp.period);
      expect((await tokensFor(first, await followToCallback(first, afterCode))).idToken['acr']).toBe(ACR.twoFactor);

      // 2FA again: met by the session, no login page.
      const again = await authorize(essential(ACR.twoFactor), browser);
      expect(new URL(again.loginPage.url).searchParams.get('code')).toBeTruthy();

      // phr: not met silently, and the login again, with the key.
      const silent = await authorize({ prompt: 'none', ...essential(ACR.phishingResistant) }, browser);
      expect(new URL(silent.loginPage.url).searchParams.get('error')).toBe('login_required');
      const stepUp = await authorize(essential(ACR.phishingResistant), browser);
      expect(stepUp.loginPage.status).toBe(200);
      const stepUpKey = await passwordStep(stepUp, credentials(who));
      expect(isKeyStep(stepUpKey)).toBe(true);
      // Only the key: no way to a code instead.
      expect(stepUpKey.body).not.toMatch(/name="way" value="(totp|email|recovery)"/);
      const afterKey = await postAssertion(stepUp, stepUpKey, key.assert(requestOptionsIn(stepUpKey)));
      expect(afterKey.status).toBe(303);
      const { idToken } = await tokensFor(stepUp, await followToCallback(stepUp, afterKey));
      expect(idToken['acr']).toBe(ACR.phishingResistant);
      expect(idToken['amr']).toEqual(expect.arrayContaining([AMR.hardwareKey]));
    });
  });

  it('discovery says claims_parameter_supported', async () => {
    const response = await request(running.http).get('/.well-known/openid-configuration').expect(200);
    expect(response.body).toMatchObject({ claims_parameter_supported: true, request_uri_parameter_supported: false });
    expect(response.body).not.toHaveProperty('request_object_signing_alg_values_supported');
  });
});
