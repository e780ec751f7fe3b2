/**
 * `ccass-auth user exception grant|revoke|list` against a real database: each change audited
 * and noticed to the user in its transaction, one live exception per user and kind (a new one
 * replaces it), bad input answered with its exit code and no change, Hong Kong time in words.
 */
import { formatHongKongTime } from '../../../src/kernel/hong-kong-time.js';
import { cliRunner } from '../../support/cli.js';
import { createTestDatabase, type TestDatabase } from '../../support/database.js';

const DAY = 86_400_000;
/** Whole minutes, as an operator writes them ("2026-12-31T18:00"). */
const hkInput = (instant: Date) => formatHongKongTime(instant).replace(' ', 'T');

describe('operator CLI: per-user exceptions', () => {
  let database: TestDatabase;
  const cli = (args: string[], env: Record<string, string> = {}) => cliRunner({ DATABASE_URL: database.url, CCASS_OPERATOR: 'ops1' })(args, env);
  const inDays = (days: number) => new Date(Math.floor((Date.now() + days * DAY) / 60_000) * 60_000);
  const liveRows = () => database.db('user_exceptions').whereNull('revoked_at');
  const mails = (to: string) => database.db('pgboss.job').where({ name: 'mail' }).whereRaw("data->>'to' = ?", [to]).orderBy('created_on');

  beforeAll(async () => {
    database = await createTestDatabase();
    expect((await cli(['participant', 'add', 'X01', '--name', 'Exception Securities'])).code).toBe(0);
    expect((await cli(['user', 'add', 'X01', 'ALICE', '--name', 'Alice', '--email', 'alice@example.com'])).code).toBe(0);
    expect((await cli(['user', 'add', 'X01', 'BOB', '--name', 'Bob'])).code).toBe(0);
  });
  afterAll(() => database.drop());

  it('grants an exception, says until when in words, audits it and queues the user’s notice', async () => {
    const until = inDays(30);
    const granted = await cli(['user', 'exception', 'grant', 'x01', 'alice', '--kind', 'smartcard_login', '--until', hkInput(until), '--reason', '  card reader  on order\t']);
    expect(granted).toMatchObject({ code: 0 });
    expect(granted.out).toMatch(/^User ALICE of participant X01 has an exception \(smartcard_login\) until \d{1,2} \w+ \d{4}, \d{2}:\d{2} \(Hong Kong time\)\.\n$/);
    const [row] = await liveRows();
    expect(row).toMatchObject({ kind: 'smartcard_login', reason: 'card reader on order', granted_by: 'operator:ops1' });
    expect(new Date(row.until).getTime()).toBe(until.getTime());
    const [audit] = await database.db('audit_events').where({ type: 'user.exception.grant' });
    expect(audit).toMatchObject({ outcome: 'success', actor: 'operator:ops1', participant_id: 'X01', user_id: 'ALICE' });
    expect(audit.details).toMatchObject({ kind: 'smartcard_login', why: 'card reader on order', until: until.toISOString() });
    // The notice is queued (sealed: its words are tested in test/unit/directory/user-exceptions.test.ts).
    expect(await mails('alice@example.com')).toEqual([expect.objectContaining({ data: expect.objectContaining({ kind: 'security-notice' }) })]);
  });

  it('lists the exceptions in force, of one participant or of all, as a table or JSON', async () => {
    const listed = await cli(['user', 'exception', 'list']);
    expect(listed.code).toBe(0);
    expect(listed.out).toMatch(/X01\s+ALICE\s+Smartcard login after the cut-off\s+.+operator:ops1\s+card reader on order/);
    expect(listed.out).not.toContain('smartcard_login'); // the kind in words; --json keeps the code
    expect((await cli(['user', 'exception', 'list', 'X02'])).out).toBe('No exception is in force.\n');
    const json = JSON.parse((await cli(['user', 'exception', 'list', 'x01', '--json'])).out);
    expect(json).toEqual([expect.objectContaining({ participantId: 'X01', userId: 'ALICE', kind: 'smartcard_login', reason: 'card reader on order' })]);
  });

  it('replaces the exception of the same kind: one stays in force, the replacement is audited', async () => {
    const replaced = await cli(['user', 'exception', 'grant', 'X01', 'ALICE', '--kind', 'smartcard_login', '--until', hkInput(inDays(60)), '--reason', 'longer']);
    expect(replaced.code).toBe(0);
    expect(replaced.out).toMatch(/It replaces the one that was to end on .+ \(Hong Kong time\)\./);
    expect(await liveRows()).toEqual([expect.objectContaining({ reason: 'longer' })]);
    const audits = await database.db('audit_events').where({ type: 'user.exception.grant' }).orderBy('id');
    expect(audits[1].details).toMatchObject({ why: 'longer', replacedWhy: 'card reader on order' });
    // Another kind is another exception.
    expect((await cli(['user', 'exception', 'grant', 'X01', 'BOB', '--kind', 'activation_deadline', '--until', hkInput(inDays(5)), '--reason', 'on leave'])).code).toBe(0);
    expect(await liveRows()).toHaveLength(2);
  });

  it('shows in `phase show`: the exceptions in force per kind and the latest end', async () => {
    const shown = await cli(['phase', 'show']);
    expect(shown.code).toBe(0);
    expect(shown.out).toMatch(/exceptions\s+activation_deadline: 1 in force, the last ending on .+ \(Hong Kong time\)\n\s+smartcard_login: 1 in force, the last ending on/);
    const json = JSON.parse((await cli(['phase', 'show', '--json'])).out);
    expect(json.exceptions).toEqual([
      { kind: 'activation_deadline', count: 1, latestUntil: expect.any(String) },
      { kind: 'smartcard_login', count: 1, latestUntil: expect.any(String) },
    ]);
  });

  it.each([
    [['--kind', 'forever', '--until', 'D+10', '--reason', 'x'], 2, /kind of exception must be one of/],
    [['--kind', 'smartcard_login', '--until', '31/12/2026', '--reason', 'x'], 2, /must be a date, or a date and time, in Hong Kong time/],
    [['--kind', 'smartcard_login', '--until', 'D-1', '--reason', 'x'], 2, /must be in the future/],
    [['--kind', 'smartcard_login', '--until', 'D+181', '--reason', 'x'], 2, /at most 180 days from now/],
    [['--kind', 'smartcard_login', '--until', 'D+10', '--reason', '   '], 2, /Give the reason/],
    [['--kind', 'smartcard_login', '--until', 'D+10', '--reason', 'bad\u0007bell'], 2, /Give the reason/],
  ])('refuses %j with exit %i and changes nothing', async (options, code, error) => {
    const args = options.map((option) => (/^D[+-]\d+$/.test(option) ? hkInput(inDays(Number(option.slice(1)))) : option));
    const before = await database.db('user_exceptions').count({ n: '*' });
    const result = await cli(['user', 'exception', 'grant', 'X01', 'BOB', ...args]);
    expect(result.code).toBe(code);
    expect(result.error).toMatch(error);
    expect(await database.db('user_exceptions').count({ n: '*' })).toEqual(before);
  });

  it('answers an unknown user with exit 3', async () => {
    const result = await cli(['user', 'exception', 'grant', 'X01', 'NOBODY', '--kind', 'smartcard_login', '--until', hkInput(inDays(3)), '--reason', 'x']);
    expect(result).toMatchObject({ code: 3 });
  });

  it('revokes: the exception ends now, audited and noticed; revoking again is exit 3', async () => {
    const revoked = await cli(['user', 'exception', 'revoke', 'X01', 'ALICE', '--kind', 'smartcard_login', '--reason', 'card arrived']);
    expect(revoked.code).toBe(0);
    expect(revoked.out).toMatch(/^The exception \(smartcard_login\) of user ALICE of participant X01, which was to end on .+, has ended\.\n$/);
    expect(await liveRows()).toEqual([expect.objectContaining({ kind: 'activation_deadline' })]);
    const [audit] = await database.db('audit_events').where({ type: 'user.exception.revoke' });
    expect(audit).toMatchObject({ actor: 'operator:ops1', user_id: 'ALICE' });
    expect(audit.details).toMatchObject({ kind: 'smartcard_login', why: 'card arrived' });
    expect(await mails('alice@example.com')).toHaveLength(3); // granted, replaced, revoked
    expect(await cli(['user', 'exception', 'revoke', 'X01', 'ALICE', '--kind', 'smartcard_login'])).toMatchObject({ code: 3 });
    expect((await cli(['user', 'exception', 'revoke', 'X01', 'ALICE', '--kind', 'nonsense'])).code).toBe(2);
  });

  it('speaks Chinese to a Chinese-speaking operator', async () => {
    const listed = await cli(['--lang', 'zh-Hant', 'user', 'exception', 'list', 'X01']);
    expect(listed.out).toMatch(/^參與者\s+用戶\s+類別\s+直至/);
    expect(listed.out).toContain('電郵登記期限後的啟用');
    expect(listed.out).not.toContain('activation_deadline');
    const refused = await cli(['--lang', 'zh-Hant', 'user', 'exception', 'revoke', 'X01', 'ALICE', '--kind', 'smartcard_login']);
    expect(refused.error).toBe('參與者 X01 的用戶 ALICE 沒有生效中的 smartcard_login 類別豁免。');
  });
});
