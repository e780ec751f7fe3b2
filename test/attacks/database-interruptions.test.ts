/**
 * The database's connections cut under load (as a failover or an operator ending backends
 * does): logins in flight may fail, but never with a bare 500. A request whose statement died
 * with its connection is answered 503, Retry-After, and a page (or OAuth JSON) that says to try
 * again; once the interruptions stop, every user logs in as before.
 */
import pg from 'pg';
import { createLogger } from '../../src/observability/logger.js';
import { Browser, inputValue, type Page } from '../support/browser.js';
import { ADMIN_DATABASE_URL, createTestDatabase, type TestDatabase } from '../support/database.js';
import { followToCallback, startAuthorization, type AuthorizationStart } from '../support/flows.js';
import { seedUser, startTestServer, TERMINAL, type RunningTestServer, type SeededUser } from '../support/server.js';
import { rfc6238 } from '../support/totp.js';

/** A browser that keeps every answer it got. */
class RecordingBrowser extends Browser {
  readonly pages: Page[] = [];
  override async request(url: string, init: Parameters<Browser['request']>[1] = {}): Promise<Page> {
    const page = await super.request(url, init);
    this.pages.push(page);
    return page;
  }
}

type Attempt = 'logged in' | 'interrupted';

describe('database connections cut while users log in', () => {
  let database: TestDatabase;
  let running: RunningTestServer;
  const users: SeededUser[] = [];
  const answers: Array<{ url: string; status: number; retryAfter: string | null; body: string }> = [];

  beforeAll(async () => {
    database = await createTestDatabase();
    // DEBUG_INTERRUPTIONS=1 shows the server's errors (what a 500 was, should one come back).
    running = await startTestServer(database.db, database.url, {}, process.env['DEBUG_INTERRUPTIONS'] ? { log: createLogger('error') } : {});
    for (let index = 0; index < 6; index += 1) {
      users.push(await seedUser(running.server, running.config, { participantId: 'B07777', userId: `CUT${index}`, email: `cut${index}@example.com` }, running.clock));
    }
  });
  afterAll(async () => {
    await running.close();
    await database.drop();
  });

  /** The user's code now; each round of logins moves the server's clock a step on, so no code is used twice. */
  function currentCode(user: SeededUser): string {
    return rfc6238(user.totpSecret as Buffer, running.clock.now().getTime() / 1000);
  }

  /** One whole login as CCASS Terminal's user; any answer that is not the next step ends it. */
  async function logIn(user: SeededUser): Promise<Attempt> {
    const browser = new RecordingBrowser();
    const record = () => answers.push(...browser.pages.splice(0).map((page) => ({ url: page.url, status: page.status, retryAfter: page.headers.get('retry-after'), body: page.body })));
    try {
      let start: AuthorizationStart;
      try {
        start = await startAuthorization(running.issuer, {}, browser);
      } catch {
        return 'interrupted';
      }
      if (start.loginPage.status !== 200) return 'interrupted';
      const password = await browser.request(`${start.interactionUrl}/login`, {
        form: { csrf: inputValue(start.loginPage.body, 'csrf'), participantId: user.participantId, userId: user.userId, password: user.password },
      });
      if (password.status !== 303) return 'interrupted';
      const codePage = await browser.follow(new URL(password.headers.get('location') as string, password.url).toString());
      if (codePage.status !== 200 || !codePage.body.includes('name="code"')) return 'interrupted';
      const code = await browser.request(`${start.interactionUrl}/otp`, { form: { csrf: inputValue(codePage.body, 'csrf'), code: currentCode(user) } });
      if (code.status !== 303) return 'interrupted';
      const callback = await followToCallback(start, code).catch(() => undefined);
      if (!callback?.searchParams.get('code')) return 'interrupted';
      const token = await fetch(`${running.issuer}/token`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'application/json',
          authorization: `Basic ${Buffer.from(`${TERMINAL.clientId}:${TERMINAL.clientSecret}`).toString('base64')}`,
        },
        body: new URLSearchParams({ grant_type: 'authorization_code', code: callback.searchParams.get('code') as string, redirect_uri: TERMINAL.redirectUri, code_verifier: start.codeVerifier }),
      });
      answers.push({ url: '/token', status: token.status, retryAfter: token.headers.get('retry-after'), body: await token.text() });
      return token.status === 200 ? 'logged in' : 'interrupted';
    } finally {
      record();
    }
  }

  it('answers 503 "try again" (never 500) while connections are cut, and logs everyone in afterwards', async () => {
    const killer = new pg.Client({ connectionString: ADMIN_DATABASE_URL });
    await killer.connect();
    let cutting = true;
    let cut = 0;
    const cutter = (async () => {
      while (cutting) {
        const { rowCount } = await killer.query(
          `select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid() and application_name like 'ccass-auth%'`,
          [database.name],
        );
        cut += rowCount ?? 0;
        await new Promise((resolve) => setTimeout(resolve, 20 + Math.random() * 60));
      }
    })();
    const outcomes: Attempt[] = [];
    try {
      for (let round = 0; round < 5; round += 1) {
        running.clock.advance(running.config.totp.period);
        outcomes.push(...(await Promise.all(users.map((user) => logIn(user)))));
      }
    } finally {
      cutting = false;
      await cutter;
      await killer.end();
    }
    console.log(`connections cut: ${cut}; logins: ${outcomes.filter((outcome) => outcome === 'logged in').length} completed, ${outcomes.filter((outcome) => outcome === 'interrupted').length} interrupted; answers: ${answers.length}`);

    expect(cut).toBeGreaterThan(0);
    const failures = answers.filter((answer) => answer.status >= 500);
    const unexpected = failures.filter((failure) => failure.status !== 503);
    if (unexpected.length) console.log(unexpected.map((failure) => `${failure.status} ${failure.url.replace(running.issuer, '')}: ${failure.body.slice(0, 300)}`).join('\n'));
    // Every failure is the "try again" answer: 503, Retry-After, and words that say so.
    for (const failure of failures) {
      expect({ status: failure.status, retryAfter: failure.retryAfter }).toEqual({ status: 503, retryAfter: '1' });
      expect(failure.body).toMatch(/Please try again in a moment|temporarily_unavailable/);
    }
    expect(failures.length).toBeGreaterThan(0);

    // The interruptions are over: everyone logs in, and nothing left behind stands in the way.
    answers.length = 0;
    running.clock.advance(running.config.totp.period);
    for (const user of users) {
      const outcome = await logIn(user);
      if (outcome !== 'logged in') console.log(answers.map((answer) => `${answer.status} ${answer.url.replace(running.issuer, '')} ${answer.body.slice(0, 120).replace(/\s+/g, ' ')}`).join('\n'));
      expect({ user: user.userId, outcome }).toEqual({ user: user.userId, outcome: 'logged in' });
    }
    expect(answers.filter((answer) => answer.status >= 500)).toEqual([]);
  }, 120_000);
});
