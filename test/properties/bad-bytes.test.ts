/**
 * Bad bytes — a NUL, bytes that are not UTF-8, a lone UTF-16 surrogate — in every parameter
 * of every endpoint, oidc-provider's included, each inside a request that is otherwise valid
 * (so the bytes get as far as they can): a 4xx every time, never a 5xx, never a success, and
 * the database as it was. Found by an independent check: a NUL in `state` of a valid /auth
 * request reached PostgreSQL's JSON and answered 500.
 */
import fc from 'fast-check';
import { Browser, inputValue } from '../support/browser.js';
import { type TestDatabase } from '../support/database.js';
import { seedDa, signInToDms, type DmsSession } from '../support/dms.js';
import { pkcePair, startAuthorization, type AuthorizationStart } from '../support/flows.js';
import { seedUser, TERMINAL, type RunningTestServer, useTestServer } from '../support/server.js';
import { databaseFingerprint } from '../support/snapshot.js';
import { refusedAndUnchanged as refusedAndUnchangedIn, SEEN_AT_IGNORED, sendAs } from '../support/refusals.js';

const IGNORED = SEEN_AT_IGNORED;
const RUNS = { numRuns: 25 };

/** Percent-encoded bad bytes: NUL, an encoded surrogate, overlong and truncated sequences, stray continuation bytes. */
const BAD_ESCAPES = ['%00', '%ED%A0%80', '%ED%BF%BF', '%C0%80', '%FF', '%FE', '%C3%28', '%E0%A4%A', '%E2%82', '%F0%28%8C%BC', '%80', '%F8%88%80%80%80'];
/** An encoded value with bad bytes somewhere in ordinary text. */
const badValue = fc
  .tuple(fc.string({ maxLength: 12 }), fc.constantFrom(...BAD_ESCAPES), fc.string({ maxLength: 12 }))
  // The 'z' keeps a truncated sequence truncated: text after it might otherwise complete it (%E0%A4 then "%Ab").
  .map(([before, bad, after]) => `${encodeURIComponent(before)}${bad}z${encodeURIComponent(after)}`);
/** Lone surrogates as JSON escapes: valid JSON text, not storable text. */
const loneSurrogate = fc.constantFrom('\\ud800', '\\udfff', 'a\\udc00b', '\\ud83d', 'x\\u0000y');

/** A query string with `name` set to an already-encoded value and the rest encoded normally. */
function encodedQuery(params: Record<string, string>, name: string, encodedValue: string): string {
  const rest = new URLSearchParams(Object.entries(params).filter(([key]) => key !== name)).toString();
  return `${rest}${rest ? '&' : ''}${encodeURIComponent(name)}=${encodedValue}`;
}

describe('bad bytes in every parameter, on every endpoint', () => {
  let database: TestDatabase;
  let running: RunningTestServer;
  let start: AuthorizationStart;
  let dms: DmsSession;

  useTestServer((started) => ({ database, running } = started));
  beforeAll(async () => {
    await seedUser(running.server, running.config, { participantId: 'B80009', userId: 'TARGET', email: 'target@example.com' }, running.clock);
    dms = await signInToDms(running, await seedDa(running, 'B80009', 'ADMIN'));
    start = await startAuthorization(running.issuer);
  }, 30_000);

  const send = (browser: Browser, method: string, pathAndQuery: string, body?: string | Buffer, contentType?: string, extra?: Record<string, string>) =>
    sendAs(browser, running.issuer, method, pathAndQuery, body, contentType, extra);
  const refusedAndUnchanged = <T>(arbitrary: fc.Arbitrary<T>, request: (input: T) => Promise<{ status: number }>) => refusedAndUnchangedIn(database.db, arbitrary, request, { runs: RUNS.numRuns });

  const validAuthorization = () => {
    const { challenge } = pkcePair();
    return {
      client_id: TERMINAL.clientId,
      response_type: 'code',
      scope: 'openid profile',
      redirect_uri: TERMINAL.redirectUri,
      code_challenge: challenge,
      code_challenge_method: 'S256',
      state: 'abc',
      nonce: 'def',
    };
  };
  const AUTHORIZATION_PARAMETERS = ['state', 'nonce', 'login_hint', 'ui_locales', 'claims_locales', 'acr_values', 'prompt', 'max_age', 'scope', 'redirect_uri', 'client_id', 'code_challenge', 'response_mode', 'id_token_hint', 'claims', 'display'];

  describe('oidc-provider', () => {
    it.each(AUTHORIZATION_PARAMETERS)('GET /auth: a valid request with bad bytes in %s gets a 400 and changes nothing', async (name) => {
      await refusedAndUnchanged(badValue, (value) => send(new Browser(), 'GET', `/auth?${encodedQuery(validAuthorization(), name, value)}`));
    });

    it('GET /auth: the examples from the independent check get a 400 page, not a 500', async () => {
      for (const name of ['state', 'nonce', 'login_hint', 'ui_locales', 'claims_locales']) {
        const page = await send(new Browser(), 'GET', `/auth?${encodedQuery(validAuthorization(), name, '%00')}`);
        expect({ name, status: page.status }).toEqual({ name, status: 400 });
        expect(page.type).toContain('text/html');
      }
    });

    it.each(['state', 'post_logout_redirect_uri', 'client_id', 'id_token_hint', 'ui_locales', 'logout_hint'])('GET /session/end: bad bytes in %s get a 400 and change nothing', async (name) => {
      await refusedAndUnchanged(badValue, (value) => send(new Browser(), 'GET', `/session/end?${encodedQuery({ client_id: TERMINAL.clientId }, name, value)}`));
    });

    it.each([
      ['/token', { grant_type: 'authorization_code', code: 'x', redirect_uri: TERMINAL.redirectUri, code_verifier: 'v'.repeat(43) }],
      ['/token', { grant_type: 'refresh_token', refresh_token: 'x', scope: 'openid' }],
      ['/token/introspection', { token: 'x', token_type_hint: 'access_token' }],
      ['/token/revocation', { token: 'x', token_type_hint: 'refresh_token' }],
    ] as const)('POST %s: bad bytes in the query get a 400 OAuth error, in any body field a 4xx or nothing found, and nothing changes', async (path, fields) => {
      // The query is checked at the door; oidc-provider reads its bodies itself, where bad bytes
      // can only fail a lookup (ids are hashed) and are refused before anything is stored.
      const basic = `Basic ${Buffer.from(`${TERMINAL.clientId}:${TERMINAL.clientSecret}`).toString('base64')}`;
      const names = Object.keys(fields);
      await refusedAndUnchanged(fc.tuple(fc.constantFrom(...names), badValue, fc.boolean()), async ([name, value, inQuery]) => {
        const body = inQuery ? new URLSearchParams(fields).toString() : encodedQuery(fields, name, value);
        const response = await send(new Browser(), 'POST', inQuery ? `${path}?${encodeURIComponent(name)}=${value}` : path, body, 'application/x-www-form-urlencoded', { authorization: basic, accept: 'application/json' });
        if (inQuery) {
          expect({ status: response.status, body: JSON.parse(response.body) }).toMatchObject({ status: 400, body: { error: 'invalid_request' } });
          return response;
        }
        // RFC 7662 §2.2 / RFC 7009 §2.2: a token that is no token is inactive, and revoking it does nothing.
        if (response.status === 200 && path === '/token/introspection') {
          expect(JSON.parse(response.body)).toEqual({ active: false });
          return { status: 400 };
        }
        if (response.status === 200 && path === '/token/revocation') {
          expect(response.body).toBe('');
          return { status: 400 };
        }
        expect(JSON.parse(response.body)).toHaveProperty('error');
        return response;
      });
    });

    it('GET /me, /jwks and discovery: bad bytes in the query get a 400 OAuth error', async () => {
      for (const path of ['/me', '/jwks', '/.well-known/openid-configuration']) {
        const response = await send(new Browser(), 'GET', `${path}?x=%00`, undefined, undefined, { accept: 'application/json' });
        expect({ path, status: response.status }).toEqual({ path, status: 400 });
      }
      expect(JSON.parse((await send(new Browser(), 'GET', '/me?access_token=%ED%A0%80')).body)).toMatchObject({ error: 'invalid_request' });
    });
  });

  /** The guard's own answer (not some later check's): a 400 that names the bad characters. */
  const refusedForBadText = async (answer: Promise<{ status: number; body: string }>) => {
    const { status, body } = await answer;
    if (status === 400 && !body.includes('characters that no field accepts')) return { status: 200 };
    return { status };
  };

  describe('our own routes', () => {
    const forms = ['login', 'otp', 'otp/resend', 'method', 'change-method', 'change-password', 'password', 'enrol-totp', 'confirm', 'abort', 'smartcard'];

    it.each(forms)('POST /interaction/:uid/%s: bad bytes in any field of a form with its CSRF token get a 400 and change nothing', async (form) => {
      const csrf = inputValue(start.loginPage.body, 'csrf');
      const fields = { csrf, participantId: 'B80009', userId: 'TARGET', password: 'a long enough test password', code: '123456', method: 'totp', current: 'x', confirmation: 'x' };
      await refusedAndUnchanged(fc.tuple(fc.constantFrom(...Object.keys(fields)), badValue), ([name, value]) =>
        refusedForBadText(send(start.browser, 'POST', `${new URL(start.interactionUrl).pathname}/${form}`, encodedQuery(fields, name, value))),
      );
    });

    it('GET pages: bad bytes in the query or the path get a 400', async () => {
      const targets = fc.constantFrom(`${new URL(start.interactionUrl).pathname}?x=`, '/activate?token=', '/dms?q=', '/dms/users?search=', '/status?x=', '/interaction/');
      await refusedAndUnchanged(fc.tuple(targets, badValue), ([target, value]) => refusedForBadText(send(start.browser, 'GET', `${target}${value}`)));
    });

    it('POST /activate/*: bad bytes in any field get a 400 and change nothing', async () => {
      await refusedAndUnchanged(fc.tuple(fc.constantFrom('password', 'method', 'enrol-totp', 'otp'), fc.constantFrom('csrf', 'password', 'confirmation', 'code', 'method'), badValue), ([form, name, value]) =>
        refusedForBadText(send(new Browser(), 'POST', `/activate/${form}`, encodedQuery({ csrf: 'x', password: 'y', confirmation: 'y' }, name, value))),
      );
    });

    it('DMS API: a lone surrogate or a NUL in a JSON string gets a 400 and changes nothing', async () => {
      await refusedAndUnchanged(fc.tuple(loneSurrogate, fc.boolean()), async ([escape, inKey]) => {
        const body = inKey ? `{"email":"a@example.com","${escape}":1}` : `{"email":"${escape}@example.com"}`;
        const response = await dms.api('PUT', '/dms/api/users/TARGET/email', body, { 'content-type': 'application/json' });
        // The guard's answer, not the schema's (a stray key would be refused by it too).
        return { status: response.status === 400 && String(response.body.message).includes('characters that no field accepts') ? 400 : 200 };
      });
    });

    it('DMS CSV upload: a cell with bad bytes is a rejected row (or the file is refused whole), never a 5xx, and changes nothing', async () => {
      const badCell = fc.oneof(
        // Inside the value: whitespace-like ones at a cell's edge are trimmed as spaces are, and never stored.
        fc.tuple(fc.stringMatching(/^[a-z0-9.]{1,8}$/), fc.constantFrom('\u0000', '\u0001', '\u0007', '\u000b', '\u001b', '\u007f', '\u0085', '\u2028'), fc.stringMatching(/^[a-z0-9.]{1,8}$/)).map(([a, bad, b]) => Buffer.from(`${a}${bad}${b}`)),
        // Bytes that are not UTF-8: the whole file is refused (415).
        fc.constantFrom(Buffer.from([0xff]), Buffer.from([0xc0, 0x80]), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from([0xe2, 0x82])),
      );
      // The upload itself is audited (who sent what, with its summary); nothing else may change.
      const lastAudit = async () => Number((await database.db('audit_events').max({ id: 'id' }).first())?.id ?? 0);
      const before = await databaseFingerprint(database.db, IGNORED);
      const auditedFrom = await lastAudit();
      await fc.assert(
        fc.asyncProperty(fc.tuple(badCell, fc.boolean()), async ([cell, inEmail]) => {
          const row = inEmail ? [Buffer.from('TARGET,'), cell, Buffer.from('@example.com')] : [Buffer.from('TAR'), cell, Buffer.from('GET,t2@example.com')];
          const body = Buffer.concat([Buffer.from('user_id,email\n'), ...row, Buffer.from('\n')]);
          const response = await dms.api('POST', '/dms/api/uploads', body, { 'content-type': 'text/csv' });
          if (response.status === 200) expect(response.body.summary).toMatchObject({ registered: 0, changed: 0, unchanged: 0, resent: 0, rejected: 1 });
          else expect([415, 422]).toContain(response.status);
        }),
        RUNS,
      );
      const { audit_events: _audit, ...after } = await databaseFingerprint(database.db, IGNORED);
      const { audit_events: _auditBefore, ...unchanged } = before;
      expect(after).toEqual(unchanged);
      const added = await database.db('audit_events').where('id', '>', auditedFrom).distinct().pluck('type');
      expect(added.filter((type: string) => type !== 'dms.csv_upload')).toEqual([]);
      expect(await lastAudit()).toBeGreaterThanOrEqual(auditedFrom);
    });

    it('DMS page forms: bad bytes in any field, with the session token, get a 400 and change nothing', async () => {
      await refusedAndUnchanged(fc.tuple(fc.constantFrom('/dms/users/TARGET/email', '/dms/users/TARGET/lock'), fc.constantFrom('email', 'reason', 'csrf'), badValue), ([path, name, value]) =>
        refusedForBadText(send(dms.browser, 'POST', path, encodedQuery({ csrf: dms.csrf, email: 'target2@example.com' }, name, value))),
      );
    });
  });
});
