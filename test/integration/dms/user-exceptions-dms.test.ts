/**
 * A dated per-user exception where people read it: the user's DMS page (read-only: what it
 * allows, until when, why), the firm's readiness page, the audit trail in words, and the
 * operators' readiness report (table, CSV, JSON). A DA of another firm sees none of it.
 */
import { parse } from 'csv-parse/sync';
import { grantUserException } from '../../../src/directory/user-exceptions.js';
import { operatorActor } from '../../../src/kernel/actor.js';
import { cliRunner } from '../../support/cli.js';
import type { TestDatabase } from '../../support/database.js';
import { seedDa, signInToDms, type DmsSession } from '../../support/dms.js';
import { seedUser, type RunningTestServer, useTestServer } from '../../support/server.js';

describe('per-user exceptions in DMS and the readiness report', () => {
  let database: TestDatabase;
  let running: RunningTestServer;
  let dms: DmsSession;

  useTestServer((started) => ({ database, running } = started));
  beforeAll(async () => {
    const da = await seedDa(running, 'B01234', 'ADMIN1');
    await seedUser(running.server, running.config, { participantId: 'B01234', userId: 'TRADER1', email: 'trader1@example.com' }, running.clock);
    await seedDa(running, 'A00001', 'OTHERDA');
    await grantUserException(
      { queries: running.server.queries, notices: running.server.notices, clock: running.clock },
      { participantId: 'B01234', userId: 'TRADER1' },
      { kind: 'smartcard_login', until: new Date(running.clock.now().getTime() + 20 * 86_400_000), reason: 'card reader <on order>' },
      operatorActor('ops1'),
    );
    dms = await signInToDms(running, da);
  });

  it('shows the exception on the user’s page, read-only, with the reason escaped', async () => {
    const page = await dms.browser.request(`${running.issuer}/dms/users/TRADER1`);
    expect(page.status).toBe(200);
    expect(page.body).toContain('Exceptions from the schedule');
    expect(page.body).toMatch(/Smartcard login after the cut-off: until [^<]+\. Reason: card reader &lt;on order&gt;/);
    expect(page.body).not.toContain('exception/revoke');
  });

  it('shows it in Chinese too', async () => {
    const page = await dms.browser.request(`${running.issuer}/dms/users/TRADER1?lang=zh-Hant`);
    expect(page.body).toContain('時間表豁免');
    expect(page.body).toContain('截止後的智能卡登入：直至');
  });

  it('lists it on the firm’s readiness page', async () => {
    const page = await dms.browser.request(`${running.issuer}/dms/readiness?lang=en`);
    expect(page.status).toBe(200);
    expect(page.body).toContain('Exceptions in force: 1.');
    expect(page.body).toMatch(/<a href="\/dms\/users\/TRADER1">TRADER1<\/a>: Smartcard login after the cut-off: until/);
  });

  it('puts the grant in the firm’s audit trail in words', async () => {
    const page = await dms.browser.request(`${running.issuer}/dms/audit?lang=en`);
    expect(page.body).toContain('Exception given');
    expect(page.body).toContain('card reader &lt;on order&gt;');
  });

  it('shows a DA of another firm nothing of it', async () => {
    const other = await signInToDms(running, await running.server.queries.users.findByLogin('A00001', 'OTHERDA').then(() => seedDa(running, 'A00001', 'OTHERDA2')));
    const page = await other.browser.request(`${running.issuer}/dms/users/TRADER1`);
    expect(page.body).not.toContain('card reader');
    const readiness = await other.browser.request(`${running.issuer}/dms/readiness`);
    expect(readiness.body).not.toContain('TRADER1');
  });

  it('counts and names it in the operators’ readiness report: table, CSV and JSON', async () => {
    const cli = cliRunner({ DATABASE_URL: database.url });
    const table = await cli(['report', 'readiness']);
    expect(table.out).toContain('Exceptions in force: 1.');
    expect(table.out).toMatch(/ {2}B01234 TRADER1: smartcard_login, .+ \(card reader <on order>\)/);
    const records = parse((await cli(['report', 'readiness', '--csv'])).out, { columns: true }) as Array<Record<string, string>>;
    expect(records.find((record) => record['participant_id'] === 'B01234')).toMatchObject({ exceptions: '1' });
    expect(records.find((record) => record['participant_id'] === 'A00001')).toMatchObject({ exceptions: '0' });
    const json = JSON.parse((await cli(['report', 'readiness', '--json'])).out);
    expect(json.exceptions).toEqual([expect.objectContaining({ participantId: 'B01234', userId: 'TRADER1', kind: 'smartcard_login' })]);
  });
});
