/**
 * What every page tells the browser: never cache it, run no inline script, never frame it,
 * sniff no types, leak no referrer — and, over HTTPS, always use HTTPS (HSTS). Every cookie
 * the server sets on the way through login, activation and DMS is HttpOnly and SameSite, and
 * over HTTPS also Secure.
 */
import { Browser, inputValue, type Page, type Transport } from '../support/browser.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { activationLinkIn, seedDa, signInToDms } from '../support/dms.js';
import { followToCallback, passwordStep, startAuthorization, submitCode } from '../support/flows.js';
import { seedUser, startTestServer, type RunningTestServer } from '../support/server.js';
import { createSmartcardFixture } from '../support/smartcard.js';
import { rfc6238 } from '../support/totp.js';
import { registerDesignatedEmail } from '../../src/enrolment/activation-links.js';
import { operatorActor } from '../../src/kernel/actor.js';

/** A browser that keeps every page and every Set-Cookie it received. */
class RecordingBrowser extends Browser {
  readonly pages: Page[] = [];
  readonly setCookies: string[] = [];
  constructor(transport: Transport = {}) {
    super(transport);
  }
  override async request(url: string, init: Parameters<Browser['request']>[1] = {}): Promise<Page> {
    const page = await super.request(url, init);
    this.pages.push(page);
    this.setCookies.push(...page.headers.getSetCookie());
    return page;
  }
}

/** Walks login (password + authenticator), activation (link → password → method) and DMS, recording everything. */
async function walkThrough(running: RunningTestServer, transport: Transport, tag: string): Promise<RecordingBrowser[]> {
  const user = await seedUser(running.server, running.config, { participantId: 'B70007', userId: `WALK${tag}` }, running.clock);
  const login = new RecordingBrowser(transport);
  const start = await startAuthorization(running.issuer, {}, login);
  const codePage = await passwordStep(start, { participantId: user.participantId, userId: user.userId, password: user.password });
  const afterCode = await submitCode(start, codePage, rfc6238(user.totpSecret as Buffer, running.clock.now().getTime() / 1000));
  running.clock.advance(30);
  await followToCallback(start, afterCode);
  await login.request(`${start.interactionUrl}/login`, { form: { csrf: 'forged' } }); // an error page too

  await seedUser(running.server, running.config, { participantId: 'B70007', userId: `NEW${tag}`, status: 'pending', secondFactor: 'none' });
  const pending = await running.server.queries.users.findByLogin('B70007', `NEW${tag}`);
  const email = `new${tag.toLowerCase()}@example.com`;
  await registerDesignatedEmail(running.server.activation, pending!, email, operatorActor('test'));
  const activation = new RecordingBrowser(transport);
  const link = activationLinkIn(await running.mail.mailTo(email));
  const form = await activation.follow(link);
  const password = 'a long enough walking passphrase';
  await activation.follow(`${running.issuer}/activate/password`, { form: { csrf: inputValue(form.body, 'csrf'), password, confirmation: password } });
  await activation.follow(`${running.issuer}/activate/enrol-totp`);

  const dms = new RecordingBrowser(transport);
  const session = await signInToDms(running, await seedDa(running, 'B70007', `DA${tag}`), dms);
  await dms.follow(`${running.issuer}/dms/users/WALK${tag}?lang=zh-Hant`); // the language switch sets a cookie too
  await dms.follow(`${running.issuer}/dms/logout`, { form: { csrf: session.csrf } });
  return [login, activation, dms];
}

/** Our own HTML pages (not the relying party's callback, which the test browser never loads). */
const htmlPages = (browsers: RecordingBrowser[], issuer: string) =>
  browsers.flatMap((browser) => browser.pages).filter((page) => page.url.startsWith(issuer) && (page.headers.get('content-type') ?? '').startsWith('text/html'));

function cookieAttributes(setCookie: string): { name: string; attributes: string[] } {
  const [pair = '', ...attributes] = setCookie.split(';').map((part) => part.trim());
  return { name: pair.split('=')[0] as string, attributes: attributes.map((attribute) => attribute.toLowerCase()) };
}

describe('response headers and cookies', () => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await database.drop();
  });

  describe('over http', () => {
    let running: RunningTestServer;
    let browsers: RecordingBrowser[];

    beforeAll(async () => {
      running = await startTestServer(database.db, database.url);
      browsers = await walkThrough(running, {}, 'H');
    });
    afterAll(async () => {
      await running.close();
    });

    it('marks every login, activation and DMS page no-store', () => {
      const pages = htmlPages(browsers, running.issuer);
      expect(pages.length).toBeGreaterThan(8);
      for (const page of pages) expect({ url: page.url, cache: page.headers.get('cache-control') }).toEqual({ url: page.url, cache: expect.stringContaining('no-store') });
    });

    it('sends a Content-Security-Policy without inline scripts, frame-ancestors none, nosniff and Referrer-Policy no-referrer on every page', () => {
      for (const page of htmlPages(browsers, running.issuer)) {
        const csp = page.headers.get('content-security-policy') ?? '';
        const scriptSrc = /script-src ([^;]*)/.exec(csp)?.[1] ?? /default-src ([^;]*)/.exec(csp)?.[1] ?? '';
        expect({ url: page.url, scriptSrc }).toEqual({ url: page.url, scriptSrc: expect.not.stringMatching(/unsafe-inline|unsafe-eval|\*/) });
        expect({ url: page.url, csp }).toEqual({ url: page.url, csp: expect.stringContaining("frame-ancestors 'none'") });
        expect(page.headers.get('x-content-type-options')).toBe('nosniff');
        expect(page.headers.get('referrer-policy')).toBe('no-referrer');
        // Our own pages carry no inline script or style at all.
        if (!page.body.includes('document.forms[0].submit()')) expect({ url: page.url, inline: /<script|\sstyle=/.test(page.body) }).toEqual({ url: page.url, inline: false });
      }
    });

    it('sends no Strict-Transport-Security over plain http', () => {
      for (const page of htmlPages(browsers, running.issuer)) expect(page.headers.get('strict-transport-security')).toBeNull();
    });

    it('sets only HttpOnly, SameSite cookies', () => {
      const cookies = browsers.flatMap((browser) => browser.setCookies).map(cookieAttributes);
      const names = new Set(cookies.map((cookie) => cookie.name));
      for (const name of ['_interaction', '_session', 'ccass_activation', 'ccass_enrolment', 'ccass_dms']) expect({ name, set: names.has(name) }).toEqual({ name, set: true });
      for (const cookie of cookies) {
        expect({ name: cookie.name, httpOnly: cookie.attributes.includes('httponly') }).toEqual({ name: cookie.name, httpOnly: true });
        expect({ name: cookie.name, sameSite: cookie.attributes.some((attribute) => /^samesite=(lax|strict)$/.test(attribute)) }).toEqual({ name: cookie.name, sameSite: true });
      }
    });
  });

  describe('over https', () => {
    let running: RunningTestServer;
    let browsers: RecordingBrowser[];

    beforeAll(async () => {
      const fixture = await createSmartcardFixture();
      running = await startTestServer(database.db, database.url, {}, { tls: { certFile: fixture.files.serverCert, keyFile: fixture.files.serverKey } });
      browsers = await walkThrough(running, { ca: fixture.tlsCa.pem }, 'S');
    });
    afterAll(async () => {
      await running.close();
    });

    it('sends Strict-Transport-Security for at least a year on every page', () => {
      const pages = htmlPages(browsers, running.issuer);
      expect(pages.length).toBeGreaterThan(8);
      for (const page of pages) {
        const maxAge = Number(/max-age=(\d+)/.exec(page.headers.get('strict-transport-security') ?? '')?.[1] ?? 0);
        expect({ url: page.url, atLeastAYear: maxAge >= 31_536_000 }).toEqual({ url: page.url, atLeastAYear: true });
      }
    });

    it('sets every cookie Secure, HttpOnly and SameSite (cookies)', () => {
      const cookies = browsers.flatMap((browser) => browser.setCookies).map(cookieAttributes);
      expect(cookies.length).toBeGreaterThan(8);
      for (const cookie of cookies) {
        expect({ name: cookie.name, secure: cookie.attributes.includes('secure'), httpOnly: cookie.attributes.includes('httponly') }).toEqual({
          name: cookie.name,
          secure: true,
          httpOnly: true,
        });
        expect({ name: cookie.name, sameSite: cookie.attributes.some((attribute) => /^samesite=(lax|strict)$/.test(attribute)) }).toEqual({ name: cookie.name, sameSite: true });
      }
    });

    it('names every cookie with a prefix the browser enforces: __Host- on the whole site (Path=/, no Domain), __Secure- on a path', () => {
      const cookies = browsers.flatMap((browser) => browser.setCookies).map(cookieAttributes);
      const names = new Set(cookies.map((cookie) => cookie.name.replace(/\.sig$/, '')));
      for (const name of ['__Host-session', '__Secure-interaction', '__Secure-interaction_resume', '__Host-ccass_lang', '__Secure-ccass_activation', '__Secure-ccass_enrolment', '__Secure-ccass_dms']) {
        expect({ name, set: names.has(name) }).toEqual({ name, set: true });
      }
      for (const cookie of cookies) {
        const prefix = /^__(Host|Secure)-/.exec(cookie.name)?.[1];
        expect({ name: cookie.name, prefixed: prefix !== undefined }).toEqual({ name: cookie.name, prefixed: true });
        if (prefix === 'Host') {
          expect({ name: cookie.name, path: cookie.attributes.find((attribute) => attribute.startsWith('path=')), domain: cookie.attributes.some((attribute) => attribute.startsWith('domain=')) }).toEqual({
            name: cookie.name,
            path: 'path=/',
            domain: false,
          });
        }
      }
    });
  });
});
