/**
 * The onboarding journey of the circular, through HTTP on real PostgreSQL with a real SMTP
 * exchange: an operator registers a DA → the DA activates and enrols → signs in to DMS →
 * registers a user's designated email → the user opens the emailed link, sets a password,
 * enrols an authenticator app → CCASS Terminal (openid-client) logs the user in with
 * password + TOTP.
 */
import * as client from 'openid-client';
import { addParticipant } from '../../src/directory/participants.js';
import { addUser } from '../../src/directory/users.js';
import { operatorActor } from '../../src/kernel/actor.js';
import { addDelegatedAdministrator } from '../../src/directory/delegated-administrators.js';
import { ACR, AMR } from '../../src/oidc/assurance.js';
import { Browser, inputValue, type Page } from '../support/browser.js';
import { activationLinkIn, dmsSession, nextTotp } from '../support/dms.js';
import { passwordStep, startAuthorization, submitCode, type AuthorizationStart } from '../support/flows.js';
import { TERMINAL, type RunningTestServer, type SeededUser, useTestServer } from '../support/server.js';
import { rfc6238, secretFromUri } from '../support/totp.js';
import { codeIn } from '../support/smtp-sink.js';

describe('onboarding: from the DA registration to the first 2FA login', () => {
  let running: RunningTestServer;

  useTestServer((started) => ({ running } = started));

  /** Follows an activation link in a new browser through password and TOTP enrolment; returns what the user now knows. */
  async function activateWithTotp(link: string, password: string): Promise<{ browser: Browser; secret: Buffer; done: Page }> {
    const browser = new Browser();
    const form = await browser.follow(link);
    expect(form.status).toBe(200);
    expect(new URL(form.url).pathname).toBe('/activate/password');
    expect(form.url).not.toContain('token='); // the token left the address bar at once
    const afterPassword = await browser.request(`${running.issuer}/activate/password`, {
      form: { csrf: inputValue(form.body, 'csrf'), password, confirmation: password },
    });
    expect(afterPassword.status).toBe(303);
    const methodPage = await browser.follow(new URL(afterPassword.headers.get('location') as string, running.issuer).toString());
    expect(methodPage.body).toContain('How do you want to receive one-time codes?');
    const toTotp = await browser.request(`${running.issuer}/activate/method`, { form: { csrf: inputValue(methodPage.body, 'csrf'), method: 'totp' } });
    const qrPage = await browser.follow(new URL(toTotp.headers.get('location') as string, running.issuer).toString());
    expect(qrPage.body).toContain('data:image/png;base64,');
    // The user types the key shown on the page into their app (a QR decode is the browser test's job).
    const manualKey = /<code class="manual-key"[^>]*>([A-Z2-7 ]+)<\/code>/.exec(qrPage.body)?.[1] as string;
    const secret = secretFromUri(`otpauth://totp/x?secret=${manualKey.replace(/ /g, '')}`);
    running.clock.advance(running.config.totp.period);
    const confirmed = await browser.request(`${running.issuer}/activate/enrol-totp`, {
      form: { csrf: inputValue(qrPage.body, 'csrf'), code: rfc6238(secret, running.clock.now().getTime() / 1000) },
    });
    expect(confirmed.status).toBe(303);
    const done = await browser.follow(new URL(confirmed.headers.get('location') as string, running.issuer).toString());
    expect(new URL(done.url).pathname).toBe('/activate/done');
    expect(done.body).toContain('Your login is ready');
    // It says where to log in now.
    expect(done.body).toContain(`<a href="${TERMINAL.loginStart}">Log in to CCASS Terminal</a>`);
    return { browser, secret, done };
  }

  it('works end to end', async () => {
    const { queries } = running.server;
    await addParticipant(queries, { id: 'B01234', name: 'Example Securities Ltd' }, { name: 'test' });
    await addUser(queries, { participantId: 'B01234', userId: 'TRADER1', displayName: 'Chan Tai Man' }, { name: 'test' });

    // 1. HKSCC registers the firm's DA; the DA gets an activation email over SMTP.
    const added = await addDelegatedAdministrator(
      running.server.activation,
      { participantId: 'B01234', userId: 'ADMIN1', email: 'admin1@example-securities.hk', displayName: 'Wong Siu Ming' },
      operatorActor('test'),
    );
    expect(added).toMatchObject({ change: 'created', registration: { outcome: 'registered', activation: { queued: true } } });
    const daMail = await running.mail.mailTo('admin1@example-securities.hk');
    expect(daMail.subject).toBe('Set up your CCASS login / 設定您的中央結算系統登入');
    // A DA is not sent to "your Delegated Administrator" (themselves), and learns where DMS is.
    expect(daMail.text).not.toMatch(/your Delegated Administrator/i);
    expect(daMail.text).toContain(`register your firm's users in DMS at ${running.issuer}/dms`);
    const daPassword = 'harbour ferry lantern morning';
    const daActivation = await activateWithTotp(activationLinkIn(daMail), daPassword);
    // A DA is sent on to DMS, and is not told to ask their Delegated Administrator (themselves).
    expect(daActivation.done.body).toContain('<a href="/dms">Go to DMS');
    expect(daActivation.done.body).toContain('ask another Delegated Administrator of your firm');
    const da: SeededUser = { participantId: 'B01234', userId: 'ADMIN1', password: daPassword, subject: added.user.subject, totpSecret: daActivation.secret };

    // 2. The DA opens DMS and logs in through the provider with password + TOTP.
    const browser = new Browser();
    const loginPage = await browser.follow(`${running.issuer}/dms`);
    expect(loginPage.body).toContain('Log in to CCASS DMS');
    const start: AuthorizationStart = { browser, loginPage, interactionUrl: loginPage.url, codeVerifier: '', state: '', nonce: '' };
    const codePage = await passwordStep(start, { participantId: 'b01234', userId: 'admin1', password: daPassword });
    const afterCode = await submitCode(start, codePage, nextTotp(running, da));
    const home = await browser.follow(new URL(afterCode.headers.get('location') as string, afterCode.url).toString());
    expect(home.status).toBe(200);
    expect(new URL(home.url).pathname).toBe('/dms');
    expect(home.body).toContain('Users of B01234');
    expect(home.body).toContain('TRADER1');
    expect(home.body).toMatch(/No email registered: <strong>1<\/strong>/);
    const dms = dmsSession(running, browser, home);

    // 3. The DA registers TRADER1's designated email on the user's page.
    const userPage = await browser.request(`${running.issuer}/dms/users/TRADER1`);
    expect(userPage.body).toContain('Register designated email');
    const registered = await browser.request(`${running.issuer}/dms/users/TRADER1/email`, { form: { csrf: dms.csrf, email: 'Chan.TaiMan@Example-Securities.hk' } });
    expect(registered.status).toBe(303);
    const afterRegister = await browser.follow(new URL(registered.headers.get('location') as string, running.issuer).toString());
    expect(afterRegister.body).toContain('An activation email is on its way');
    expect(afterRegister.body).toContain('Activation email sent');

    // 4. The user activates: password, then an authenticator app.
    const userMail = await running.mail.mailTo('chan.taiman@example-securities.hk');
    expect(userMail.text).toContain('CCASS user TRADER1 of participant B01234');
    const userPassword = 'kowloon tram sunrise tea';
    const activation = await activateWithTotp(activationLinkIn(userMail), userPassword);
    expect((await dms.api('GET', '/dms/api/users/TRADER1')).body).toMatchObject({ state: 'ready', secondFactor: 'totp', hasPassword: true });

    // 5. CCASS Terminal logs the user in with openid-client: password + TOTP, acr/amr say so.
    const config = await client.discovery(new URL(running.issuer), TERMINAL.clientId, undefined, client.ClientSecretBasic(TERMINAL.clientSecret), {
      execute: [client.allowInsecureRequests],
    });
    const verifier = client.randomPKCECodeVerifier();
    const nonce = client.randomNonce();
    const state = client.randomState();
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: TERMINAL.redirectUri,
      scope: 'openid profile email',
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      nonce,
      state,
    });
    const terminalBrowser = new Browser();
    const terminalLogin = await terminalBrowser.follow(url.toString());
    const terminalStart: AuthorizationStart = { browser: terminalBrowser, loginPage: terminalLogin, interactionUrl: terminalLogin.url, codeVerifier: verifier, state, nonce };
    const terminalCode = await passwordStep(terminalStart, { participantId: 'B01234', userId: 'TRADER1', password: userPassword });
    expect(terminalCode.body).toContain('Open your authenticator app');
    running.clock.advance(running.config.totp.period);
    const accepted = await submitCode(terminalStart, terminalCode, rfc6238(activation.secret, running.clock.now().getTime() / 1000));
    const callback = await terminalBrowser.follow(new URL(accepted.headers.get('location') as string, accepted.url).toString(), {}, (next) =>
      next.toString().startsWith(TERMINAL.redirectUri),
    );
    const tokens = await client.authorizationCodeGrant(config, new URL(callback.url), { pkceCodeVerifier: verifier, expectedNonce: nonce, expectedState: state, idTokenExpected: true });
    expect(tokens.claims()).toMatchObject({
      participant_id: 'B01234',
      user_id: 'TRADER1',
      email: 'chan.taiman@example-securities.hk',
      acr: ACR.twoFactor,
      amr: [AMR.password, AMR.oneTimePassword, AMR.multipleFactors, 'totp'],
    });

    // 6. The firm's audit trail shows every step, in DMS.
    const trail = await dms.api('GET', '/dms/api/audit?userId=TRADER1');
    const types = (trail.body.events as Array<{ type: string; actor: string }>).map((event) => event.type);
    expect(types).toEqual(expect.arrayContaining(['email.register', 'activation.send', 'activation.password', 'second_factor.enrol', 'login.password', 'login.totp', 'login']));
    const register = (trail.body.events as Array<{ type: string; actor: string; ip: string }>).find((event) => event.type === 'email.register');
    expect(register).toMatchObject({ actor: 'da:B01234/ADMIN1', ip: expect.stringContaining('127.0.0.1') });
    const login = (trail.body.events as Array<{ type: string; details: Record<string, unknown> }>).find((event) => event.type === 'login');
    expect(login?.details).toMatchObject({ method: 'pwd+totp', phase: 'parallel-run' });
  });

  it('lets a user choose email codes instead, confirmed by a first code', async () => {
    const { queries } = running.server;
    if (!(await queries.participants.findById('B01234'))) await addParticipant(queries, { id: 'B01234', name: 'Example' }, { name: 'test' });
    await addUser(queries, { participantId: 'B01234', userId: 'CLERK2', displayName: 'Lee Ka Yan', email: undefined }, { name: 'test' });
    const user = await queries.users.findByLogin('B01234', 'CLERK2');
    const { registerDesignatedEmail } = await import('../../src/enrolment/activation-links.js');
    await registerDesignatedEmail(running.server.activation, user!, 'clerk2@example.hk', operatorActor('test'));
    const link = activationLinkIn(await running.mail.mailTo('clerk2@example.hk'));

    const browser = new Browser();
    const form = await browser.follow(link);
    const password = 'peak tram bamboo lantern';
    const method = await browser.follow(`${running.issuer}/activate/password`, { form: { csrf: inputValue(form.body, 'csrf'), password, confirmation: password } });
    const codePage = await browser.follow(`${running.issuer}/activate/method`, { form: { csrf: inputValue(method.body, 'csrf'), method: 'email' } });
    expect(codePage.body).toContain('Enter the 6-digit code emailed');
    const codeMail = await running.mail.mailTo('clerk2@example.hk', 2);
    // The email says what the code is for: setting up the login, not logging in.
    expect(codeMail.subject).toBe('Your code to set up your CCASS login / 設定中央結算系統登入所需的一次性密碼');
    expect(codeMail.text).toContain('完成設定您的中央結算系統登入所需的一次性密碼為：');
    expect(codeMail.text).not.toContain('logging in');
    const code = codeIn(codeMail);
    const wrong = await browser.request(`${running.issuer}/activate/otp`, { form: { csrf: inputValue(codePage.body, 'csrf'), code: code === '000000' ? '111111' : '000000' } });
    expect(wrong.status).toBe(401);
    const confirmed = await browser.request(`${running.issuer}/activate/otp`, { form: { csrf: inputValue(wrong.body, 'csrf'), code } });
    expect(confirmed.status).toBe(303);
    const done = await browser.follow(new URL(confirmed.headers.get('location') as string, running.issuer).toString());
    expect(done.body).toContain('sent to your designated email address');
    // Its language switch shows the same page in Chinese (it used to lead to another one).
    const switchHref = /<a href="([^"]+)"[^>]*id="language-switch"/.exec(done.body)?.[1] as string;
    const chinese = await browser.follow(new URL(switchHref.replace(/&amp;/g, '&'), done.url).toString());
    expect(new URL(chinese.url).pathname).toBe('/activate/done');
    expect(chinese.body).toContain('您的登入已設定完成');
    expect(chinese.body).toContain(`<a href="${TERMINAL.loginStart}">登入中央結算系統終端機</a>`);
    expect(await queries.users.findByLogin('B01234', 'CLERK2')).toMatchObject({ status: 'active', second_factor: 'email' });

    // Logging in at once: the activation's code was used, so it holds back nothing — this login
    // gets a real code of its own (it used to say "we sent a code" while none was sent).
    const login = await startAuthorization(running.issuer);
    const sent = await passwordStep(login, { participantId: 'B01234', userId: 'CLERK2', password });
    expect(sent.body).toContain('Enter the 6-digit code emailed');
    const loginCode = codeIn(await running.mail.mailTo('clerk2@example.hk', 3));
    // The activation's code is worth nothing here: it belonged to the set-up.
    if (loginCode !== code) expect((await submitCode(login, sent, code)).status).toBe(401);
    expect((await submitCode(login, sent, loginCode)).status).toBe(303);
  });
});
