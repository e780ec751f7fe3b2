/**
 * Every page and state of a login and of an activation, read in Traditional Chinese: each is
 * produced the way a user meets it (a wrong code, a lock, a code asked for too soon, a link
 * used twice…) with a browser that asks for zh-HK, and none may hold an English sentence.
 * Every refusal the login can give (phase, client, smartcard) is rendered as its error page too.
 * DMS has its own such test (dms/every-page-in-chinese), and so do oidc-provider's pages.
 */
import { operatorActor } from '../../src/kernel/actor.js';
import { registerDesignatedEmail } from '../../src/enrolment/activation-links.js';
import { createRenderer } from '../../src/web/render.js';
import { issueRecoveryCodes } from '../../src/factors/recovery-codes.js';
import { registerKeyPage } from '../../src/login/pages.js';
import { ACCESS_REFUSALS, SMARTCARD_REFUSALS } from '../../src/login/refusals.js';
import { Browser, inputValue, type Page } from '../support/browser.js';
import { activationLinkIn } from '../support/dms.js';
import { passwordStep, startAuthorization, submitCode, submitLogin, type AuthorizationStart } from '../support/flows.js';
import { latinSentences } from '../support/latin-sentences.js';
import { seedUser, THIRD_PARTY, type RunningTestServer, type SeededUser, useTestServer } from '../support/server.js';
import { codeIn } from '../support/smtp-sink.js';
import { rfc6238, secretFromUri } from '../support/totp.js';

/** Names and tokens that stay as they are in Chinese text. */
const ALLOW = ['CCASS', 'DMS', 'HKSCC', 'TOTP', 'QR', 'UTF-8', 'Google Authenticator', 'Microsoft Authenticator', 'FreeOTP', 'ZH', 'CN', 'YubiKey'];

describe('every login and activation page in Traditional Chinese', () => {
  let running: RunningTestServer;
  useTestServer((started) => ({ running } = started), { lockout: { threshold: 3 }, rateLimits: { enabled: false } });

  const pages: Array<{ state: string; page: Page }> = [];
  const chinese = () => new Browser({}, { 'accept-language': 'zh-HK,zh;q=0.9' });
  const seen = (state: string, page: Page) => {
    pages.push({ state, page });
    return page;
  };
  const start = () => startAuthorization(running.issuer, {}, chinese());
  const follow = (from: AuthorizationStart | Browser, page: Page) =>
    ('browser' in from ? from.browser : from).follow(new URL(page.headers.get('location') as string, page.url).toString());
  const post = (from: AuthorizationStart, action: string, page: Page, fields: Record<string, string> = {}) =>
    from.browser.request(`${from.interactionUrl}/${action}`, { form: { csrf: inputValue(page.body, 'csrf'), ...fields } });
  const totp = (user: SeededUser) => rfc6238(user.totpSecret as Buffer, running.clock.now().getTime() / 1000);
  let seq = 0;
  const user = async (secondFactor: 'totp' | 'email' | 'none', email: string | undefined = `user${seq + 1}@example.com`) => {
    seq += 1;
    return seedUser(running.server, running.config, { participantId: 'B01234', userId: `ZH${seq}`, email, secondFactor }, running.clock);
  };
  const credentials = (who: SeededUser, password = who.password) => ({ participantId: who.participantId, userId: who.userId, password });

  it('renders the password step and its refusals', async () => {
    const alice = await user('totp');
    const login = await start();
    seen('login page', login.loginPage);
    seen('login: fields missing', await submitLogin(login, { participantId: '', userId: '', password: '' }));
    seen('login: form expired', await submitLogin(login, { csrf: 'stale', ...credentials(alice) }));
    seen('login: wrong password', await submitLogin(login, credentials(alice, 'not the password at all')));
    seen('login: expired interaction', await chinese().request(`${running.issuer}/interaction/no-such-interaction`));
    seen('smartcard: not configured', await post(login, 'smartcard', login.loginPage));
  });

  it('renders the authenticator code step, a wrong code, a change of password and of method, and a lock', async () => {
    const bob = await user('totp');
    const login = await start();
    const codePage = seen('code page (authenticator)', await passwordStep(login, credentials(bob)));
    seen('code: wrong', await submitCode(login, codePage, '000000'));
    seen('step that does not apply', await post(login, 'enrol-totp', codePage, { code: '123456' }));

    const toPassword = await post(login, 'change-password', codePage);
    const afterCode = await submitCode(login, await follow(login, toPassword), totp(bob));
    const passwordPage = seen('new password page', await follow(login, afterCode));
    seen('new password: current wrong', await post(login, 'password', passwordPage, { current: 'wrong', password: 'x', confirmation: 'x' }));
    seen('new password: too short', await post(login, 'password', passwordPage, { current: bob.password, password: 'short', confirmation: 'short' }));
    seen('new password: not the same twice', await post(login, 'password', passwordPage, { current: bob.password, password: 'harbour ferry lantern dusk', confirmation: 'harbour ferry lantern dawn' }));
    seen('new password: unchanged', await post(login, 'password', passwordPage, { current: bob.password, password: bob.password, confirmation: bob.password }));

    running.clock.advance(running.config.totp.period);
    const again = await start();
    const code = await passwordStep(again, credentials(bob));
    const methodChoice = await submitCode(again, await follow(again, await post(again, 'change-method', code)), totp(bob));
    const choice = seen('choose a method', await follow(again, methodChoice));
    const enrol = seen('set up the authenticator app', await follow(again, await post(again, 'method', choice, { method: 'totp' })));
    seen('authenticator: wrong first code', await post(again, 'enrol-totp', enrol, { code: '000000' }));

    const carol = await user('totp');
    const locking = await start();
    const lockPage = await passwordStep(locking, credentials(carol));
    await submitCode(locking, lockPage, '000000');
    await submitCode(locking, lockPage, '000001');
    seen('locked after wrong codes', await submitCode(locking, lockPage, '000002'));
  });

  it('renders the emailed code step: sent, asked again too soon, not sent yet, wrong, run out', async () => {
    const dora = await user('email');
    const login = await start();
    const codePage = seen('code page (email)', await passwordStep(login, credentials(dora)));
    seen('email code: asked again too soon', await post(login, 'otp/resend', codePage));
    seen('email code: wrong', await submitCode(login, codePage, '000000'));
    // Another login at once: the address got a code moments ago, so this one has none yet.
    const second = await start();
    seen('email code: none sent yet (too soon after another)', await passwordStep(second, credentials(dora)));
    running.clock.advance(running.config.emailOtp.ttlSeconds + 1);
    seen('email code: run out', await submitCode(login, codePage, '123456'));
    await running.mailSettled();

    const erin = await user('none', undefined);
    const noEmail = await start();
    seen('no second factor and no email address', await passwordStep(noEmail, credentials(erin)));
  });

  it('renders the consent page of a third-party application', async () => {
    const fred = await user('totp');
    const login = await startAuthorization(running.issuer, { client_id: THIRD_PARTY.clientId, redirect_uri: THIRD_PARTY.redirectUri }, chinese());
    const afterCode = await submitCode(login, await passwordStep(login, credentials(fred)), totp(fred));
    const consent = seen('consent', await follow(login, afterCode));
    expect(new URL(consent.url).pathname).toMatch(/^\/interaction\//);
  });

  it('renders every page of an activation, and every problem of a link', async () => {
    const browser = chinese();
    seen('activation: link not valid', await browser.request(`${running.issuer}/activate?token=${'A'.repeat(43)}`));
    seen('activation: opened without the link', await chinese().request(`${running.issuer}/activate/password`));
    seen('activation: set-up page expired', await chinese().request(`${running.issuer}/activate/method`));

    for (const method of ['totp', 'email'] as const) {
      seq += 1;
      const email = `invited${seq}@example.com`;
      await seedUser(running.server, running.config, { participantId: 'B01234', userId: `NEW${seq}`, status: 'pending', secondFactor: 'none' }, running.clock);
      const pending = await running.server.queries.users.findByLogin('B01234', `NEW${seq}`);
      await registerDesignatedEmail(running.server.activation, pending!, email, operatorActor('test'));
      const link = activationLinkIn(await running.mail.mailTo(email));
      const invited = chinese();
      const form = seen('activation: set your password', await invited.follow(link));
      const password = (fields: Record<string, string>) => invited.request(`${running.issuer}/activate/password`, { form: { csrf: inputValue(form.body, 'csrf'), ...fields } });
      seen('activation: password too short', await password({ password: 'short', confirmation: 'short' }));
      seen('activation: passwords differ', await password({ password: 'harbour ferry lantern dusk', confirmation: 'harbour ferry lantern dawn' }));
      const choice = seen('activation: choose a method', await follow(invited, await password({ password: 'harbour ferry lantern dusk', confirmation: 'harbour ferry lantern dusk' })));
      const next = await follow(invited, await invited.request(`${running.issuer}/activate/method`, { form: { csrf: inputValue(choice.body, 'csrf'), method } }));
      const fields = (page: Page, code: string) => ({ form: { csrf: inputValue(page.body, 'csrf'), code } });
      let done: Page;
      if (method === 'totp') {
        seen('activation: set up the authenticator app', next);
        seen('activation: wrong first code', await invited.request(`${running.issuer}/activate/enrol-totp`, fields(next, '000000')));
        const key = /<code class="manual-key"[^>]*>([A-Z2-7 ]+)<\/code>/.exec(next.body)?.[1] as string;
        running.clock.advance(running.config.totp.period);
        const code = rfc6238(secretFromUri(`otpauth://totp/x?secret=${key.replace(/ /g, '')}`), running.clock.now().getTime() / 1000);
        done = await follow(invited, await invited.request(`${running.issuer}/activate/enrol-totp`, fields(next, code)));
      } else {
        seen('activation: emailed code', next);
        seen('activation: wrong emailed code', await invited.request(`${running.issuer}/activate/otp`, fields(next, '000000')));
        seen('activation: code asked again too soon', await invited.request(`${running.issuer}/activate/otp/resend`, { form: { csrf: inputValue(next.body, 'csrf') } }));
        const code = codeIn(await running.mail.mailTo(email, 2)); // the activation mail, then the code
        done = await follow(invited, await invited.request(`${running.issuer}/activate/otp`, fields(next, code)));
      }
      seen(`activation: your login is ready (${method})`, done);
      seen('activation: link used twice', await chinese().follow(link));
    }
  });

  it('renders the security-key step, its other ways, a recovery code, and the refusal of a code where only a key will do', async () => {
    const fay = await user('totp');
    await running.server.queries.webauthnCredentials.insert({
      user_id: fay.subject,
      credential_id: `zh-key-${seq}`,
      public_key: Buffer.from('not a key: these pages never verify one'),
      sign_count: 0,
      transports: ['usb'],
      device_type: 'singleDevice',
      backed_up: false,
      aaguid: null,
      name: 'YubiKey',
      registered_with: 'security_page',
    });
    await issueRecoveryCodes(running.server.recoveryCodes, fay.subject);
    const login = await start();
    const keyPage = seen('security key page', await passwordStep(login, credentials(fay)));
    expect(keyPage.body).toContain('data-webauthn="authenticate"');
    expect(seen('security key: not accepted', await post(login, 'security-key', keyPage, { credential: '{"not":"a credential"}' })).status).toBe(401);
    const codeInstead = seen('code page, with the key as another way', await follow(login, await post(login, 'another-way', keyPage, { way: 'totp' })));
    expect(codeInstead.body).toContain('name="code"');
    expect(codeInstead.body).toContain('value="webauthn"');
    const recoveryPage = seen('recovery code page', await follow(login, await post(login, 'another-way', codeInstead, { way: 'recovery' })));
    expect(recoveryPage.body).toContain('/recovery-code"');
    expect(seen('recovery code: wrong', await post(login, 'recovery-code', recoveryPage, { code: 'AAAA-BBBB-CCCC-DDDD' })).status).toBe(401);

    const phr = await startAuthorization(running.issuer, { acr_values: 'phr' }, chinese());
    const gus = await user('totp');
    const needsKey = seen('only a key will do, and the user has none', await passwordStep(phr, credentials(gus)));
    expect(needsKey.status).toBe(403);

    const render = createRenderer();
    const bridge = render('register-key', registerKeyPage({ base: '/interaction/x', csrf: 'x' }, { challenge: 'x' }, running.clock.now()), { locale: 'zh-Hant', switchHref: undefined });
    pages.push({ state: 'smartcard bridge: register a key', page: { url: '', status: 200, headers: new Headers(), body: bridge } });
    const bridgeFailed = render('register-key', registerKeyPage({ base: '/interaction/x', csrf: 'x' }, { challenge: 'x' }, running.clock.now(), 'bridge.failed'), { locale: 'zh-Hant', switchHref: undefined });
    pages.push({ state: 'smartcard bridge: key not registered', page: { url: '', status: 400, headers: new Headers(), body: bridgeFailed } });
  });

  it('renders every refusal a login can give as its error page', () => {
    const render = createRenderer();
    for (const message of [...Object.values(ACCESS_REFUSALS), ...Object.values(SMARTCARD_REFUSALS)]) {
      const html = render('error', { title: 'smartcard.refusedTitle', message }, { locale: 'zh-Hant', switchHref: undefined });
      pages.push({ state: `refusal ${message}`, page: { url: '', status: 403, headers: new Headers(), body: html } });
    }
  });

  it('leaves no English sentence on any of them', () => {
    // Checked once every page was collected, so one failure lists every English sentence left.
    // The authenticator key to type by hand is letters of base32, not words.
    const text = (page: Page) => page.body.replace(/<code class="manual-key"[^>]*>[A-Z2-7 ]+<\/code>/g, '');
    const english = pages.flatMap(({ state, page }) => latinSentences(text(page), [...ALLOW, THIRD_PARTY.clientId]).map((sentence) => `${state}: ${sentence}`));
    const notChinese = pages.filter(({ page }) => !page.body.includes('lang="zh-Hant-HK"')).map(({ state }) => state);
    expect({ english, notChinese }).toEqual({ english: [], notChinese: [] });
    expect(pages.length).toBeGreaterThan(40);
  });
});
