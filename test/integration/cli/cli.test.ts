/**
 * The operator CLI, run in-process against a real database (DATABASE_URL points the
 * command at this test's own database, exactly as an operator's environment would): the
 * commands, the exit codes of the README's table, and each failure printed once.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { cliRunner, type StdinContent } from '../../support/cli.js';
import { createTestDatabase, databaseUrl, withAdminClient, type TestDatabase } from '../../support/database.js';

const VERSION = (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** How many times `text` occurs in `within`. */
function occurrences(within: string, text: string): number {
  return within.split(text).length - 1;
}

describe('operator CLI', () => {
  let database: TestDatabase;
  let dir: string;
  beforeAll(async () => {
    database = await createTestDatabase();
    dir = await mkdtemp(path.join(tmpdir(), 'ccass-cli-'));
  });
  afterAll(async () => {
    await database.drop();
    await rm(dir, { recursive: true, force: true });
  });

  /** Runs one command; returns its output and the exit code the real binary would use. */
  async function cli(args: string[], stdin: StdinContent = '', env: Record<string, string> = {}) {
    return cliRunner({ DATABASE_URL: database.url }, () => stdin)(args, env);
  }

  it('migrates (idempotently)', async () => {
    expect(await cli(['migrate'])).toEqual({ code: 0, out: 'database is up to date\n', err: '' });
  });

  it('prints its version and its help, with exit code 0', async () => {
    expect(await cli(['--version'])).toEqual({ code: 0, out: `${VERSION}\n`, err: '' });
    expect(await cli(['-V'])).toMatchObject({ code: 0, out: `${VERSION}\n` });
    const help = await cli(['--help']);
    expect(help).toMatchObject({ code: 0, err: '' });
    expect(help.out).toMatch(/^Usage: ccass-auth \[options\] \[command\]/);
    expect(help.out).toContain('--version');
    expect(help.out).toContain('participant');
  });

  it('adds a participant and a user, sets a password from stdin and lists the user', async () => {
    expect(await cli(['participant', 'add', 'b01234', '--name', 'Example Securities Ltd'])).toMatchObject({ code: 0, out: 'participant B01234 added\n' });
    expect(await cli(['user', 'add', 'B01234', 'alice', '--name', 'Alice Chan', '--email', 'Alice@Example.com'])).toMatchObject({
      code: 0,
      out: 'user ALICE added to B01234 (status pending)\n',
    });
    expect(await cli(['user', 'set-password', 'B01234', 'ALICE'], 'correct horse battery staple\n')).toMatchObject({ code: 0, out: 'password set for ALICE at B01234\n' });

    const listed = await cli(['user', 'list', '--participant', 'B01234', '--json']);
    expect(JSON.parse(listed.out)).toEqual([
      expect.objectContaining({ participantId: 'B01234', userId: 'ALICE', email: 'alice@example.com', status: 'active', hasPassword: true }),
    ]);
    const table = await cli(['user', 'list']);
    expect(table.out).toMatch(/^PARTICIPANT\s+USER\s+STATUS\s+PASSWORD\s+2FA/);
    expect(table.out).toMatch(/B01234\s+ALICE\s+active\s+yes/);
    expect((await cli(['participant', 'list'])).out).toMatch(/^PARTICIPANT\s+STATUS\s+NAME\nB01234\s+active\s+Example Securities Ltd\n$/);

    const stored = await database.db('users').where({ user_id: 'ALICE' }).first();
    expect(stored.password_hash).toMatch(/^\$argon2id\$/);
    const audit = await database.db('audit_events').where({ type: 'user.password.set' }).first();
    expect(audit).toMatchObject({ actor: 'operator:test-operator', participant_id: 'B01234', user_id: 'ALICE' });
    expect(JSON.stringify(await database.db('audit_events'))).not.toContain('correct horse');
  });

  it('never accepts the password as an argument, and never echoes one', async () => {
    const result = await cli(['user', 'set-password', 'B01234', 'ALICE', 'correct horse battery staple']);
    expect(result).toMatchObject({ code: 2, error: expect.stringContaining('too many arguments for "set-password"') });
    expect(result.err).not.toContain('correct horse');
  });

  it('refuses a weak password with exit code 2, saying why once, and keeps the old one', async () => {
    const before = await database.db('users').where({ user_id: 'ALICE' }).first();
    const result = await cli(['user', 'set-password', 'B01234', 'ALICE'], 'short');
    expect(result).toMatchObject({ code: 2, error: expect.stringContaining('at least 12 characters') });
    expect(occurrences(result.err, 'at least 12 characters')).toBe(1);
    expect((await database.db('users').where({ user_id: 'ALICE' }).first()).password_hash).toBe(before.password_hash);
  });

  describe('a password typed twice or piped with its confirmation', () => {
    const hashOf = async () => (await database.db('users').where({ user_id: 'ALICE' }).first()).password_hash as string;

    it('refuses two different entries on a terminal with exit code 2, changing nothing', async () => {
      const before = await hashOf();
      const result = await cli(['user', 'set-password', 'B01234', 'ALICE'], { terminal: ['first long password 1', 'other long password 2'] });
      expect(result).toMatchObject({ code: 2, out: '', error: 'the two passwords typed are not the same; nothing was changed' });
      expect(await hashOf()).toBe(before);
    });

    it('refuses a piped confirmation that differs with exit code 2, changing nothing', async () => {
      const before = await hashOf();
      const result = await cli(['user', 'set-password', 'B01234', 'ALICE'], 'first long password 1\nother long password 2\n');
      expect(result).toMatchObject({ code: 2, error: expect.stringContaining('the second line piped in (the confirmation) is not the same as the first') });
      expect(await hashOf()).toBe(before);
    });

    it('accepts the same password twice, on a terminal or piped', async () => {
      const before = await hashOf();
      expect(await cli(['user', 'set-password', 'B01234', 'ALICE'], { terminal: ['same long password 3', 'same long password 3'] })).toMatchObject({ code: 0 });
      expect(await hashOf()).not.toBe(before);
      expect(await cli(['user', 'set-password', 'B01234', 'ALICE'], 'same long password 4\nsame long password 4\n')).toMatchObject({ code: 0 });
    });

    it('asks nothing for a user who does not exist (exit 3)', async () => {
      const result = await cli(['user', 'set-password', 'B01234', 'NOBODY'], { terminal: ['never asked 12345', 'never asked 12345'] });
      expect(result).toMatchObject({ code: 3, error: 'no user NOBODY at participant B01234' });
    });
  });

  it('answers bad input with clear errors and distinct exit codes, each printed once, changing nothing', async () => {
    const usersBefore = await database.db('users').orderBy('id');
    const cases: Array<[string[], number, RegExp]> = [
      [['participant', 'add', 'B01234', '--name', 'Again'], 4, /participant B01234 already exists/i],
      [['participant', 'add', 'B0!', '--name', 'Bad'], 2, /participant ID must be 2-10 letters or digits/],
      [['user', 'add', 'Z99999', 'bob', '--name', 'Bob'], 3, /participant Z99999 does not exist/i],
      [['user', 'add', 'B01234', 'alice', '--name', 'Alice again'], 4, /ALICE/],
      [['user', 'add', 'B01234', 'carol', '--name', 'Carol', '--email', 'not-an-email'], 2, /email must be an address/],
      [['user', 'set-password', 'B01234', 'NOBODY'], 3, /no user NOBODY/],
      [['user', 'add', 'B01234', 'dave'], 2, /the option --name <display-name> is required/],
      [['no-such-command'], 2, /unknown command "no-such-command"/],
      [['user', 'lst'], 2, /unknown command "lst"/],
      [['user', 'add', 'B01234', 'eve', '--name', 'Eve', '--bogus'], 2, /unknown option "--bogus"/],
      [['keys', 'add', '--alg'], 2, /the option --alg <alg> needs a value/],
    ];
    for (const [args, code, text] of cases) {
      const result = await cli(args);
      expect({ args, code: result.code, out: result.out }).toEqual({ args, code, out: '' });
      expect(result.error).toMatch(text);
      // One "error:" line group, and the same sentence never twice (commander's own output plus ours, for one).
      expect(occurrences(result.err, 'error: ')).toBe(1);
      expect(result.err.match(new RegExp(text.source, `g${text.flags}`))).toHaveLength(1);
      expect(result.err).not.toContain('Usage:');
    }
    expect((await cli(['user', 'add', 'B01234', 'dave'])).err).toContain('see "ccass-auth user add --help"');
    expect((await cli(['user', 'lst'])).err).toContain('did you mean list?');
    expect(await database.db('users').orderBy('id')).toEqual(usersBefore);
  });

  it('answers an unknown participant with exit code 3 wherever one is named', async () => {
    for (const args of [
      ['user', 'list', '--participant', 'Z99999'],
      ['user', 'add', 'Z99999', 'BOB', '--name', 'Bob'],
      ['user', 'set-password', 'Z99999', 'BOB'],
      ['user', 'disable', 'Z99999', 'BOB'],
      ['audit', 'list', '--participant', 'Z99999'],
      ['report', 'readiness', '--participant', 'Z99999'],
      ['phase', 'pilot', 'add', 'Z99999'],
      ['da', 'add', 'Z99999', 'BOB', '--email', 'bob@example.com', '--name', 'Bob'],
    ]) {
      const result = await cli(args);
      expect({ args, code: result.code }).toEqual({ args, code: 3 });
      expect(result.error).toMatch(/Z99999/);
      expect(occurrences(result.err, 'error: ')).toBe(1);
    }
    // A participant that exists but has no users is no error.
    expect(await cli(['participant', 'add', 'E00000', '--name', 'Empty Securities'])).toMatchObject({ code: 0 });
    expect(await cli(['user', 'list', '--participant', 'E00000'])).toMatchObject({ code: 0, out: 'no users\n' });
  });

  it('answers a file that is not there with exit code 3, and one that cannot be read with 2', async () => {
    const missing = path.join(dir, 'missing.csv');
    expect(await cli(['user', 'import', missing])).toEqual({ code: 3, out: '', err: `error: file not found: ${missing}\n`, error: `file not found: ${missing}` });
    expect(await cli(['smartcard', 'bind', 'B01234', 'ALICE', path.join(dir, 'missing.pem')])).toMatchObject({ code: 3, error: expect.stringContaining('file not found') });
    expect(await cli(['user', 'import', dir])).toMatchObject({ code: 2, error: `cannot read ${dir} (EISDIR)` });
    // A missing configuration file is bad configuration.
    expect(await cli(['participant', 'list'], '', { CONFIG_FILE: path.join(dir, 'missing.yaml') })).toMatchObject({ code: 78, error: expect.stringContaining('missing.yaml: file not found') });
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

  it('records every change under one operator name: CCASS_OPERATOR, else the login name', async () => {
    await cli(['participant', 'add', 'N00001', '--name', 'Named Securities'], '', { CCASS_OPERATOR: 'chan.tai.man' });
    await cli(['user', 'add', 'N00001', 'U1', '--name', 'User One'], '', { CCASS_OPERATOR: 'chan.tai.man' });
    await cli(['phase', 'pilot', 'add', 'N00001'], '', { CCASS_OPERATOR: 'chan.tai.man' });
    await cli(['user', 'disable', 'N00001', 'U1'], '', { CCASS_OPERATOR: 'chan.tai.man' });
    const actors = await database.db('audit_events').where({ participant_id: 'N00001' }).distinct('actor').pluck('actor');
    expect(actors).toEqual(['operator:chan.tai.man']);

    await cli(['participant', 'add', 'N00002', '--name', 'Login Name Securities'], '', { CCASS_OPERATOR: '' });
    await cli(['phase', 'pilot', 'add', 'N00002'], '', { CCASS_OPERATOR: '' });
    const byLogin = await database.db('audit_events').where({ participant_id: 'N00002' }).distinct('actor').pluck('actor');
    expect(byLogin).toEqual([`operator:${userInfo().username}`]);
  });

  it('reports a bad configuration with exit code 78, naming the variable and its key, once', async () => {
    const result = await cli(['migrate'], '', { DATABASE_URL: 'mysql://nope' });
    expect(result).toMatchObject({ code: 78, out: '' });
    expect(result.error).toContain('DATABASE_URL: must be a postgres:// URL (the environment variable for database.url)');
    expect(result.err).not.toContain('nope');
    const port = await cli(['participant', 'list'], '', { PORT: 'abc' });
    expect(port).toMatchObject({ code: 78, error: expect.stringContaining('PORT: expected a whole number, got "abc"') });
    expect(occurrences(port.err, 'PORT')).toBe(1);
  });

  it('says once, in one line, that the database cannot be reached (exit 1)', async () => {
    const result = await cli(['participant', 'list'], '', { DATABASE_URL: 'postgres://postgres@127.0.0.1:1/none', LOG_LEVEL: 'error' });
    expect(result).toMatchObject({ code: 1, out: '', error: expect.stringContaining('cannot use the database') });
    expect(result.err.trimEnd().split('\n')).toHaveLength(1);
  });

  it('says what to do when the database has no tables yet (exit 1)', async () => {
    const name = `${database.name}_empty`;
    await withAdminClient((client) => client.query(`create database ${name}`));
    try {
      const result = await cli(['participant', 'list'], '', { DATABASE_URL: databaseUrl(name) });
      expect(result).toMatchObject({ code: 1, out: '', error: expect.stringContaining('run "ccass-auth migrate" first') });
    } finally {
      await withAdminClient((client) => client.query(`drop database if exists ${name} with (force)`));
    }
  });

  it('writes an import report per line and exits 2 when rows were rejected', async () => {
    const file = path.join(dir, 'users.csv');
    await writeFile(file, ['participant_id,user_id,display_name', 'B01234,IMP1,Importer One', 'Z99999,IMP2,Nobody', ''].join('\n'));
    const result = await cli(['user', 'import', file]);
    expect(result.code).toBe(2);
    expect(result.out).toContain('line 2: B01234/IMP1 added');
    expect(result.out).toContain('line 3: Z99999/IMP2 rejected (');
    expect(result.error).toBe('1 row(s) rejected and not applied; the other rows were applied (see above)');
  });
});

describe('operator CLI: keys', () => {
  it('generates a private JWKS that the server accepts as oidc.jwksFile', async () => {
    const result = await cliRunner({})(['keys', 'generate']);
    const jwks = JSON.parse(result.out) as { keys: Array<Record<string, string>> };
    expect(jwks.keys.map((key) => key['alg']).sort()).toEqual(['ES256', 'RS256']);
    for (const key of jwks.keys) expect(key['d']).toBeTruthy();
  });
});
