/**
 * Activation links and the set-password page: a link works once, until it expires, only while
 * it is the newest and the address is unchanged; a tampered link finds nothing; weak,
 * common or mismatched passwords are refused with a clear message and leave the link usable;
 * nothing is enrolled before registration opens.
 */
import { createHash } from 'node:crypto';
import { operatorActor } from '../../src/kernel/actor.js';
import { registerDesignatedEmail } from '../../src/enrolment/activation-links.js';
import { Browser, inputValue, type Page } from '../support/browser.js';
import { type TestDatabase } from '../support/database.js';
import { activationLinkIn } from '../support/dms.js';
import { seedUser, type RunningTestServer, useTestServer } from '../support/server.js';

describe('activation links', () => {
  let database: TestDatabase;
  let running: RunningTestServer;
  let seq = 0;

  useTestServer((started) => ({ database, running } = started));

  /** A pending user with a registered email; returns the link from the activation mail. */
  async function invitedUser(): Promise<{ userId: string; email: string; link: string }> {
    seq += 1;
    const userId = `NEW${seq}`;
    const email = `new${seq}@example.com`;
    await seedUser(running.server, running.config, { participantId: 'F00001', userId, status: 'pending', secondFactor: 'none' }, running.clock);
    const user = await running.server.queries.users.findByLogin('F00001', userId);
    await registerDesignatedEmail(running.server.activation, user!, email, operatorActor('test'));
    return { userId, email, link: activationLinkIn(await running.mail.mailTo(email)) };
  }

  async function setPassword(browser: Browser, form: Page, password: string, confirmation = password): Promise<Page> {
    return browser.request(`${running.issuer}/activate/password`, { form: { csrf: inputValue(form.body, 'csrf'), password, confirmation } });
  }

  it('tells a user already set up, on a first address, that it was registered (not "changed"), and sends no link', async () => {
    seq += 1;
    await seedUser(running.server, running.config, { participantId: 'F00001', userId: `SETUP${seq}`, secondFactor: 'totp', email: undefined }, running.clock);
    const user = await running.server.queries.users.findByLogin('F00001', `SETUP${seq}`);
    const result = await registerDesignatedEmail(running.server.activation, user!, `setup${seq}@example.com`, operatorActor('test'));
    expect(result).toMatchObject({ outcome: 'registered', activation: 'not_needed' });
    const mail = await running.mail.mailTo(`setup${seq}@example.com`);
    expect(mail.subject).toContain('Your CCASS designated email address was registered');
    expect(mail.text).not.toMatch(/\bchanged\b|activation link|\/activate\?token=/i);
  });

  it('stores only a hash of a 256-bit token, and keeps the token out of logs and addresses', async () => {
    const { userId, link } = await invitedUser();
    const token = new URL(link).searchParams.get('token') as string;
    expect(Buffer.from(token, 'base64url')).toHaveLength(32);
    const rows = await database.db('activation_tokens').join('users', 'users.id', 'activation_tokens.user_id').where({ 'users.user_id': userId }).select('token_hash');
    expect(rows).toEqual([{ token_hash: createHash('sha256').update(token).digest('hex') }]);
    const dump = JSON.stringify(await database.db('activation_tokens').select('*'));
    expect(dump).not.toContain(token);
    const landing = await new Browser().request(link);
    expect(landing.status).toBe(303);
    expect(landing.headers.get('location')).toBe('/activate/password');
    expect(landing.headers.get('set-cookie')).toMatch(/ccass_activation=.*path=\/activate;.*httponly/i);
    expect(landing.headers.get('referrer-policy')).toBe('no-referrer');
    expect(landing.headers.get('cache-control')).toBe('no-store');
  });

  it('can be opened many times (mail scanners open links) but used once', async () => {
    const { link } = await invitedUser();
    await new Browser().follow(link); // a scanner
    const browser = new Browser();
    const form = await browser.follow(link);
    expect(form.status).toBe(200);
    expect((await setPassword(browser, form, 'clear water bay sunset')).status).toBe(303);
    const reused = await new Browser().follow(link);
    expect(reused.status).toBe(410);
    expect(reused.body).toContain('This activation link has already been used');
  });

  it('expires after 72 hours and says to ask the DA', async () => {
    const { link } = await invitedUser();
    running.clock.advance(71 * 3600);
    const browser = new Browser();
    const form = await browser.follow(link);
    expect(form.status).toBe(200);
    running.clock.advance(3600 + 1);
    const expired = await new Browser().follow(link);
    expect(expired.status).toBe(410);
    expect(expired.body).toContain('This activation link has expired');
    expect(expired.body).toContain('Ask your Delegated Administrator');
    // A form opened before the expiry cannot be submitted after it either.
    const late = await setPassword(browser, form, 'clear water bay sunset');
    expect(late.status).toBe(410);
  });

  it('finds nothing for a tampered or truncated token', async () => {
    const { link } = await invitedUser();
    const token = new URL(link).searchParams.get('token') as string;
    const flipped = `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`;
    for (const candidate of [flipped, token.slice(0, 20), `${token}x`, '', '../../etc/passwd']) {
      const page = await new Browser().follow(`${running.issuer}/activate?token=${encodeURIComponent(candidate)}`);
      expect([400, 404]).toContain(page.status);
    }
    expect((await new Browser().follow(link)).status).toBe(200); // the real one still works
  });

  it('dies when the email changes or a newer link is sent', async () => {
    const { userId, link } = await invitedUser();
    const user = await running.server.queries.users.findByLogin('F00001', userId);
    await registerDesignatedEmail(running.server.activation, user!, `changed-${userId.toLowerCase()}@example.com`, operatorActor('test'));
    const superseded = await new Browser().follow(link);
    expect(superseded.status).toBe(410);
    expect(superseded.body).toContain('This activation link has been replaced');
    expect((await new Browser().follow(activationLinkIn(await running.mail.mailTo(`changed-${userId.toLowerCase()}@example.com`)))).status).toBe(200);
  });

  it.each([
    ['too short', 'short pass', /at least 12 characters/],
    ['too long', `${'long passphrase '.repeat(9)}`, /at most 128 characters/],
    ['on the blocklist', 'password1234', /too common/],
    ['only a repeated pattern', 'abcabcabcabc', /too easy to guess/],
    ['mostly the name of the service', 'hkscc-ccass-12', /must not be mostly your user ID, participant ID or the name of the service/],
  ])('refuses a password that is %s, with the reason, and keeps the link usable', async (_name, password, reason) => {
    const { link, userId } = await invitedUser();
    const browser = new Browser();
    const form = await browser.follow(link);
    const refused = await setPassword(browser, form, password);
    expect(refused.status).toBe(400);
    expect(refused.body).toContain('role="alert"');
    expect(refused.body).toMatch(reason);
    expect((await running.server.queries.users.findByLogin('F00001', userId))?.password_hash).toBeNull();
    expect((await setPassword(browser, refused, 'victoria harbour night ferry')).status).toBe(303);
  });

  it('refuses two different passwords', async () => {
    const { link } = await invitedUser();
    const browser = new Browser();
    const form = await browser.follow(link);
    const refused = await setPassword(browser, form, 'clear water bay sunset', 'clear water bay sunrise');
    expect(refused.status).toBe(400);
    expect(refused.body).toContain('The two passwords are not the same');
  });

  it('refuses a form without its CSRF token, and a post from a browser that never opened the link', async () => {
    const { link, userId } = await invitedUser();
    const browser = new Browser();
    await browser.follow(link);
    const forged = await browser.request(`${running.issuer}/activate/password`, { form: { csrf: 'forged', password: 'clear water bay sunset', confirmation: 'clear water bay sunset' } });
    expect(forged.status).toBe(403);
    const stranger = await new Browser().request(`${running.issuer}/activate/password`, { form: { csrf: 'x', password: 'clear water bay sunset', confirmation: 'clear water bay sunset' } });
    expect(stranger.status).toBe(400);
    expect((await running.server.queries.users.findByLogin('F00001', userId))?.password_hash).toBeNull();
  });

  it('gives the second-factor step a limited time, after which the login takes over', async () => {
    const { link } = await invitedUser();
    const browser = new Browser();
    const form = await browser.follow(link);
    await setPassword(browser, form, 'clear water bay sunset');
    expect((await browser.request(`${running.issuer}/activate/method`)).status).toBe(200);
    running.clock.advance(31 * 60);
    const late = await browser.request(`${running.issuer}/activate/method`);
    expect(late.status).toBe(400);
    expect(late.body).toContain('log in from CCASS Terminal');
  });

  it('audits every activation step', async () => {
    const { userId, link } = await invitedUser();
    const browser = new Browser();
    await setPassword(browser, await browser.follow(link), 'clear water bay sunset');
    const types = (await database.db('audit_events').where({ participant_id: 'F00001', user_id: userId }).orderBy('id')).map((row: { type: string; actor: string }) => `${row.type} by ${row.actor}`);
    expect(types).toEqual(['user.add by test', 'email.register by operator:test', 'activation.send by operator:test', `activation.password by user:F00001/${userId}`]);
  });
});

describe('activation before email registration opens', () => {
  let running: RunningTestServer;

  useTestServer((started) => ({ running } = started), { phases: { schedule: [{ phase: 'email-registration', from: '2099-01-01' }] } });

  it('registers no email and sends nothing in the smartcard-only phase', async () => {
    await seedUser(running.server, running.config, { participantId: 'G00001', userId: 'EARLY', status: 'pending', secondFactor: 'none' }, running.clock);
    const user = await running.server.queries.users.findByLogin('G00001', 'EARLY');
    await expect(registerDesignatedEmail(running.server.activation, user!, 'early@example.com', operatorActor('test'))).rejects.toMatchObject({ reason: 'problem.enrolmentClosed' });
    expect((await running.server.queries.users.findByLogin('G00001', 'EARLY'))?.email).toBeNull();
    await running.mailSettled();
    expect(running.mail.countTo('early@example.com')).toBe(0);
  });
});
