/**
 * What one full login costs the database: authorization request → password → TOTP → code
 * exchange. Counted statement by statement (a count is exact, unlike a time: `npm run bench`
 * measures speed), so a change that adds a round trip to every login shows here.
 */
import { statementLabel } from '../../bench/query-count.js';
import { exchangeCode, followToCallback, passwordStep, refreshGrant, startAuthorization, submitCode } from '../support/flows.js';
import { type TestDatabase } from '../support/database.js';
import { seedUser, type RunningTestServer, useTestServer } from '../support/server.js';
import { rfc6238 } from '../support/totp.js';

describe('the cost of a login', () => {
  let database: TestDatabase;
  let running: RunningTestServer;
  // As the benchmark runs it: per-address limits off (their statements belong to the limits, not to the login).
  useTestServer((started) => ({ database, running } = started), { rateLimits: { enabled: false } });

  it('takes at most 11 SQL statements for a full password + TOTP login, and 2 for a rotating refresh', async () => {
    const user = await seedUser(running.server, running.config, { participantId: 'B01234', userId: 'COUNTED', email: 'counted@example.com' }, running.clock);
    await running.server.policy.current(); // the phase policy's cache is warm on a running node
    const statements: string[] = [];
    let tokens: { refresh_token?: string } | undefined;
    const listener = (query: { sql: string }) => statements.push(statementLabel(query.sql));
    database.db.on('query', listener);
    try {
      const start = await startAuthorization(running.issuer);
      const codePage = await passwordStep(start, { participantId: user.participantId, userId: user.userId, password: user.password });
      const done = await submitCode(start, codePage, rfc6238(user.totpSecret as Buffer, running.clock.now().getTime() / 1000));
      tokens = await exchangeCode(running.http, start, await followToCallback(start, done));
    } finally {
      database.db.removeListener('query', listener);
    }
    const byStatement = statements.reduce<Record<string, number>>((counts, label) => ({ ...counts, [label]: (counts[label] ?? 0) + 1 }), {});
    if (process.env['PRINT_SQL']) process.stderr.write(`${statements.length} statements: ${JSON.stringify(byStatement)}\n`);
    // The breakdown is in the failure message: which table a new statement went to.
    expect({ statements: statements.length <= 11 ? 'at most 11' : statements.length, byStatement }).toEqual({ statements: 'at most 11', byStatement });

    // A refresh: the token with its grant, session and account in one lookup, then the used token
    // consumed (rotation) in the statement that writes the new tokens.
    // (The first one may also move the session's idle expiry, at most once a minute: count the second.)
    const second = await refreshGrant(running.http, (await refreshGrant(running.http, tokens?.refresh_token)).refresh_token);
    const refresh: string[] = [];
    const count = (query: { sql: string }) => refresh.push(statementLabel(query.sql));
    database.db.on('query', count);
    try {
      await refreshGrant(running.http, second.refresh_token);
    } finally {
      database.db.removeListener('query', count);
    }
    expect({ count: refresh.length, last: refresh.at(-1) }).toEqual({ count: 2, last: 'with oidc_payloads' });
  });
});
