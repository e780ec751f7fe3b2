/** Delegated Administrators in tests: seeding one, signing in to DMS as a browser would, and calling the API. */
import { Browser, inputValue, type Page } from './browser.js';
import { passwordStep, submitCode, type AuthorizationStart } from './flows.js';
import { seedUser, type RunningTestServer, type SeededUser } from './server.js';
import type { ReceivedMail } from './smtp-sink.js';
import { rfc6238 } from './totp.js';

/** An active DA with an authenticator app. */
export async function seedDa(running: RunningTestServer, participantId: string, userId: string): Promise<SeededUser> {
  const da = await seedUser(running.server, running.config, { participantId, userId, email: `${userId.toLowerCase()}@${participantId.toLowerCase()}.example.com` }, running.clock);
  await running.server.queries.users.setRole(da.subject, 'da');
  return da;
}

export interface DmsSession {
  browser: Browser;
  /** The page DMS showed after signing in. */
  home: Page;
  csrf: string;
  /** A JSON API call with the session cookie (and the CSRF header on changes). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read JSON bodies through expect()
  api(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: any; headers: Headers }>;
}

/** The TOTP code for `user` now, moving the clock a step on so the next one is fresh. */
export function nextTotp(running: RunningTestServer, user: SeededUser): string {
  running.clock.advance(running.config.totp.period);
  return rfc6238(user.totpSecret as Buffer, running.clock.now().getTime() / 1000);
}

/** Opens /dms in a new browser, logs in through the provider with password + TOTP, and lands back on DMS. */
export async function signInToDms(running: RunningTestServer, da: SeededUser, browser = new Browser()): Promise<DmsSession> {
  const loginPage = await browser.follow(`${running.issuer}/dms`);
  if (!loginPage.url.includes('/interaction/')) throw new Error(`expected the login page, got ${loginPage.url} (${loginPage.status})`);
  const start: AuthorizationStart = { browser, loginPage, interactionUrl: loginPage.url, codeVerifier: '', state: '', nonce: '' };
  const codePage = await passwordStep(start, { participantId: da.participantId, userId: da.userId, password: da.password });
  const afterCode = await submitCode(start, codePage, nextTotp(running, da));
  if (afterCode.status !== 303) throw new Error(`second factor refused: ${afterCode.status}`);
  const home = await browser.follow(new URL(afterCode.headers.get('location') as string, afterCode.url).toString());
  return dmsSession(running, browser, home);
}

export function dmsSession(running: RunningTestServer, browser: Browser, home: Page): DmsSession {
  const csrf = home.status === 200 && home.body.includes('name="csrf"') ? inputValue(home.body, 'csrf') : '';
  return {
    browser,
    home,
    csrf,
    async api(method, path, body, headers = {}) {
      const url = `${running.issuer}${path}`;
      const cookie = await browser.jar.getCookieString(url);
      const init: RequestInit = {
        method,
        headers: {
          accept: 'application/json',
          ...(cookie ? { cookie } : {}),
          ...(method === 'GET' ? {} : { 'x-csrf-token': csrf }),
          ...(typeof body === 'string' || Buffer.isBuffer(body) ? { 'content-type': 'text/csv' } : body === undefined ? {} : { 'content-type': 'application/json' }),
          ...headers,
        },
        redirect: 'manual',
      };
      if (body !== undefined) init.body = typeof body === 'string' || Buffer.isBuffer(body) ? (body as string) : JSON.stringify(body);
      const response = await fetch(url, init);
      const text = await response.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        // not JSON: keep the text
      }
      return { status: response.status, body: parsed, headers: response.headers };
    },
  };
}

/** The activation link in an activation email. */
export function activationLinkIn(mail: ReceivedMail): string {
  const match = /(https?:\/\/[^\s]+\/activate\?token=[A-Za-z0-9_-]{43})/.exec(mail.text);
  if (!match) throw new Error(`no activation link in mail: ${mail.text}`);
  return match[1] as string;
}
