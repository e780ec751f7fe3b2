/**
 * The operator CLI, run in-process against a real database (DATABASE_URL points the
 * command at this test's own database, exactly as an operator's environment would).
 */
import { buildProgram, exitCodeFor } from '../../../src/cli/program.js';
import { cliRunner } from '../../support/cli.js';
import { createTestDatabase, type TestDatabase } from '../../support/database.js';

describe('operator CLI', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await database.drop();
  });

  /** Runs one command; returns its output and the exit code the real binary would use. */
  async function cli(args: string[], secret = '') {
    return cliRunner({ DATABASE_URL: database.url }, () => secret)(args);
  }

  it('migrates (idempotently)', async () => {
    expect(await cli(['migrate'])).toEqual({ code: 0, out: 'database is up to date\n' });
  });

  it('adds a participant and a user, sets a password from stdin and lists the user', async () => {
    expect(await cli(['participant', 'add', 'b01234', '--name', 'Example Securities Ltd'])).toMatchObject({ code: 0, out: 'participant B01234 added\n' });
    expect(await cli(['user', 'add', 'B01234', 'alice', '--name', 'Alice Chan', '--email', 'Alice@Example.com'])).toMatchObject({
      code: 0,
      out: 'user ALICE added to B01234 (status pending)\n',
    });
    expect(await cli(['user', 'set-password', 'B01234', 'ALICE'], 'correct horse battery staple')).toMatchObject({ code: 0 });

    const listed = await cli(['user', 'list', '--participant', 'B01234', '--json']);
    expect(JSON.parse(listed.out)).toEqual([
      expect.objectContaining({ participantId: 'B01234', userId: 'ALICE', email: 'alice@example.com', status: 'active', hasPassword: true }),
    ]);
    const table = await cli(['user', 'list']);
    expect(table.out).toMatch(/^PARTICIPANT\s+USER\s+STATUS\s+PASSWORD\s+2FA/);
    expect(table.out).toMatch(/B01234\s+ALICE\s+active\s+yes/);

    const stored = await database.db('users').where({ user_id: 'ALICE' }).first();
    expect(stored.password_hash).toMatch(/^\$argon2id\$/);
    const audit = await database.db('audit_events').where({ type: 'user.password.set' }).first();
    expect(audit).toMatchObject({ actor: 'operator:test-operator', participant_id: 'B01234', user_id: 'ALICE' });
    expect(JSON.stringify(await database.db('audit_events'))).not.toContain('correct horse');
  });

  it('never accepts the password as an argument', async () => {
    const result = await cli(['user', 'set-password', 'B01234', 'ALICE', 'correct horse battery staple']);
    expect(result.code).toBe(2);
  });

  it('refuses a weak password with exit code 2 and keeps the old one', async () => {
    const before = await database.db('users').where({ user_id: 'ALICE' }).first();
    const result = await cli(['user', 'set-password', 'B01234', 'ALICE'], 'short');
    expect(result).toMatchObject({ code: 2, error: expect.stringContaining('at least 12 characters') });
    expect((await database.db('users').where({ user_id: 'ALICE' }).first()).password_hash).toBe(before.password_hash);
  });

  it('answers bad input with clear errors and distinct exit codes, changing nothing', async () => {
    const usersBefore = await database.db('users').orderBy('id');
    expect(await cli(['participant', 'add', 'B01234', '--name', 'Again'])).toMatchObject({ code: 4, error: 'participant B01234 already exists' });
    expect(await cli(['participant', 'add', 'B0!', '--name', 'Bad'])).toMatchObject({ code: 2, error: expect.stringContaining('participant ID must be') });
    expect(await cli(['user', 'add', 'Z99999', 'bob', '--name', 'Bob'])).toMatchObject({ code: 3, error: 'participant Z99999 does not exist' });
    expect(await cli(['user', 'add', 'B01234', 'alice', '--name', 'Alice again'])).toMatchObject({ code: 4 });
    expect(await cli(['user', 'add', 'B01234', 'carol', '--name', 'Carol', '--email', 'not-an-email'])).toMatchObject({
      code: 2,
      error: expect.stringContaining('email must be'),
    });
    expect(await cli(['user', 'set-password', 'B01234', 'NOBODY'], 'correct horse battery staple')).toMatchObject({ code: 3 });
    expect(await cli(['user', 'add', 'B01234', 'dave'])).toMatchObject({ code: 2 }); // --name missing
    expect(await cli(['no-such-command'])).toMatchObject({ code: 2 });
    expect(await database.db('users').orderBy('id')).toEqual(usersBefore);
  });

  it('unlocks a locked user', async () => {
    await database.db('users').where({ user_id: 'ALICE' }).update({ locked_until: new Date(Date.now() + 3600_000), failed_attempts: 2 });
    expect((await cli(['user', 'list'])).out).toMatch(/ALICE\s+locked/);
    expect(await cli(['user', 'unlock', 'B01234', 'alice'])).toMatchObject({ code: 0, out: 'user ALICE at B01234 is unlocked\n' });
    expect(await database.db('users').where({ user_id: 'ALICE' }).first()).toMatchObject({ locked_until: null, failed_attempts: 0 });
  });

  it('disables and re-enables a user', async () => {
    expect(await cli(['user', 'disable', 'B01234', 'ALICE'])).toMatchObject({ code: 0, out: 'user ALICE at B01234 is now disabled\n' });
    expect(await cli(['user', 'enable', 'B01234', 'ALICE'])).toMatchObject({ code: 0, out: 'user ALICE at B01234 is now active\n' });
  });

  it('reports a bad configuration with exit code 78, naming the key', async () => {
    const program = buildProgram({ env: { DATABASE_URL: 'mysql://nope' }, out: () => undefined, err: () => undefined, readSecret: async () => '' });
    const error = await program.parseAsync(['node', 'ccass-auth', 'migrate']).catch((caught: unknown) => caught);
    expect(exitCodeFor(error)).toEqual({ code: 78, message: expect.stringContaining('database.url (from environment variable DATABASE_URL)') });
  });
});

describe('operator CLI: keys', () => {
  it('generates a private JWKS that the server accepts as oidc.jwksFile', async () => {
    let out = '';
    await buildProgram({ env: {}, out: (text) => (out += text), err: () => undefined, readSecret: async () => '' }).parseAsync(['node', 'ccass-auth', 'keys', 'generate']);
    const jwks = JSON.parse(out) as { keys: Array<Record<string, string>> };
    expect(jwks.keys.map((key) => key['alg']).sort()).toEqual(['ES256', 'RS256']);
    for (const key of jwks.keys) expect(key['d']).toBeTruthy();
  });
});
