/**
 * Our paths in another case are not ours. @koa/router matches routes in any case by default,
 * but a router.use() middleware only in the case it was written in: `/DMS/API/session`
 * reached the DMS API's handler without its sign-in and CSRF middlewares (a 500 at best).
 * Every router is case-sensitive now (web/router-gate.ts refuses one that is not), so such a
 * path is answered as any unknown path is: our 404 page, and nothing runs.
 */
import { type TestDatabase } from '../support/database.js';
import { type RunningTestServer, useTestServer } from '../support/server.js';

describe('paths of ours in another case', () => {
  let running: RunningTestServer;
  let database: TestDatabase;
  useTestServer((started) => ({ running, database } = started));

  const OTHER_CASE = [
    ['GET', '/DMS/API/session'],
    ['GET', '/dms/API/session'],
    ['GET', '/Dms/api/users'],
    ['POST', '/DMS/API/users'],
    ['GET', '/DMS'],
    ['GET', '/DMS/users'],
    ['GET', '/dms/Users'],
    ['GET', '/INTERACTION/abc'],
    ['POST', '/Interaction/abc/login'],
    ['GET', '/ACCOUNT'],
    ['GET', '/Activate/abc'],
    ['GET', '/HEALTHZ'],
    ['GET', '/Status'],
    ['GET', '/Assets/app.css'],
  ] as const;

  it.each(OTHER_CASE)('%s %s is an unknown path: 404, and nothing is written', async (method, path) => {
    const before = await database.db('audit_events').count({ n: '*' }).first();
    const response = await fetch(`${running.issuer}${path}`, {
      method,
      redirect: 'manual',
      headers: { accept: 'text/html', ...(method === 'POST' ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
      ...(method === 'POST' ? { body: 'participantId=B01234&userId=ALICE&password=x' } : {}),
    });
    expect({ path, status: response.status }).toEqual({ path, status: 404 });
    expect(await database.db('audit_events').count({ n: '*' }).first()).toEqual(before);
  });

  it('still answers the same paths in their own case', async () => {
    expect((await fetch(`${running.issuer}/healthz`)).status).toBe(200);
    expect((await fetch(`${running.issuer}/dms/api/session`, { headers: { accept: 'application/json' } })).status).toBe(401);
  });
});
