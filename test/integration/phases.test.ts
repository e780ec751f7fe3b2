/**
 * The schedule of the circular followed by the clock, with no restart: email registration
 * (pilot participants and DMS only for password + OTP), the parallel run, the cut-off. An
 * operator's pin reaches every node through PostgreSQL within `phases.refreshSeconds`.
 * `/status`, the login banner, `/metrics` and every login's audit record show the phase.
 */
import request from 'supertest';
import { operatorActor } from '../../src/kernel/actor.js';
import { addPilotParticipant, clearPhasePin, pinPhase } from '../../src/policy/phase-control.js';
import { formatHongKongTime } from '../../src/kernel/hong-kong-time.js';
import { type TestDatabase } from '../support/database.js';
import { seedDa, signInToDms } from '../support/dms.js';
import { followToCallback, passwordStep, startAuthorization, submitCode, submitLogin } from '../support/flows.js';
import { seedUser, startTestServer, type RunningTestServer, type SeededUser, useTestServer } from '../support/server.js';
import { rfc6238 } from '../support/totp.js';

const HOUR = 3600_000;

/** A schedule entry `hours` from now, on a whole minute, in the form operators write. */
function hongKongTimeIn(hours: number): string {
  const instant = new Date(Math.ceil((Date.now() + hours * HOUR) / 60_000) * 60_000);
  return formatHongKongTime(instant).replace(' ', 'T');
}

describe('migration phases on a running server', () => {
  let database: TestDatabase;
  let running: RunningTestServer;
  let pilotUser: SeededUser;
  let otherUser: SeededUser;
  const parallelRunFrom = hongKongTimeIn(1);
  const cutOffFrom = hongKongTimeIn(2);

  useTestServer((started) => ({ database, running } = started), {
    phases: {
      schedule: [
        { phase: 'email-registration', from: hongKongTimeIn(-24) },
        { phase: 'parallel-run', from: parallelRunFrom },
        { phase: '2fa-only', from: cutOffFrom },
      ],
      refreshSeconds: 5,
    },
  });
  beforeAll(async () => {
    pilotUser = await seedUser(running.server, running.config, { participantId: 'P00001', userId: 'PILOT1', email: 'pilot1@example.com' }, running.clock);
    otherUser = await seedUser(running.server, running.config, { participantId: 'B01234', userId: 'TRADER1', email: 'trader1@example.com' }, running.clock);
  });

  const code = (user: SeededUser) => {
    running.clock.advance(running.config.totp.period);
    return rfc6238(user.totpSecret as Buffer, running.clock.now().getTime() / 1000);
  };

  async function passwordAndTotp(user: SeededUser) {
    const start = await startAuthorization(running.issuer);
    const codePage = await passwordStep(start, { participantId: user.participantId, userId: user.userId, password: user.password });
    if (codePage.status !== 200 || !codePage.body.includes('name="code"')) return { start, page: codePage };
    return { start, page: await submitCode(start, codePage, code(user)) };
  }

  it('starts in email registration: /status says so and names the next switch', async () => {
    const status = await request(running.http).get('/status').expect(200);
    expect(status.headers['cache-control']).toBe('no-store');
    expect(status.body).toEqual({
      phase: 'email-registration',
      pinned: null,
      nextSwitch: { phase: 'parallel-run', at: expect.any(String), hongKongTime: parallelRunFrom.replace('T', ' ') },
      methods: { smartcard: false, twoFactor: false, twoFactorPilotsOnly: true },
      enrolment: true,
      // The second-factor deadline is the cut-off when none is configured; no email-registration deadline is.
      deadlines: { emailRegistration: null, secondFactor: { at: new Date(`${cutOffFrom}:00+08:00`).toISOString(), passed: false } },
    });
  });

  it('refuses password + OTP to a participant that is not in the pilot, and audits why', async () => {
    const start = await startAuthorization(running.issuer);
    expect(start.loginPage.body).not.toContain('name="password"');
    expect(start.loginPage.body).toContain(`Login with password and one-time code opens on`);
    const refused = await submitLogin(start, { participantId: otherUser.participantId, userId: otherUser.userId, password: otherUser.password });
    expect(refused.status).toBe(403);
    expect(refused.body).toContain('has not opened yet for your firm');
    const audit = await database.db('audit_events').where({ type: 'login', user_id: 'TRADER1' }).orderBy('id', 'desc').first();
    expect(audit).toMatchObject({ outcome: 'failure', details: { reason: 'two_factor_not_open', phase: 'email-registration' } });
  });

  it('lets a pilot participant in, once an operator names it (every node within refreshSeconds)', async () => {
    await addPilotParticipant({ queries: running.server.queries, clock: running.clock, plan: running.config.phases }, 'P00001', operatorActor('ops1'));
    running.clock.advance(running.config.phases.refreshSeconds);
    const start = await startAuthorization(running.issuer);
    expect(start.loginPage.body).toContain('name="password"');
    const { start: login, page } = await passwordAndTotp(pilotUser);
    expect(page.status).toBe(303);
    expect((await followToCallback(login, page)).searchParams.get('code')).toBeTruthy();
    const audit = await database.db('audit_events').where({ type: 'login', user_id: 'PILOT1', outcome: 'success' }).first();
    expect(audit.details).toMatchObject({ phase: 'email-registration', method: 'pwd+totp' });
  });

  it('lets a DA into DMS during email registration: DAs register the emails', async () => {
    const da = await seedDa(running, 'B01234', 'ADMIN1');
    const dms = await signInToDms(running, da);
    expect(dms.home.status).toBe(200);
    expect(dms.home.body).toContain('ADMIN1');
  });

  it('switches to the parallel run at its scheduled minute, with no restart', async () => {
    running.clock.advance((new Date(`${parallelRunFrom}:00+08:00`).getTime() - running.clock.now().getTime()) / 1000);
    expect((await request(running.http).get('/status')).body).toMatchObject({ phase: 'parallel-run', nextSwitch: { phase: '2fa-only' } });
    const start = await startAuthorization(running.issuer);
    expect(start.loginPage.body).toMatch(/Smartcard access ends on \d+ \w+ \d{4}, \d\d:\d\d \(Hong Kong time\)/);
    const { page } = await passwordAndTotp(otherUser);
    expect(page.status).toBe(303);
  });

  it('publishes the phase as a metric', async () => {
    const metrics = await request(running.http).get('/metrics').expect(200);
    expect(metrics.text).toContain('ccass_auth_phase{phase="parallel-run"} 1');
    expect(metrics.text).toContain('ccass_auth_phase{phase="2fa-only"} 0');
    expect(metrics.text).toMatch(/ccass_auth_phase_next_switch_timestamp_seconds \d{10}/);
    expect(metrics.text).toMatch(/ccass_auth_logins_total\{method="password\+otp",outcome="success",phase="parallel-run"\} \d/);
  });

  it("obeys an operator's pin on every node within refreshSeconds, and the schedule again once cleared", async () => {
    // A second node on the same database.
    const secondNode = await startTestServer(database.db, database.url, { phases: running.config.phases });
    try {
      const deps = { queries: running.server.queries, clock: running.clock, plan: running.config.phases };
      await pinPhase(deps, { phase: 'email-registration', reason: 'parallel run postponed' }, operatorActor('ops1'));
      // This node read the controls moments ago: it may keep them for refreshSeconds, no longer.
      running.clock.advance(running.config.phases.refreshSeconds);
      for (const node of [running, secondNode]) {
        expect((await request(node.http).get('/status')).body).toMatchObject({ phase: 'email-registration', pinned: { until: null }, nextSwitch: null });
      }
      await clearPhasePin(deps, operatorActor('ops1'));
      running.clock.advance(running.config.phases.refreshSeconds);
      expect((await request(running.http).get('/status')).body).toMatchObject({ phase: 'parallel-run', pinned: null });
    } finally {
      await secondNode.close();
    }
  });

  it('reaches the cut-off on time: smartcard gone from /status, password + OTP for everyone', async () => {
    running.clock.advance((new Date(`${cutOffFrom}:00+08:00`).getTime() - running.clock.now().getTime()) / 1000);
    expect((await request(running.http).get('/status')).body).toMatchObject({
      phase: '2fa-only',
      nextSwitch: null,
      methods: { smartcard: false, twoFactor: true },
      deadlines: { emailRegistration: null, secondFactor: { at: new Date(`${cutOffFrom}:00+08:00`).toISOString(), passed: true } },
    });
    const { page } = await passwordAndTotp(otherUser);
    expect(page.status).toBe(303);
    const audit = await database.db('audit_events').where({ type: 'login', user_id: 'TRADER1', outcome: 'success' }).orderBy('id', 'desc').first();
    expect(audit.details).toMatchObject({ phase: '2fa-only' });
  });
});
