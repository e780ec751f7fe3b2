/**
 * Property-based tests (fast-check): generated bad input sent to every endpoint gets a 4xx —
 * never a 5xx, never a success — and leaves the database exactly as it was. Endpoints are
 * reached in the state where they would otherwise work: a live login interaction with its
 * cookies, a signed-in Delegated Administrator, real clients.
 */
import fc from 'fast-check';
import { Browser, inputValue } from '../support/browser.js';
import { type TestDatabase } from '../support/database.js';
import { seedDa, signInToDms, type DmsSession } from '../support/dms.js';
import { startAuthorization, type AuthorizationStart } from '../support/flows.js';
import { seedUser, TERMINAL, type RunningTestServer, useTestServer } from '../support/server.js';
import { databaseFingerprint } from '../support/snapshot.js';
import { refusedAndUnchanged as refusedAndUnchangedIn, SEEN_AT_IGNORED, sendAs } from '../support/refusals.js';

const IGNORED = SEEN_AT_IGNORED;
const RUNS = { numRuns: 30 };

/** Text that is hostile in the usual ways: control characters, odd Unicode, very long, injection-shaped, percent-mangled. */
const nasty = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.constantFrom("' OR 1=1 --", '<script>alert(1)</script>', '../../etc/passwd', '%00', '\u0000', '%E0%A4%A', '{"$gt":""}', 'NaN', '-1', '1e309', '\uFEFF', 'a'.repeat(5000)),
  fc.string({ minLength: 2000, maxLength: 20_000 }),
);
/** Form fields: some expected names with bad values, unexpected names, repeated fields (arrays). */
const formFields = fc.dictionary(
  fc.oneof(fc.constantFrom('csrf', 'participantId', 'userId', 'password', 'code', 'method', 'email', 'confirmation', '__proto__', 'constructor'), fc.string({ maxLength: 12 })),
  fc.oneof(nasty, fc.array(nasty, { minLength: 2, maxLength: 3 })),
  { maxKeys: 6 },
);
/** A path segment that no route should accept: random text, percent-encoded or deliberately broken. */
const badSegment = fc.oneof(
  fc.string({ minLength: 1, maxLength: 60 }).map(encodeURIComponent),
  fc.constantFrom('%E0%A4%A', '%', '%ZZ', '..%2F..%2Fetc', '%00', 'a'.repeat(3000), '00000000-0000-0000-0000-000000000000'),
);

function encodeForm(fields: Record<string, string | string[]>): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(fields)) for (const item of Array.isArray(value) ? value : [value]) params.append(name, item);
  return params.toString();
}

describe('generated bad input, on every endpoint', () => {
  let database: TestDatabase;
  let running: RunningTestServer;
  let start: AuthorizationStart;
  let dms: DmsSession;

  useTestServer((started) => ({ database, running } = started));
  beforeAll(async () => {
    await seedUser(running.server, running.config, { participantId: 'B80008', userId: 'TARGET', email: 'target@example.com' }, running.clock);
    dms = await signInToDms(running, await seedDa(running, 'B80008', 'ADMIN'));
    start = await startAuthorization(running.issuer);
  }, 30_000);

  /** Sends one request with `browser`'s cookies; returns the status. */
  const send = async (browser: Browser, method: string, path: string, body?: string, contentType = 'application/x-www-form-urlencoded', extra: Record<string, string> = {}) =>
    (await sendAs(browser, running.issuer, method, path, body, contentType, extra)).status;

  /** Runs `property` for generated input, asserting a 4xx each time and no change to the database over the whole run. */
  const refusedAndUnchanged = <T>(arbitrary: fc.Arbitrary<T>, request: (input: T) => Promise<number>, accept?: (status: number) => boolean) =>
    refusedAndUnchangedIn(database.db, arbitrary, async (input) => ({ status: await request(input) }), { accept, runs: RUNS.numRuns });

  describe('login pages', () => {
    const forms = ['login', 'otp', 'otp/resend', 'method', 'change-method', 'change-password', 'password', 'enrol-totp', 'confirm', 'abort', 'smartcard'];

    it.each(forms)('POST /interaction/:uid/%s: bad form fields get a 4xx and change nothing', async (form) => {
      await refusedAndUnchanged(formFields, (fields) => send(start.browser, 'POST', `${new URL(start.interactionUrl).pathname}/${form}`, encodeForm(fields)));
    });

    it('refuses other content types and bodies that are not forms', async () => {
      const bodies = fc.record({
        type: fc.constantFrom('application/json', 'text/plain', 'multipart/form-data; boundary=x', 'application/xml', 'application/x-www-form-urlencoded; charset=utf-16'),
        body: nasty,
      });
      await refusedAndUnchanged(bodies, ({ type, body }) => send(start.browser, 'POST', `${new URL(start.interactionUrl).pathname}/login`, body, type));
    });

    it('refuses a body over the size limit', async () => {
      const status = await send(start.browser, 'POST', `${new URL(start.interactionUrl).pathname}/login`, encodeForm({ csrf: inputValue(start.loginPage.body, 'csrf'), password: 'x'.repeat(64 * 1024) }));
      expect(status).toBe(413);
    });

    it('refuses an interaction id that is not this browser’s, or not an id at all', async () => {
      await refusedAndUnchanged(fc.tuple(badSegment, fc.constantFrom('', '/login', '/otp', '/enrol-totp', '/abort'), fc.constantFrom('GET', 'POST')), ([uid, suffix, method]) =>
        send(start.browser, method, `/interaction/${uid}${suffix}`, method === 'POST' ? encodeForm({ csrf: 'x' }) : undefined),
      );
    });
  });

  describe('activation pages', () => {
    it('refuses malformed activation links, counting none of them as guesses', async () => {
      // (An empty token means "no token": the browser is sent on to the password page.)
      await refusedAndUnchanged(nasty.filter((token) => token !== '' && !/^[A-Za-z0-9_-]{43}$/.test(token)), (token) => send(new Browser(), 'GET', `/activate?token=${encodeURIComponent(token)}`));
    });

    it.each(['password', 'method', 'enrol-totp', 'otp', 'otp/resend'])('POST /activate/%s without a live link or enrolment gets a 4xx and changes nothing', async (form) => {
      await refusedAndUnchanged(formFields, (fields) => send(new Browser(), 'POST', `/activate/${form}`, encodeForm(fields)));
    });

    it.each(['password', 'method', 'enrol-totp', 'otp'])('GET /activate/%s without a live link or enrolment gets a 4xx', async (page) => {
      await refusedAndUnchanged(fc.constant(page), () => send(new Browser(), 'GET', `/activate/${page}`));
    });
  });

  describe('DMS', () => {
    const api = (method: string, path: string, body?: string, type = 'application/json') => dms.api(method, path, body === undefined ? undefined : body, { 'content-type': type }).then((response) => response.status);

    it('refuses a user id that is not one, in every user route of the API', async () => {
      const routes = fc.constantFrom(['GET', ''], ['PUT', '/email'], ['POST', '/activation'], ['POST', '/second-factor/reset'], ['POST', '/lock'], ['POST', '/unlock']);
      await refusedAndUnchanged(fc.tuple(routes, badSegment), ([[method, suffix], userId]) => api(method as string, `/dms/api/users/${userId}${suffix}`, method === 'PUT' ? '{"email":"a@example.com"}' : undefined));
    });

    it('refuses bad JSON bodies for an email change', async () => {
      const bodies = fc.oneof(
        nasty,
        fc.json(),
        fc.record({ email: fc.oneof(nasty, fc.integer(), fc.array(fc.string()), fc.object()) }).map((value) => JSON.stringify(value)),
      );
      await refusedAndUnchanged(bodies, (body) => api('PUT', '/dms/api/users/TARGET/email', body));
    });

    it('refuses bodies that are not JSON on the API', async () => {
      await refusedAndUnchanged(fc.tuple(fc.constantFrom('text/plain', 'application/x-www-form-urlencoded', 'application/xml'), nasty), ([type, body]) =>
        api('PUT', '/dms/api/users/TARGET/email', body, type),
      );
    });

    it('refuses a NUL character in any field with a 400 (PostgreSQL text cannot hold one)', async () => {
      // Found by this file's generated queries: a search for "\u0000" answered 500.
      for (const path of ['/dms/api/users?search=%00', '/dms/api/audit?type=login%00', '/dms/api/users/A%00B', '/dms?q=%00']) {
        expect(await api('GET', path)).toBe(400);
      }
    });

    it('answers bad list and audit queries without a 5xx, and changes nothing', async () => {
      const query = fc.dictionary(fc.constantFrom('search', 'state', 'limit', 'offset', 'page', 'userId', 'type', 'before', 'beforeId'), nasty, { maxKeys: 4 });
      await refusedAndUnchanged(
        fc.tuple(fc.constantFrom('/dms/api/users', '/dms/api/audit', '/dms/api/readiness'), query),
        ([path, params]) => api('GET', `${path}?${new URLSearchParams(params)}`),
        (status) => status < 500,
      );
    });

    it('refuses page forms without their token, with bad fields', async () => {
      const routes = fc.constantFrom('/dms/users/TARGET/email', '/dms/users/TARGET/second-factor/reset', '/dms/users/TARGET/lock', '/dms/users/TARGET/unlock', '/dms/logout', '/dms/upload');
      await refusedAndUnchanged(fc.tuple(routes, formFields.filter((fields) => fields['csrf'] !== dms.csrf)), ([path, fields]) => send(dms.browser, 'POST', path, encodeForm(fields)));
    });

    it('refuses CSV uploads that are not CSV, or too large', async () => {
      await refusedAndUnchanged(fc.oneof(nasty, fc.uint8Array({ maxLength: 2000 }).map((bytes) => Buffer.from(bytes).toString('latin1'))), (body) =>
        api('POST', '/dms/api/uploads', body, 'text/csv'),
      );
    });
  });

  describe('OpenID Connect endpoints', () => {
    const params = fc.dictionary(
      fc.constantFrom('client_id', 'response_type', 'redirect_uri', 'scope', 'state', 'nonce', 'code_challenge', 'code_challenge_method', 'prompt', 'acr_values', 'max_age', 'request', 'claims'),
      nasty,
      { maxKeys: 8 },
    );

    it('refuses bad authorization requests', async () => {
      await refusedAndUnchanged(params, (query) => send(new Browser(), 'GET', `/auth?${new URLSearchParams(query)}`));
    });

    it('refuses bad token requests, with and without client authentication', async () => {
      const grants = fc.dictionary(fc.constantFrom('grant_type', 'code', 'redirect_uri', 'code_verifier', 'refresh_token', 'scope', 'client_id', 'client_secret'), nasty, { maxKeys: 6 });
      const basic = `Basic ${Buffer.from(`${TERMINAL.clientId}:${TERMINAL.clientSecret}`).toString('base64')}`;
      await refusedAndUnchanged(fc.tuple(grants, fc.boolean()), ([fields, authenticated]) =>
        send(new Browser(), 'POST', '/token', encodeForm(fields), 'application/x-www-form-urlencoded', authenticated ? { authorization: basic } : {}),
      );
    });

    it('refuses bad introspection and revocation requests, and bad bearer tokens at userinfo', async () => {
      const basic = `Basic ${Buffer.from(`${TERMINAL.clientId}:${TERMINAL.clientSecret}`).toString('base64')}`;
      await refusedAndUnchanged(
        fc.tuple(fc.constantFrom('/token/introspection', '/token/revocation'), fc.dictionary(fc.constantFrom('token', 'token_type_hint'), nasty, { maxKeys: 2 })),
        async ([path, fields]) => {
          const status = await send(new Browser(), 'POST', path, encodeForm(fields), 'application/x-www-form-urlencoded', { authorization: basic });
          // RFC 7662/7009: an unknown token is not an error (200: inactive / nothing to revoke); a malformed request is.
          return status === 200 ? 400 : status;
        },
        (status) => status >= 400 && status < 500,
      );
      await refusedAndUnchanged(nasty.filter((token) => /^[\x21-\x7e]+$/.test(token)), (token) => send(new Browser(), 'GET', '/me', undefined, undefined, { authorization: `Bearer ${token}` }));
    });

    it('refuses bad logout requests, and never redirects for them', async () => {
      // Without a session or a valid id_token_hint oidc-provider may still show its confirmation
      // page (200), which redirects nowhere; what it must never do is fail or follow a bad URI.
      // That page keeps its anti-forgery secret in an anonymous session (no account, expiring
      // after the idle time): the one change allowed here, and nothing belonging to anyone.
      const owned = () => database.db('oidc_payloads').whereNotNull('account_id').orWhereNot({ model: 'Session' }).orderBy(['model', 'id_hash']);
      const before = await owned();
      const rest = await databaseFingerprint(database.db, { ...IGNORED });
      await fc.assert(
        fc.asyncProperty(fc.dictionary(fc.constantFrom('id_token_hint', 'post_logout_redirect_uri', 'state', 'client_id'), nasty, { minKeys: 1, maxKeys: 3 }), async (query) => {
          const status = await send(new Browser(), 'GET', `/session/end?${new URLSearchParams(query)}`);
          if (!(status === 200 || (status >= 400 && status < 500))) throw new Error(`answered ${status}`);
        }),
        RUNS,
      );
      expect(await owned()).toEqual(before);
      const { oidc_payloads: _sessions, ...others } = await databaseFingerprint(database.db, { ...IGNORED });
      const { oidc_payloads: _before, ...othersBefore } = rest;
      expect(others).toEqual(othersBefore);
    });
  });

  describe('everything else', () => {
    it('answers unknown paths and methods with a 4xx', async () => {
      await refusedAndUnchanged(fc.tuple(fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH'), badSegment, fc.constantFrom('/', '/dms/', '/activate/', '/interaction/', '/auth/', '/status/', '/metrics/')), ([method, segment, prefix]) =>
        send(new Browser(), method, `${prefix}${segment}`, method === 'GET' ? undefined : 'x=1'),
      );
    });
  });
});
