import { ANY_CLIENT } from '../../../src/policy/access.js';
/**
 * The login's use cases called as functions, without HTTP (src/login/): plain data in, a
 * tagged outcome out, on real PostgreSQL with the services the server builds. The routes
 * only parse, call and show; what a step decides and records is specified here.
 */
import { randomBytes } from 'node:crypto';
import { buildServices, type Services } from '../../../src/app/services.js';
import { createLogger } from '../../../src/observability/logger.js';
import { AMR, ACR } from '../../../src/oidc/assurance.js';
import { submitCode } from '../../../src/login/code-step.js';
import { completeLogin } from '../../../src/login/completion.js';
import { CANNOT_LOG_IN_NOW, findLogin, type Login, type LoginRequest, type LoginServices, type ResultRow } from '../../../src/login/login.js';
import { chooseEmailCodes } from '../../../src/login/method-step.js';
import { changePasswordDuringLogin } from '../../../src/login/password-change.js';
import { submitPassword } from '../../../src/login/password-step.js';
import { ACCESS_REFUSALS } from '../../../src/login/refusals.js';
import type { Phase } from '../../../src/policy/phases.js';
import { TestClock } from '../../support/clock.js';
import { createTestDatabase, type TestDatabase } from '../../support/database.js';
import { seedUser, testConfig, type SeededUser } from '../../support/server.js';
import { rfc6238 } from '../../support/totp.js';

describe('the login use cases', () => {
  let database: TestDatabase;
  let services: Services;
  let login: LoginServices;
  const clock = new TestClock();

  beforeAll(async () => {
    database = await createTestDatabase();
    const config = testConfig('http://127.0.0.1:1', database.url, { lockout: { threshold: 3 } });
    services = await buildServices(config, database.db, createLogger('silent'), { clock, workers: false });
    login = { ...services, lockout: config.lockout, passwordRules: config.password, interactionTtlSeconds: config.oidc.ttl.interaction };
  });
  afterAll(async () => {
    await services.stop();
    await database.drop();
  });

  let seq = 0;
  const user = (secondFactor: 'totp' | 'email' | 'none' = 'totp') => {
    seq += 1;
    return seedUser(services, services.config, { participantId: 'U01234', userId: `CASE${seq}`, email: `case${seq}@example.com`, secondFactor }, clock);
  };
  /** A request of a new interaction, as the routes build it from oidc-provider's. */
  const request = async (phase?: Phase): Promise<LoginRequest> => {
    const policy = await services.policy.current();
    return {
      uid: randomBytes(12).toString('base64url'),
      clientId: 'ccass-terminal',
      requirement: ANY_CLIENT,
      policy: phase ? { ...policy, phase } : policy,
      origin: { ip: '192.0.2.10', requestId: `req-${seq}` },
    };
  };
  const typed = (who: SeededUser, password = who.password) => ({ participantId: who.participantId, userId: who.userId, password });
  const audit = (type: string, who: SeededUser) => database.db('audit_events').where({ type, user_id: who.userId }).orderBy('id');
  const proven = async (req: LoginRequest) => (await findLogin(login, req)) as Login;
  const totp = (who: SeededUser) => rfc6238(who.totpSecret as Buffer, clock.now().getTime() / 1000);

  describe('the password step', () => {
    it('asks for every field before doing any work', async () => {
      expect(await submitPassword(login, await request(), { participantId: ' ', userId: 'X', password: 'p' })).toEqual({ kind: 'retry', status: 400, error: 'login.error.incomplete' });
    });

    it('answers a wrong password generically, counts it and records why', async () => {
      const who = await user();
      const req = await request();
      expect(await submitPassword(login, req, typed(who, 'not the password'))).toEqual({ kind: 'retry', status: 401, error: 'login.error.generic' });
      expect(await services.queries.users.findByLogin(who.participantId, who.userId)).toMatchObject({ failed_attempts: 1 });
      expect(await audit('login.password', who)).toEqual([expect.objectContaining({ outcome: 'failure', details: expect.objectContaining({ reason: 'wrong_password' }) })]);
      expect(await findLogin(login, req)).toBeUndefined();
    });

    it('answers an unknown user the same way, and counts nothing', async () => {
      expect(await submitPassword(login, await request(), { participantId: 'U01234', userId: 'NOBODY', password: 'whatever it is' })).toEqual({ kind: 'retry', status: 401, error: 'login.error.generic' });
    });

    it('holds a right password for this interaction only, with its audit record', async () => {
      const who = await user();
      const req = await request();
      expect(await submitPassword(login, req, typed(who))).toEqual({ kind: 'next' });
      expect(await audit('login.password', who)).toEqual([expect.objectContaining({ outcome: 'success' })]);
      expect(await proven(req)).toMatchObject({ kind: 'login', proven: ['pwd'], step: 'totp' });
      expect(await findLogin(login, await request())).toBeUndefined();
    });

    it('refuses a password login the phase does not allow, with the sentence for it', async () => {
      const who = await user();
      expect(await submitPassword(login, await request('smartcard-only'), typed(who))).toEqual({ kind: 'retry', status: 403, error: ACCESS_REFUSALS.two_factor_not_open });
      expect(await audit('login', who)).toEqual([expect.objectContaining({ outcome: 'failure', details: expect.objectContaining({ reason: 'two_factor_not_open' }) })]);
    });
  });

  describe('the code step', () => {
    it('completes with the acr and amr of password + authenticator, and leaves no progress', async () => {
      const who = await user();
      const req = await request();
      await submitPassword(login, req, typed(who));
      const outcome = await submitCode(login, await proven(req), totp(who));
      expect(outcome).toEqual({ kind: 'complete', accountId: who.subject, acr: ACR.twoFactor, amr: [AMR.password, AMR.oneTimePassword, AMR.multipleFactors, AMR.totp] });
      expect(await findLogin(login, req)).toBeUndefined();
      expect((await audit('login.totp', who)).map((row) => row.outcome)).toEqual(['success']);
      expect((await audit('login', who)).map((row) => row.outcome)).toEqual(['success']);
      expect(await services.queries.users.findByLogin(who.participantId, who.userId)).toMatchObject({ failed_attempts: 0, last_two_factor_login_at: expect.any(Date) });
    });

    it('refuses a wrong code, a replayed one (telling the user), and locks at the threshold', async () => {
      const who = await user();
      const req = await request();
      await submitPassword(login, req, typed(who));
      expect(await submitCode(login, await proven(req), '000000')).toEqual({ kind: 'retry', status: 401, error: 'otp.wrongCode', failedAttempt: true });
      const mails = async () => Number((await database.db('pgboss.job').where({ name: 'mail' }).count({ n: '*' }).first())?.n ?? 0);
      const before = await mails();
      // The code of the step the seeding confirmed: already used.
      const used = rfc6238(who.totpSecret as Buffer, clock.now().getTime() / 1000 - services.config.totp.period);
      expect(await submitCode(login, await proven(req), used)).toMatchObject({ kind: 'retry', error: 'otp.wrongCode' });
      expect(await audit('login.totp', who)).toEqual([
        expect.objectContaining({ details: expect.objectContaining({ reason: 'rejected' }) }),
        expect.objectContaining({ details: expect.objectContaining({ reason: 'replayed' }) }),
      ]);
      // A replayed code is a sign that both factors may be in other hands: the user is told (a notice queued).
      expect(await mails()).toBe(before + 1);
      expect(await submitCode(login, await proven(req), '111111')).toEqual({ ...CANNOT_LOG_IN_NOW, failedAttempt: true });
      expect(await findLogin(login, req)).toBeUndefined();
      expect(await audit('account.lock', who)).toHaveLength(1);
      expect((await services.queries.users.findByLogin(who.participantId, who.userId))?.locked_until?.getTime()).toBeGreaterThan(clock.now().getTime());
    });

    it('does not complete, nor undo the lock, when the user was locked while the last step ran', async () => {
      for (const alsoEnded of [true, false]) {
        const who = await user();
        const req = await request();
        await submitPassword(login, req, typed(who));
        const state = await proven(req); // loaded at the start of the request, before the lock
        const until = new Date(clock.now().getTime() + 3600_000);
        await services.queries.users.lock(state.user.id, until); // a DA, or a parallel wrong code
        if (alsoEnded) await services.queries.loginProgress.finish(req.uid); // what the revocation does
        expect(await submitCode(login, state, totp(who))).toEqual(CANNOT_LOG_IN_NOW);
        expect((await services.queries.users.findByLogin(who.participantId, who.userId))?.locked_until).toEqual(until);
        expect(await audit('login', who)).toEqual([]);
        expect((await findLogin(login, req))?.kind).not.toBe('login');
      }
    });

    it('of two logins completing with one code at once, completes exactly one; the other is a replay and keeps its progress', async () => {
      for (let round = 0; round < 5; round += 1) {
        const who = await user();
        const requests = [await request(), await request(), await request()];
        for (const req of requests) await submitPassword(login, req, typed(who));
        const states = await Promise.all(requests.map(proven));
        clock.advance(services.config.totp.period); // a step the seeding did not use
        const code = totp(who);
        const outcomes = await Promise.all(states.map((state) => submitCode(login, state, code)));
        expect(outcomes.filter((outcome) => outcome.kind === 'complete')).toHaveLength(1);
        expect(outcomes.filter((outcome) => outcome.kind === 'retry')).toHaveLength(2);
        expect((await audit('login.totp', who)).map((row) => [row.outcome, row.details.reason])).toEqual(expect.arrayContaining([['success', undefined], ['failure', 'replayed'], ['failure', 'replayed']]));
        expect((await audit('login', who)).map((row) => row.outcome)).toEqual(['success']);
        // The losers' logins stand where they were: the next code completes one of them.
        const losers = requests.filter((_, index) => outcomes[index]?.kind === 'retry');
        for (const req of losers) expect(await proven(req)).toMatchObject({ kind: 'login', proven: ['pwd'], step: 'totp' });
        clock.advance(services.config.totp.period);
        expect(await submitCode(login, await proven(losers[0] as LoginRequest), totp(who))).toMatchObject({ kind: 'complete' });
      }
    });

    it("writes the interaction's result in the statement that completes the login, and only when it completes", async () => {
      // The row oidc-provider resumes from, as the routes make it (rowOfSave): here a stand-in per login.
      const resultOf = (uid: string): ResultRow => async (completed) => ['Interaction', `result-${uid}`, JSON.stringify({ result: completed }), null, null, uid, null, new Date(clock.now().getTime() + 600_000)];
      const written = async (uid: string) => database.db('oidc_payloads').where({ model: 'Interaction', id_hash: `result-${uid}` }).first();
      // (Email codes complete through the same completion: the HTTP login tests resume from their result.)
      const who = await user();
      const completing = await request();
      await submitPassword(login, completing, typed(who));
      clock.advance(services.config.totp.period);
      expect(await submitCode(login, await proven(completing), totp(who), resultOf(completing.uid))).toMatchObject({ kind: 'complete', resultWritten: true, accountId: who.subject });
      expect((await written(completing.uid))?.payload).toMatchObject({ result: { accountId: who.subject, amr: expect.arrayContaining(['pwd']) } });
      // Locked while the step ran: the login does not complete, and no result is there to resume from.
      const locked = await user();
      const req = await request();
      await submitPassword(login, req, typed(locked));
      const state = await proven(req);
      await services.queries.users.lock(state.user.id, new Date(clock.now().getTime() + 3600_000));
      clock.advance(services.config.totp.period);
      expect(await submitCode(login, state, totp(locked), resultOf(req.uid))).toEqual(CANNOT_LOG_IN_NOW);
      expect(await written(req.uid)).toBeUndefined();
      // Of two logins with one code, only the one that completed has a result.
      const racer = await user();
      const requests = [await request(), await request()];
      for (const each of requests) await submitPassword(login, each, typed(racer));
      const states = await Promise.all(requests.map(proven));
      clock.advance(services.config.totp.period);
      const code = totp(racer);
      const outcomes = await Promise.all(states.map((each, index) => submitCode(login, each, code, resultOf((requests[index] as LoginRequest).uid))));
      const rows = await Promise.all(requests.map((each) => written(each.uid)));
      expect(outcomes.map((outcome) => outcome.kind === 'complete')).toEqual(rows.map((row) => row !== undefined));
      expect(rows.filter(Boolean)).toHaveLength(1);
    });

    it('uses a right code up even when the login it would complete is refused', async () => {
      const who = await user();
      const refusedRequest = await request();
      await submitPassword(login, refusedRequest, typed(who));
      clock.advance(services.config.totp.period);
      const code = totp(who);
      // The phase closed two-factor logins while this login was at its code step.
      const state = await proven(refusedRequest);
      const outcome = await submitCode(login, { ...state, request: { ...state.request, policy: { ...state.request.policy, phase: 'smartcard-only' } } }, code);
      expect(outcome).toMatchObject({ kind: 'refused', status: 403 });
      const other = await request();
      await submitPassword(login, other, typed(who));
      expect(await submitCode(login, await proven(other), code)).toMatchObject({ kind: 'retry', failedAttempt: true });
      expect((await audit('login.totp', who)).map((row) => row.details.reason)).toContain('replayed');
    });

    it('shows the page that applies when the step asks for no code', async () => {
      const who = await user('none');
      const req = await request();
      await submitPassword(login, req, typed(who));
      const state = await proven(req);
      expect(await submitCode(login, { ...state, step: 'choose-method' }, '123456')).toEqual({ kind: 'next' });
    });
  });

  describe('the other steps', () => {
    it('enrols email codes once the address is proven (no authenticator left)', async () => {
      const who = await user('none');
      const req = await request();
      await submitPassword(login, req, typed(who));
      const state = await proven(req);
      expect(state.step).toBe('email-otp');
      const outcome = await chooseEmailCodes(login, { ...state, proven: ['pwd', 'email'], step: 'choose-method' });
      expect(outcome).toMatchObject({ kind: 'complete', amr: [AMR.password, AMR.oneTimePassword, AMR.multipleFactors, AMR.email] });
      expect(await services.queries.users.findByLogin(who.participantId, who.userId)).toMatchObject({ second_factor: 'email' });
      expect(await audit('second_factor.enrol', who)).toEqual([expect.objectContaining({ details: expect.objectContaining({ method: 'email', previous: null }) })]);
    });

    it('changes the password only with the current one, refusing weak, mismatched or unchanged ones', async () => {
      const who = await user();
      const req = await request();
      await submitPassword(login, req, typed(who));
      const state = { ...(await proven(req)), proven: ['pwd', 'totp'] as Login['proven'], changePassword: true, step: 'new-password' as const };
      const change = (current: string, password: string, confirmation = password) => changePasswordDuringLogin(login, state, { current, password, confirmation });
      expect(await change('wrong', 'harbour ferry lantern dusk')).toEqual({ kind: 'retry', status: 401, error: 'change.wrongCurrent', failedAttempt: true });
      expect(await change(who.password, 'short')).toMatchObject({ kind: 'retry', status: 400, error: [{ key: 'password.problem.tooShort' }] });
      expect(await change(who.password, 'harbour ferry lantern dusk', 'harbour ferry lantern dawn')).toEqual({ kind: 'retry', status: 400, error: 'change.mismatch' });
      expect(await change(who.password, who.password)).toEqual({ kind: 'retry', status: 400, error: 'change.same' });
      expect(await change(who.password, 'harbour ferry lantern dusk')).toMatchObject({ kind: 'complete' });
      expect(await audit('user.password.change', who)).toHaveLength(1);
    });

    it('asks the phase again at the end: a login completed after the cut-over to smartcards only is refused', async () => {
      const who = await user();
      const req = await request();
      await submitPassword(login, req, typed(who));
      const state = await proven(req);
      const later = { ...state, request: { ...state.request, policy: { ...state.request.policy, phase: 'smartcard-only' as const } } };
      expect(await completeLogin(login, later, ['pwd', 'totp'])).toEqual({ kind: 'refused', status: 403, title: 'login.error.notThisWay', message: ACCESS_REFUSALS.two_factor_not_open });
      expect(await findLogin(login, req)).toBeUndefined();
    });
  });
});
