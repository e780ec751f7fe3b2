/**
 * How many SQL statements one full login costs, and which: the server is built in this
 * process on the benchmark database, and every statement knex sends is counted while one
 * login runs through real HTTP.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Config } from '../src/config/schema.js';
import { createLogger } from '../src/observability/logger.js';
import { buildServer } from '../src/app/server.js';
import type { Database } from '../src/store/database.js';
import { fullLogin, HttpClient, refreshGrant, totpCode, type Client, type Credentials } from './http-client.js';

export interface QueryCount {
  total: number;
  byStatement: Record<string, number>;
  requests: number;
}

/** "select users", "insert audit_events": what a statement does, and to which table. */
export function statementLabel(sql: string): string {
  // The statement's own verb and table, not those of its subqueries or CTEs (parenthesised, two levels deep).
  const text = sql.trim().toLowerCase().replace(/\((?:[^()]|\([^()]*\))*\)/g, '');
  const verb = /^\w+/.exec(text)?.[0] ?? '?';
  const table = /\b(?:from|into|update)\s+"?([a-z_]+)"?/.exec(text)?.[1] ?? '';
  return `${verb} ${table}`.trim();
}

export interface QueryCounts {
  login: QueryCount;
  refresh: QueryCount;
}

export async function countQueries(db: Database, config: Config, user: Credentials, client: Client): Promise<QueryCounts> {
  const server = await buildServer(config, db, createLogger('silent'));
  const http = createServer(server.app.callback());
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const httpClient = new HttpClient(`http://127.0.0.1:${(http.address() as AddressInfo).port}`, 1);
  let counting: QueryCount = { total: 0, byStatement: {}, requests: 0 };
  const listener = (query: { sql: string }) => {
    counting.total += 1;
    const label = statementLabel(query.sql);
    counting.byStatement[label] = (counting.byStatement[label] ?? 0) + 1;
    if (process.env['BENCH_PRINT_QUERIES']) process.stderr.write(`  sql: ${query.sql.slice(0, 160)}\n`);
  };
  try {
    // The same phase policy read every node does: warm it so the count is a steady-state login's.
    await server.policy.current();
    db.on('query', listener);
    const result = await fullLogin(httpClient, client, user, totpCode(user.totpSecret, Date.now() / 1000, config.totp.period));
    const login = { total: counting.total, byStatement: { ...counting.byStatement }, requests: result.requests };
    // A second refresh: the first may move the session's idle expiry, which happens at most once a minute.
    const second = await refreshGrant(httpClient, client, await refreshGrant(httpClient, client, result.refreshToken));
    counting = { total: 0, byStatement: {}, requests: 1 };
    await refreshGrant(httpClient, client, second);
    db.removeListener('query', listener);
    return { login, refresh: counting };
  } finally {
    db.removeListener('query', listener);
    await httpClient.close();
    await server.stop();
    await new Promise<void>((resolve) => http.close(() => resolve()));
  }
}
