/**
 * /metrics as Prometheus scrapes it: behind a bearer token on the main port, and what a
 * login, a wrong code, an email and a lock add to it. Labels are route templates and fixed
 * names, never ids or input.
 */
import request from 'supertest';
import { type TestDatabase } from '../../support/database.js';
import { nextTotp } from '../../support/dms.js';
import { followToCallback, passwordStep, startAuthorization, submitCode } from '../../support/flows.js';
import { seedUser, type RunningTestServer, type SeededUser, useTestServer } from '../../support/server.js';

const TOKEN = 'metrics-token-for-tests-0123456789abcdef';

/** The value of one sample in Prometheus text format (0 when absent). */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const labelText = /\{(.*)\}/.exec(line)?.[1] ?? '';
    if (wanted.every((pair) => labelText.split(',').includes(pair))) return Number(line.split(' ').pop());
  }
  return 0;
}

describe('metrics', () => {
  let database: TestDatabase;
  let running: RunningTestServer;
  let user: SeededUser;

  const scrape = async () => (await request(running.http).get('/metrics').set('Authorization', `Bearer ${TOKEN}`).expect(200)).text;

  useTestServer((started) => ({ database, running } = started), { metrics: { token: TOKEN } });
  beforeAll(async () => {
    user = await seedUser(running.server, running.config, { participantId: 'B01234', userId: 'METRICS', email: 'metrics@example.com' }, running.clock);
    await seedUser(running.server, running.config, { participantId: 'B01234', userId: 'EMAILER', email: 'emailer@example.com', secondFactor: 'email' }, running.clock);
  });

  it('answers only with the token', async () => {
    const missing = await request(running.http).get('/metrics').expect(401);
    expect(missing.headers['www-authenticate']).toBe('Bearer realm="metrics"');
    expect(missing.text).not.toContain('ccass_auth');
    await request(running.http).get('/metrics').set('Authorization', 'Bearer wrong-token-of-some-length-000000000000').expect(401);
    await request(running.http).get('/metrics').set('Authorization', TOKEN).expect(401);
    const ok = await request(running.http).get('/metrics').set('Authorization', `Bearer ${TOKEN}`).expect(200);
    expect(ok.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(ok.headers['cache-control']).toBe('no-store');
  });

  it('counts logins by method, outcome and phase, and failed codes by method', async () => {
    const before = await scrape();
    const start = await startAuthorization(running.issuer);
    const codePage = await passwordStep(start, { participantId: user.participantId, userId: user.userId, password: user.password });
    expect((await submitCode(start, codePage, '000000')).status).toBe(401);
    const callback = await followToCallback(start, await submitCode(start, codePage, nextTotp(running, user)));
    expect(callback.searchParams.get('code')).toBeTruthy();
    const failed = await startAuthorization(running.issuer);
    await passwordStep(failed, { participantId: user.participantId, userId: user.userId, password: 'not the password at all' });

    const after = await scrape();
    const logins = (text: string, outcome: string) => sample(text, 'ccass_auth_logins_total', { method: 'password+otp', outcome, phase: 'parallel-run' });
    expect(logins(after, 'success') - logins(before, 'success')).toBe(1);
    expect(logins(after, 'failure') - logins(before, 'failure')).toBe(1);
    const codes = (text: string) => sample(text, 'ccass_auth_second_factor_failures_total', { method: 'totp' });
    expect(codes(after) - codes(before)).toBe(1);
  });

  it('counts emails by kind and outcome', async () => {
    const before = sample(await scrape(), 'ccass_auth_emails_total', { kind: 'one-time-code', outcome: 'sent' });
    const start = await startAuthorization(running.issuer);
    const codePage = await passwordStep(start, { participantId: 'B01234', userId: 'EMAILER', password: 'a long enough test password' });
    expect(codePage.status).toBe(200);
    await running.mail.mailTo('emailer@example.com');
    expect(sample(await scrape(), 'ccass_auth_emails_total', { kind: 'one-time-code', outcome: 'sent' })).toBe(before + 1);
  });

  it('reports the phase, the users at each stage, the database pool and request latency by route template', async () => {
    const text = await scrape();
    expect(sample(text, 'ccass_auth_phase', { phase: 'parallel-run' })).toBe(1);
    expect(sample(text, 'ccass_auth_phase', { phase: '2fa-only' })).toBe(0);
    expect(sample(text, 'ccass_auth_users', { stage: 'users' })).toBe(2);
    expect(sample(text, 'ccass_auth_users', { stage: 'second_factor_enrolled' })).toBe(2);
    // The pool the server was given (tests use a smaller one than the configured default).
    expect(sample(text, 'ccass_auth_db_pool_connections', { state: 'max' })).toBe((database.db.client as { pool: { max: number } }).pool.max);
    expect(sample(text, 'ccass_auth_http_request_duration_seconds_count', { method: 'POST', route: '/interaction/:uid/login', status: '3xx' })).toBeGreaterThan(0);
    expect(sample(text, 'ccass_auth_http_request_duration_seconds_count', { method: 'GET', route: '/auth', status: '3xx' })).toBeGreaterThan(0);
    expect(text).toMatch(/^nodejs_eventloop_lag_p99_seconds /m);
    // No interaction uid, token or user id ever becomes a label value.
    expect(text).not.toMatch(/\/interaction\/[A-Za-z0-9_-]{20,}/);
    expect(text).not.toContain('METRICS');
  });

  it('keeps scanners from adding series', async () => {
    for (const path of ['/wp-login.php', '/a/b/c', '/.env', '/interaction/x/y/z']) await request(running.http).get(path);
    const text = await scrape();
    expect(text).not.toMatch(/wp-login|\.env|\/a\/b\/c/);
    expect(sample(text, 'ccass_auth_http_request_duration_seconds_count', { method: 'GET', route: 'unmatched', status: '4xx' })).toBeGreaterThanOrEqual(3);
  });
});
