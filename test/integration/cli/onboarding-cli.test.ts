/**
 * Operator commands for onboarding, run in-process against a real database and a real SMTP
 * sink: `da add` (activation email), `user import <csv>` (report per line, idempotent) and
 * `audit list` with filters. The audit table itself refuses changes. The CLI queues mail with
 * each change; a server node running beside it (as in production) sends it.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { RowProblem } from '../../../src/directory/csv-problems.js';
import { rowProblemMessage } from '../../../src/directory/csv-problem-words.js';
import { translator } from '../../../src/i18n/translate.js';
import { cliRunner } from '../../support/cli.js';
import { createTestDatabase, type TestDatabase } from '../../support/database.js';
import { activationLinkIn } from '../../support/dms.js';
import type { SmtpSink } from '../../support/smtp-sink.js';
import { startTestServer, type RunningTestServer } from '../../support/server.js';

/** A row problem as the CLI words it: src/directory/ reports a code, the catalogue says it. */
const problem = (code: RowProblem, locale: 'en' | 'zh-Hant' = 'en') => translator(locale)(rowProblemMessage(code));

describe('operator CLI: onboarding', () => {
  let database: TestDatabase;
  let node: RunningTestServer;
  let mail: SmtpSink;
  let dir: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    node = await startTestServer(database.db, database.url);
    mail = node.mail;
    dir = await mkdtemp(path.join(tmpdir(), 'ccass-cli-'));
  });
  afterAll(async () => {
    await node.close();
    await database.drop();
  });

  const cli = (args: string[], env: Record<string, string> = {}) => cliRunner({ DATABASE_URL: database.url, CCASS_OPERATOR: 'ops1' })(args, env);

  it('registers a DA and emails the activation link', async () => {
    expect((await cli(['participant', 'add', 'H00001', '--name', 'Harbour Securities'])).code).toBe(0);
    const added = await cli(['da', 'add', 'h00001', 'admin1', '--email', 'Admin1@Harbour.example', '--name', 'Ho Ka Ming']);
    expect(added.code).toBe(0);
    expect(added.out).toContain('ADMIN1 at H00001 is a Delegated Administrator (created)');
    expect(added.out).toMatch(/designated email admin1@harbour\.example: registered; activation link queued \(the server's nodes send it\), valid until /);
    const message = await mail.mailTo('admin1@harbour.example');
    expect(activationLinkIn(message)).toMatch(/^http:\/\/localhost:3000\/activate\?token=/);
    expect(await database.db('users').where({ user_id: 'ADMIN1' }).first()).toMatchObject({ role: 'da', status: 'pending' });

    const again = await cli(['da', 'add', 'H00001', 'ADMIN1', '--email', 'admin1@harbour.example']);
    expect(again.out).toContain('(unchanged)');
    expect(again.out).toContain('designated email admin1@harbour.example: unchanged; no activation link needed');
    await node.mailSettled();
    expect(mail.countTo('admin1@harbour.example')).toBe(1);
  });

  it('refuses a DA for a participant that does not exist, or without a name for a new user', async () => {
    expect(await cli(['da', 'add', 'ZZ9999', 'X', '--email', 'x@example.com', '--name', 'X'])).toMatchObject({ code: 3 });
    expect(await cli(['da', 'add', 'H00001', 'NONAME', '--email', 'x@example.com'])).toMatchObject({ code: 2, error: expect.stringContaining('--name') });
    expect(await cli(['da', 'add', 'H00001', 'ADMIN2', '--email', 'bad', '--name', 'Y'])).toMatchObject({ code: 2 });
  });

  it('refuses DA registration while enrolment is closed (exit 5)', async () => {
    const config = path.join(dir, 'closed.yaml');
    await writeFile(config, 'env: development\nphases:\n  schedule:\n    - phase: email-registration\n      from: "2099-01-01"\n');
    const refused = await cli(['da', 'add', 'H00001', 'ADMIN9', '--email', 'admin9@harbour.example', '--name', 'Late'], { CONFIG_FILE: config });
    expect(refused).toMatchObject({ code: 5, error: expect.stringContaining('has not opened yet') });
    expect(await database.db('users').where({ user_id: 'ADMIN9' }).first()).toBeUndefined();
  });

  it('imports users from a CSV file with a report per line, and again without changes', async () => {
    const file = path.join(dir, 'users.csv');
    await writeFile(
      file,
      [
        'participant_id,user_id,display_name,email',
        'H00001,T1,Tam Yee,t1@harbour.example',
        'H00001,T2,Tse Wing,',
        'ZZ9999,T3,Nobody,',
        'H00001,T4,,t4@harbour.example',
        '',
      ].join('\n'),
    );
    const first = await cli(['user', 'import', file]);
    expect(first.code).toBe(2);
    expect(first.out).toContain('line 2: H00001/T1 added');
    expect(first.out).toContain('line 3: H00001/T2 added');
    expect(first.out).toContain(`line 4: ZZ9999/T3 rejected (${problem({ code: 'no_such_participant', participant: 'ZZ9999' })})`);
    expect(first.out).toContain('participant add');
    expect(first.out).toContain(`line 5: H00001/T4 rejected (${problem({ code: 'invalid_display_name', problem: 'length' })})`);
    expect(first.out).toContain('added 2, updated 0, unchanged 0, rejected 2');
    expect(first.error).toContain('2 row(s) rejected');
    await mail.mailTo('t1@harbour.example');

    const second = await cli(['user', 'import', file, '--json']);
    const report = JSON.parse(second.out);
    expect(report.summary).toEqual({ added: 0, updated: 0, unchanged: 2, rejected: 2 });
    await node.mailSettled();
    expect(mail.countTo('t1@harbour.example')).toBe(1);
  });

  it('rejects rows with a NUL, a control character or a formula-looking value, and applies the others, with no database error', async () => {
    // Found by an independent check: the import stopped at such a row with a raw SQL error, after applying the rows before it.
    const file = path.join(dir, 'bad-cells.csv');
    await writeFile(
      file,
      [
        'participant_id,user_id,display_name,email',
        'H00001,C1,Chan One,c1@harbour.example',
        'H00001,C2,Chan\u0000Two,c2@harbour.example',
        'H00001,C3,Chan Three,c3\u0000@harbour.example',
        'H00001,C4,=cmd|calc,c4@harbour.example',
        'H00001,C5,Chan Five,+c5@harbour.example',
        'H00001,C6,Chan Six,c6@harbour.example',
        '',
      ].join('\n'),
    );
    const result = await cli(['user', 'import', file]);
    expect(result.code).toBe(2);
    expect(result.error).toBe('4 row(s) rejected and not applied; the other rows were applied (see above)');
    expect(result.out).toContain(`line 3: -/- rejected (${problem({ code: 'bad_text', column: 'display_name' })})`);
    expect(result.out).toContain(`line 4: -/- rejected (${problem({ code: 'bad_text', column: 'email' })})`);
    expect(result.out).toContain(`line 5: H00001/C4 rejected (${problem({ code: 'invalid_display_name', problem: 'formula' })})`);
    expect(result.out).toContain(`line 6: H00001/C5 rejected (${problem({ code: 'formula_email', value: '+c5@harbour.example' })})`);
    expect(result.out).toContain('added 2, updated 0, unchanged 0, rejected 4');
    const added = await database.db('users').where({ participant_id: 'H00001' }).whereIn('user_id', ['C1', 'C2', 'C3', 'C4', 'C5', 'C6']).pluck('user_id');
    expect(added.sort()).toEqual(['C1', 'C6']);
  });

  it('refuses a file with the wrong columns, importing nothing', async () => {
    const file = path.join(dir, 'wrong.csv');
    await writeFile(file, 'user,name\nX1,Someone\n');
    const result = await cli(['user', 'import', file]);
    expect(result).toMatchObject({ code: 2, error: expect.stringContaining('header row must name the columns participant_id,user_id,display_name') });
    expect(await database.db('users').where({ user_id: 'X1' }).first()).toBeUndefined();
  });

  it('lists audit events with filters', async () => {
    const all = await cli(['audit', 'list', '--participant', 'H00001', '--json']);
    const events = all.out.trim().split('\n').map((line) => JSON.parse(line) as { type: string; actor: string; participant_id: string });
    expect(events.length).toBeGreaterThan(3);
    expect(events.every((event) => event.participant_id === 'H00001')).toBe(true);
    const sends = await cli(['audit', 'list', '--type', 'activation.', '--user', 'ADMIN1', '--participant', 'H00001']);
    expect(sends.out).toMatch(/activation\.send\s+success\s+H00001\/ADMIN1\s+by operator:ops1/);
    expect((await cli(['audit', 'list', '--since', '2999-01-01T00:00Z'])).out).toBe('no events\n');
    expect(await cli(['audit', 'list', '--since', 'yesterday'])).toMatchObject({ code: 2 });
    expect(await cli(['audit', 'list', '--limit', '0'])).toMatchObject({ code: 2 });
    expect((await cli(['audit', 'list', '--limit', '1'])).out.trim().split('\n')).toHaveLength(1);
  });

  it('keeps the audit trail append-only in the database itself', async () => {
    await expect(database.db('audit_events').update({ outcome: 'success' })).rejects.toThrow(/append-only/);
    await expect(database.db('audit_events').delete()).rejects.toThrow(/append-only/);
  });
});
