/**
 * What one full login costs the database: authorization request → password → TOTP → code
 * exchange. Counted statement by statement (a count is exact, unlike a time: `npm run bench`
 * measures speed), so a change that adds a round trip to every login shows here.
 */
import { exchangeCode, followToCallback, passwordStep, startAuthorization, submitCode } from '../support/flows.js';
import { type TestDatabase } from '../support/database.js';
import { seedUser, type RunningTestServer, useTestServer } from '../support/server.js';
import { rfc6238 } from '../support/totp.js';

/** "select users", "insert audit_events": what a statement does, and to which table. */
function statementLabel(sql: string): string {
  const text = sql.trim().toLowerCase();
  const verb = /^\w+/.exec(text)?.[0] ?? '?';
  const table = /\b(?:from|into|update)\s+"?([a-z_.]+)"?/.exec(text)?.[1] ?? '';
  return `${verb} ${table}`.trim();
}

describe('the cost of a login', () => {
  let database: TestDatabase;
  let running: RunningTestServer;
  // As the benchmark runs it: per-address limits off (their statements belong to the limits, not to the login).
  useTestServer((started) => ({ database, running } = started), { rateLimits: { enabled: false } });

  it('takes at most 20 SQL statements for a full password + TOTP login', async () => {
    const user = await seedUser(running.server, running.config, { participantId: 'B01234', userId: 'COUNTED', email: 'counted@example.com' }, running.clock);
    await running.server.policy.current(); // the phase policy's cache is warm on a running node
    const statements: string[] = [];
    const listener = (query: { sql: string }) => statements.push(statementLabel(query.sql));
    database.db.on('query', listener);
    try {
      const start = await startAuthorization(running.issuer);
      const codePage = await passwordStep(start, { participantId: user.participantId, userId: user.userId, password: user.password });
      const done = await submitCode(start, codePage, rfc6238(user.totpSecret as Buffer, running.clock.now().getTime() / 1000));
      await exchangeCode(running.http, start, await followToCallback(start, done));
    } finally {
      database.db.removeListener('query', listener);
    }
    const byStatement = statements.reduce<Record<string, number>>((counts, label) => ({ ...counts, [label]: (counts[label] ?? 0) + 1 }), {});
    if (process.env['PRINT_SQL']) process.stderr.write(`${statements.length} statements: ${JSON.stringify(byStatement)}\n`);
    // The breakdown is in the failure message: which table a new statement went to.
    expect({ statements: statements.length <= 20 ? 'at most 20' : statements.length, byStatement }).toEqual({ statements: 'at most 20', byStatement });
  });
});
