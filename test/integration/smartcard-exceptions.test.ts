/**
 * A dated smartcard exception after the cut-off, over real TLS with real certificates: the
 * excepted user's card still logs them in (and the page tells them until when), everyone
 * else's is refused, and once the date passes theirs is refused exactly like everyone's.
 * The grant itself is all-or-nothing with its audit record.
 */
import { operatorActor } from '../../src/kernel/actor.js';
import { grantUserException, revokeUserException } from '../../src/directory/user-exceptions.js';
import { pinPhase } from '../../src/policy/phase-control.js';
import type { SecurityNotices } from '../../src/mail/security-notices.js';
import { inputValue, formAction } from '../support/browser.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { followToCallback, startAuthorization, type AuthorizationStart } from '../support/flows.js';
import type { Page } from '../support/browser.js';
import { seedUser, type RunningTestServer } from '../support/server.js';
import { bindDirectly, createSmartcardFixture, smartcardBrowser, startSmartcardTestServer, type SmartcardFixture } from '../support/smartcard.js';

const DAY = 86_400_000;

describe('smartcard exception after the cut-off', () => {
  let fixture: SmartcardFixture;
  let database: TestDatabase;
  let running: RunningTestServer;
  let until: Date;

  const lastAudit = () => database.db('audit_events').whereIn('type', ['login', 'login.smartcard']).orderBy('id', 'desc').first();

  beforeAll(async () => {
    fixture = await createSmartcardFixture();
    database = await createTestDatabase();
    running = await startSmartcardTestServer(fixture, database);
    const trader = await seedUser(running.server, running.config, { participantId: 'B01234', userId: 'TRADER1', email: 'trader1@example.com' }, running.clock);
    await bindDirectly(running.server, trader, fixture.cards.valid);
    const other = await seedUser(running.server, running.config, { participantId: 'B01234', userId: 'OTHER1' }, running.clock);
    await bindDirectly(running.server, other, fixture.cards.second);
    await pinPhase({ queries: running.server.queries, clock: running.clock, plan: running.config.phases }, { phase: '2fa-only' }, operatorActor('test'));
    until = new Date(running.clock.now().getTime() + 10 * DAY);
  });
  afterAll(async () => {
    await running?.close();
    await database?.drop();
  });

  let refreshToken: string;

  async function tlsPost(path: string, form: Record<string, string>): Promise<Page> {
    const basic = Buffer.from('ccass-terminal:test-secret-for-the-ccass-terminal-client').toString('base64');
    return smartcardBrowser(fixture).request(new URL(path, running.issuer).toString(), { form, headers: { authorization: `Basic ${basic}`, accept: 'application/json' } });
  }

  async function exchangeCode(start: AuthorizationStart, callback: URL) {
    const page = await tlsPost('/token', { grant_type: 'authorization_code', code: callback.searchParams.get('code') as string, redirect_uri: 'http://127.0.0.1:9999/callback', code_verifier: start.codeVerifier });
    if (page.status !== 200) throw new Error(page.body);
    return JSON.parse(page.body) as { refresh_token?: string };
  }

  const deps = () => ({ queries: running.server.queries, notices: running.server.notices, clock: running.clock });

  it('leaves nothing behind when the grant fails inside its transaction: no exception, no audit record', async () => {
    const failing: SecurityNotices = { send: () => Promise.reject(new Error('mail queue down')) };
    await expect(grantUserException({ ...deps(), notices: failing }, { participantId: 'B01234', userId: 'TRADER1' }, { kind: 'smartcard_login', until, reason: 'card reader on order' }, operatorActor('ops1'))).rejects.toThrow('mail queue down');
    expect(await database.db('user_exceptions')).toEqual([]);
    expect(await database.db('audit_events').where({ type: 'user.exception.grant' })).toEqual([]);
  });

  it('lets a DA give an exception only to a user of their own participant (the maker-checker path), and refuses it unchanged otherwise', async () => {
    const grant = { kind: 'activation_deadline', until, reason: 'joined late' };
    await expect(grantUserException(deps(), { participantId: 'B01234', userId: 'OTHER1' }, grant, { name: 'da:A00001/ADMIN1' })).rejects.toMatchObject({ name: 'ForbiddenError' });
    expect(await database.db('user_exceptions')).toEqual([]);
    const { exception } = await grantUserException(deps(), { participantId: 'B01234', userId: 'OTHER1' }, grant, { name: 'da:B01234/ADMIN1' });
    expect(exception).toMatchObject({ participantId: 'B01234', userId: 'OTHER1', kind: 'activation_deadline', grantedBy: 'da:B01234/ADMIN1' });
    expect(await running.server.queries.userExceptions.activeFor((await running.server.queries.users.findByLogin('B01234', 'OTHER1'))!.id, 'activation_deadline', running.clock.now())).toEqual({ until, reason: 'joined late' });
    // An activation exception is no smartcard exception.
    await revokeUserException(deps(), { participantId: 'B01234', userId: 'OTHER1' }, 'activation_deadline', operatorActor('ops1'));
  });

  it('without an exception, offers no smartcard after the cut-off', async () => {
    const start = await startAuthorization(running.issuer, {}, smartcardBrowser(fixture, fixture.cards.valid));
    expect(start.loginPage.body).not.toContain('Log in with smartcard');
  });

  it('logs the excepted user in with their card, and tells them until when, in words of Hong Kong time', async () => {
    await grantUserException(deps(), { participantId: 'B01234', userId: 'TRADER1' }, { kind: 'smartcard_login', until, reason: 'card reader on order' }, operatorActor('ops1'));
    const browser = smartcardBrowser(fixture, fixture.cards.valid);
    const start = await startAuthorization(running.issuer, {}, browser);
    expect(start.loginPage.body).toContain('Log in with smartcard');
    const pressed = await browser.request(new URL(formAction(start.loginPage.body, 'smartcard-login'), start.interactionUrl).toString(), { form: { csrf: inputValue(start.loginPage.body, 'csrf') } });
    expect(pressed.status).toBe(303);
    const offer = await browser.request(new URL(pressed.headers.get('location') as string, pressed.url).toString());
    expect(offer.body).toMatch(/For you it works until \d{1,2} \w+ \d{4}, \d{2}:\d{2} \(Hong Kong time\)/);
    const done = await browser.request(new URL(formAction(offer.body, 'skip-key'), offer.url).toString(), { form: { csrf: inputValue(offer.body, 'csrf') } });
    expect(done.status).toBe(303);
    const audit = await lastAudit();
    expect(audit).toMatchObject({ type: 'login', outcome: 'success', user_id: 'TRADER1' });
    expect(audit.details).toMatchObject({ method: 'smartcard', phase: '2fa-only', exceptionUntil: until.toISOString() });
    // Its refresh token works after the cut-off too, while the exception lasts.
    const tokens = await exchangeCode(start, await followToCallback(start, done));
    const refreshed = await tlsPost('/token', { grant_type: 'refresh_token', refresh_token: tokens.refresh_token as string });
    expect({ status: refreshed.status, body: refreshed.body }).toMatchObject({ status: 200 });
    refreshToken = (JSON.parse(refreshed.body) as { refresh_token?: string }).refresh_token ?? (tokens.refresh_token as string);
  });

  it('tells the excepted user in Chinese too', async () => {
    const browser = smartcardBrowser(fixture, fixture.cards.valid);
    const start = await startAuthorization(running.issuer, { ui_locales: 'zh-Hant' }, browser);
    const pressed = await browser.request(new URL(formAction(start.loginPage.body, 'smartcard-login'), start.interactionUrl).toString(), { form: { csrf: inputValue(start.loginPage.body, 'csrf') } });
    const offer = await browser.request(new URL(pressed.headers.get('location') as string, pressed.url).toString());
    expect(offer.body).toMatch(/您的智能卡登入可使用至\d{4}年\d{1,2}月\d{1,2}日 \d{2}:\d{2}（香港時間）/);
  });

  it('refuses everyone else’s card as after any cut-off', async () => {
    const browser = smartcardBrowser(fixture, fixture.cards.second);
    const start = await startAuthorization(running.issuer, {}, browser);
    const page = await browser.request(`${start.interactionUrl}/smartcard`, { form: { csrf: inputValue(start.loginPage.body, 'csrf') } });
    expect(page.status).toBe(403);
    expect(page.body).toContain('Log in with your participant ID, user ID, password and one-time code');
    expect((await lastAudit()).details).toMatchObject({ reason: 'smartcard_ended', phase: '2fa-only' });
  });

  it('once the date has passed, refuses the excepted user’s card exactly as everyone’s, with nothing to clean up', async () => {
    running.clock.advance(10 * 86_400 + 1);
    const browser = smartcardBrowser(fixture, fixture.cards.valid);
    const start = await startAuthorization(running.issuer, {}, browser);
    expect(start.loginPage.body).not.toContain('Log in with smartcard');
    const page = await browser.request(`${start.interactionUrl}/smartcard`, { form: { csrf: inputValue(start.loginPage.body, 'csrf') } });
    expect(page.status).toBe(403);
    expect(page.body).toContain('Log in with your participant ID, user ID, password and one-time code');
    const audit = await lastAudit();
    expect(audit).toMatchObject({ type: 'login.smartcard', outcome: 'failure' });
    expect(audit.details).toMatchObject({ reason: 'smartcard_ended', phase: '2fa-only' });
    expect(await database.db('user_exceptions').whereNull('revoked_at')).toHaveLength(1);
    const refreshed = await tlsPost('/token', { grant_type: 'refresh_token', refresh_token: refreshToken });
    expect(refreshed.status).toBe(400);
    expect(JSON.parse(refreshed.body)).toMatchObject({ error: 'invalid_grant' });
  });
});
