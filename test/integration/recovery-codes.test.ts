/**
 * Recovery codes at login, through HTTP on real PostgreSQL: a code stands in for the second
 * factor once, the login then has to set up a new method, the user is told by email and the
 * use is audited; a used code, a wrong code (counted towards the lock and the per-address
 * limit) and a code of a replaced set are refused; a login that must be phishing-resistant
 * never offers one.
 */
import { decodeJwt } from 'jose';
import { issueRecoveryCodes, RECOVERY_CODE_COUNT } from '../../src/factors/recovery-codes.js';
import { ACR, AMR } from '../../src/oidc/assurance.js';
import { Browser, inputValue, type Page } from '../support/browser.js';
import type { TestDatabase } from '../support/database.js';
import { exchangeCode, followToCallback, passwordStep, startAuthorization, type AuthorizationStart } from '../support/flows.js';
import { seedUser, testConfig, useTestServer, type RunningTestServer, type SeededUser } from '../support/server.js';
import { isKeyStep } from '../support/key-login.js';
import { giveKey, SoftAuthenticator } from '../support/soft-authenticator.js';

const STRICT = {
  clientId: 'strict-app',
  clientSecret: 'test-secret-for-the-phishing-resistant-client',
  redirectUri: 'http://127.0.0.1:9996/callback',
};

const clients = () => [
  ...testConfig('http://unused', 'postgres://unused/unused').oidc.clients,
  { client_id: STRICT.clientId, client_name: 'Strict App', client_secret: STRICT.clientSecret, redirect_uris: [STRICT.redirectUri], first_party: true, require_phishing_resistant: true },
];

const credentials = (user: SeededUser) => ({ participantId: user.participantId, userId: user.userId, password: user.password });
const isRecoveryStep = (page: Page) => /<form[^>]*action="\/interaction\/[^"]+\/recovery-code"/.test(page.body);
const isChooseMethod = (page: Page) => /<form[^>]*action="\/interaction\/[^"]+\/method"/.test(page.body);

function post(start: AuthorizationStart, page: Page, path: string, fields: Record<string, string>): Promise<Page> {
  return start.browser.request(`${start.interactionUrl}/${path}`, { form: { csrf: inputValue(page.body, 'csrf'), ...fields } });
}

/** Password, then "use a recovery code" (posted as the code page's button would): the recovery-code page. */
async function toRecoveryStep(issuer: string, user: SeededUser, browser = new Browser()): Promise<{ start: AuthorizationStart; page: Page }> {
  const start = await startAuthorization(issuer, {}, browser);
  const codePage = await passwordStep(start, credentials(user));
  expect(codePage.status).toBe(200);
  expect(codePage.body).toContain('Enter your one-time code');
  const switched = await post(start, codePage, 'another-way', { way: 'recovery' });
  expect(switched.status).toBe(303);
  const page = await start.browser.follow(start.interactionUrl);
  expect(isRecoveryStep(page)).toBe(true);
  return { start, page };
}

describe('recovery codes at login', () => {
  let database: TestDatabase;
  let running: RunningTestServer;
  let seq = 0;

  useTestServer((started) => ({ database, running } = started), {
    oidc: { clients: clients() },
    lockout: { threshold: 3, durationSeconds: 900 },
    rateLimits: { loginFailures: { points: 1000, durationSeconds: 900 }, otpFailures: { points: 1000, durationSeconds: 900 } },
  });

  /** A new user with an authenticator app and a set of recovery codes. */
  async function userWithCodes(): Promise<{ user: SeededUser; codes: string[] }> {
    seq += 1;
    const user = await seedUser(running.server, running.config, { participantId: 'B01234', userId: `LOST${seq}`, email: `lost${seq}@example.com` }, running.clock);
    const codes = await issueRecoveryCodes(running.server.recoveryCodes, user.subject);
    expect(codes).toHaveLength(RECOVERY_CODE_COUNT);
    return { user, codes };
  }

  const unused = async (user: SeededUser) => Number((await database.db('recovery_codes').where({ user_id: user.subject }).whereNull('used_at').count<{ n: string }[]>('* as n'))[0]?.n);
  const completedLogins = async (user: SeededUser) => Number((await database.db('audit_events').where({ type: 'login', outcome: 'success', user_id: user.userId }).count<{ n: string }[]>('* as n'))[0]?.n);

  it('a code stands in for the lost factor once: then a new method, an email to the user, an audit record', async () => {
    const { user, codes } = await userWithCodes();
    const { start, page } = await toRecoveryStep(running.issuer, user);
    // Typed as read off paper: lower case, with the dashes.
    const accepted = await post(start, page, 'recovery-code', { code: (codes[3] as string).toLowerCase() });
    expect(accepted.status).toBe(303);
    const next = await start.browser.follow(start.interactionUrl);
    expect(isChooseMethod(next)).toBe(true);
    expect(await unused(user)).toBe(RECOVERY_CODE_COUNT - 1);

    const audit = await database.db('audit_events').where({ type: 'login.recovery_code', outcome: 'success', user_id: user.userId });
    expect(audit).toHaveLength(1);
    expect(audit[0]?.details).toMatchObject({ left: RECOVERY_CODE_COUNT - 1 });
    const notice = await running.mail.mailTo(user.email as string);
    expect(notice.subject).toContain('A recovery code of your CCASS login was used');
    expect(notice.text).toContain(`${RECOVERY_CODE_COUNT - 1} codes are left`);
    expect(notice.text).not.toContain(codes[3] as string);

    // Not logged in yet: the relying party gets nothing until a new method is chosen.
    expect(await completedLogins(user)).toBe(0);
    const done = await post(start, next, 'method', { method: 'email' });
    expect(done.status).toBe(303);
    const tokens = await exchangeCode(running.http, start, await followToCallback(start, done));
    const claims = decodeJwt(tokens.id_token);
    expect(claims).toMatchObject({ sub: user.subject, acr: ACR.twoFactor });
    expect(claims['amr']).toEqual(expect.arrayContaining([AMR.password, AMR.oneTimePassword, AMR.multipleFactors]));
    expect(claims['amr']).not.toContain(AMR.totp);
    expect((await database.db('users').where({ id: user.subject }).first('second_factor')).second_factor).toBe('email');
  });

  it('the one-time code page offers "use a recovery code" to a user who has codes', async () => {
    const { user } = await userWithCodes();
    const start = await startAuthorization(running.issuer);
    const codePage = await passwordStep(start, credentials(user));
    expect(codePage.body).toContain('Enter your one-time code');
    expect(codePage.body).toMatch(/<form[^>]*action="\/interaction\/[^"]+\/another-way"/);
    expect(codePage.body).toMatch(/name="way" value="recovery"/);
  });

  it('refuses a code the second time', async () => {
    const { user, codes } = await userWithCodes();
    const first = await toRecoveryStep(running.issuer, user);
    expect((await post(first.start, first.page, 'recovery-code', { code: codes[0] as string })).status).toBe(303);

    const second = await toRecoveryStep(running.issuer, user);
    const refused = await post(second.start, second.page, 'recovery-code', { code: codes[0] as string });
    expect(refused.status).toBe(401);
    expect(refused.body).toContain('That recovery code is not correct, or it was used already.');
    expect(isRecoveryStep(refused)).toBe(true);
    expect(await unused(user)).toBe(RECOVERY_CODE_COUNT - 1);
    expect(await database.db('audit_events').where({ type: 'login.recovery_code', outcome: 'failure', user_id: user.userId }).first('details')).toMatchObject({ details: { reason: 'rejected' } });
    // Still on the recovery step: no new method to choose.
    expect(isRecoveryStep(await second.start.browser.follow(second.start.interactionUrl))).toBe(true);
  });

  it('wrong codes count towards the lock like wrong one-time codes', async () => {
    const { user } = await userWithCodes();
    const { start, page } = await toRecoveryStep(running.issuer, user);
    let current = page;
    for (let attempt = 1; attempt < running.config.lockout.threshold; attempt += 1) {
      current = await post(start, current, 'recovery-code', { code: 'ABCD-EFGH-JKMN-PQRS' });
      expect(current.status).toBe(401);
      expect((await database.db('users').where({ id: user.subject }).first('failed_attempts')).failed_attempts).toBe(attempt);
    }
    const locking = await post(start, current, 'recovery-code', { code: 'ABCD-EFGH-JKMN-PQRT' });
    expect(locking.status).toBe(403);
    const row = await database.db('users').where({ id: user.subject }).first('locked_until');
    expect(row.locked_until).toBeInstanceOf(Date);
    expect(await database.db('audit_events').where({ type: 'account.lock', user_id: user.userId })).toHaveLength(1);
    // Locked: even a right code in a new login goes nowhere, and is not used up.
    const again = await startAuthorization(running.issuer);
    const afterPassword = await passwordStep(again, credentials(user));
    expect(afterPassword.status).not.toBe(200);
    expect(await unused(user)).toBe(RECOVERY_CODE_COUNT);
  });

  it('a new set replaces the old one: its codes stop working', async () => {
    const { user, codes: old } = await userWithCodes();
    const fresh = await issueRecoveryCodes(running.server.recoveryCodes, user.subject);
    expect(fresh).not.toContain(old[0]);
    const { start, page } = await toRecoveryStep(running.issuer, user);
    const refused = await post(start, page, 'recovery-code', { code: old[0] as string });
    expect(refused.status).toBe(401);
    expect(await unused(user)).toBe(RECOVERY_CODE_COUNT);
    const accepted = await post(start, refused, 'recovery-code', { code: fresh[0] as string });
    expect(accepted.status).toBe(303);
    expect(isChooseMethod(await start.browser.follow(start.interactionUrl))).toBe(true);
  });

  it('a user without codes is not offered the way, and cannot take it', async () => {
    seq += 1;
    const user = await seedUser(running.server, running.config, { participantId: 'B01234', userId: `NOCODES${seq}` }, running.clock);
    const start = await startAuthorization(running.issuer);
    const codePage = await passwordStep(start, credentials(user));
    expect(codePage.body).toContain('Enter your one-time code');
    expect(codePage.body).not.toMatch(/name="way" value="recovery"/);
    await post(start, codePage, 'another-way', { way: 'recovery' });
    expect(isRecoveryStep(await start.browser.follow(start.interactionUrl))).toBe(false);
  });

  describe('when only a phishing-resistant login will do', () => {
    async function userWithKeyAndCodes() {
      const { user, codes } = await userWithCodes();
      await giveKey(running.server.queries, user.subject, new SoftAuthenticator({ rpId: new URL(running.issuer).hostname, origin: running.issuer }));
      return { user, codes };
    }

    it('a client requiring phr offers no recovery code, and takes none', async () => {
      const { user, codes } = await userWithKeyAndCodes();
      const start = await startAuthorization(running.issuer, { client_id: STRICT.clientId, redirect_uri: STRICT.redirectUri });
      const keyPage = await passwordStep(start, credentials(user));
      expect(isKeyStep(keyPage)).toBe(true);
      expect(keyPage.body).not.toMatch(/name="way" value="recovery"/);
      await post(start, keyPage, 'another-way', { way: 'recovery' });
      const still = await start.browser.follow(start.interactionUrl);
      expect(isKeyStep(still)).toBe(true);
      const forced = await post(start, still, 'recovery-code', { code: codes[0] as string });
      if (forced.status === 303) expect(new URL(forced.headers.get('location') as string, forced.url).pathname).toBe(new URL(start.interactionUrl).pathname);
      else expect(forced.status).toBeGreaterThanOrEqual(400);
      expect(await unused(user)).toBe(RECOVERY_CODE_COUNT);
      expect(await database.db('audit_events').where({ type: 'login.recovery_code', user_id: user.userId })).toHaveLength(0);
      expect(isKeyStep(await start.browser.follow(start.interactionUrl))).toBe(true);
    });

    it('acr_values=phr: a user with codes but no key is refused, and no code is used', async () => {
      const { user } = await userWithCodes();
      const start = await startAuthorization(running.issuer, { acr_values: ACR.phishingResistant });
      const page = await passwordStep(start, credentials(user));
      expect(page.status).toBe(403);
      expect(page.body).not.toMatch(/name="way" value="recovery"/);
      expect(await unused(user)).toBe(RECOVERY_CODE_COUNT);
    });
  });
});

describe('recovery codes and the per-address limit', () => {
  let database: TestDatabase;
  let running: RunningTestServer;

  useTestServer((started) => ({ database, running } = started), {
    lockout: { threshold: 20, durationSeconds: 900 },
    rateLimits: { loginFailures: { points: 1000, durationSeconds: 900 }, otpFailures: { points: 2, durationSeconds: 900 } },
  });

  it('wrong codes from one address use up its limit; then even a right code is not tried (nor used up)', async () => {
    const user = await seedUser(running.server, running.config, { participantId: 'B01234', userId: 'GUESSER', email: 'guesser@example.com' }, running.clock);
    const codes = await issueRecoveryCodes(running.server.recoveryCodes, user.subject);
    const { start, page } = await toRecoveryStep(running.issuer, user, new Browser({ localAddress: '127.0.0.41' }));
    const first = await post(start, page, 'recovery-code', { code: 'ABCD-EFGH-JKMN-PQRS' });
    expect(first.status).toBe(401);
    const second = await post(start, first, 'recovery-code', { code: 'ABCD-EFGH-JKMN-PQRT' });
    expect(second.status).toBe(401);
    const limited = await post(start, second, 'recovery-code', { code: codes[0] as string });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toMatch(/^\d+$/);
    const left = await database.db('recovery_codes').where({ user_id: user.subject }).whereNull('used_at').count<{ n: string }[]>('* as n');
    expect(Number(left[0]?.n)).toBe(RECOVERY_CODE_COUNT);
    expect(await database.db('audit_events').where({ type: 'rate_limit.reached', ip: '127.0.0.41' }).first('details')).toMatchObject({ details: { action: 'otpFailures' } });

    // Another address is not held back by this one's guesses.
    const elsewhere = await toRecoveryStep(running.issuer, user, new Browser({ localAddress: '127.0.0.42' }));
    expect((await post(elsewhere.start, elsewhere.page, 'recovery-code', { code: codes[0] as string })).status).toBe(303);
  });
});
