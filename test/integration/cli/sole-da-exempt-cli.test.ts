/**
 * `ccass-auth participant sole-da-exempt <id> on|off --reason`: the operator's exemption that
 * lets a firm's only DA act without maker-checker, against a real database — audited with its
 * reason, bad input answered with its exit code and no change.
 */
import { cliRunner } from '../../support/cli.js';
import { createTestDatabase, type TestDatabase } from '../../support/database.js';

describe('operator CLI: the sole-DA exemption', () => {
  let database: TestDatabase;
  const cli = (args: string[]) => cliRunner({ DATABASE_URL: database.url, CCASS_OPERATOR: 'ops1' })(args, {});
  const exempt = async () => (await database.db('participants').where({ id: 'S01' }).first('sole_da_exempt')).sole_da_exempt as boolean;

  beforeAll(async () => {
    database = await createTestDatabase();
    expect((await cli(['participant', 'add', 'S01', '--name', 'Sole Securities'])).code).toBe(0);
  });
  afterAll(() => database.drop());

  it('turns the exemption on and off, each time audited with the operator and the reason', async () => {
    const on = await cli(['participant', 'sole-da-exempt', 's01', 'on', '--reason', '  sole proprietorship,  application 17 ']);
    expect(on).toMatchObject({ code: 0, out: 'Participant S01 is exempt from maker-checker while it has one active DA.\n' });
    expect(await exempt()).toBe(true);
    expect((await cli(['participant', 'sole-da-exempt', 'S01', 'on', '--reason', 'again'])).out).toBe('Participant S01 was already so: nothing changed.\n');
    const off = await cli(['participant', 'sole-da-exempt', 'S01', 'off', '--reason', 'second DA registered']);
    expect(off).toMatchObject({ code: 0, out: 'Participant S01 is no longer exempt from maker-checker.\n' });
    expect(await exempt()).toBe(false);
    const audits = await database.db('audit_events').where({ type: 'participant.sole_da_exempt' }).orderBy('id');
    expect(audits.map((row: { actor: string; participant_id: string; details: unknown }) => [row.actor, row.participant_id, row.details])).toEqual([
      ['operator:ops1', 'S01', { exempt: true, reason: 'sole proprietorship, application 17', changed: true }],
      ['operator:ops1', 'S01', { exempt: true, reason: 'again', changed: false }],
      ['operator:ops1', 'S01', { exempt: false, reason: 'second DA registered', changed: true }],
    ]);
  });

  it('refuses a state other than on or off, an empty reason and an unknown participant, changing nothing', async () => {
    const before = await database.db('audit_events').where({ type: 'participant.sole_da_exempt' }).count('* as count').first();
    const wrongState = await cli(['participant', 'sole-da-exempt', 'S01', 'yes', '--reason', 'x']);
    expect(wrongState.code).not.toBe(0);
    expect(wrongState.err).toContain('Say "on" or "off".');
    const noReason = await cli(['participant', 'sole-da-exempt', 'S01', 'on', '--reason', '   ']);
    expect(noReason.code).not.toBe(0);
    expect(noReason.err).toContain('Give the reason with --reason');
    const unknown = await cli(['participant', 'sole-da-exempt', 'NOPE1', 'on', '--reason', 'x']);
    expect(unknown.code).not.toBe(0);
    expect(unknown.err).toContain('participant NOPE1 does not exist');
    expect(await exempt()).toBe(false);
    expect(await database.db('audit_events').where({ type: 'participant.sole_da_exempt' }).count('* as count').first()).toEqual(before);
  });
});
