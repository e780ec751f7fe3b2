/**
 * The CLI as an operator's shell sees it: src/cli/main.ts as a child process, with real
 * standard input, output and error streams and a real exit status. Each failure is printed
 * once (commander's own message is never printed besides ours), with the exit code of the
 * README's table; a password is read from a real pipe, and from a real terminal.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHILD_COMPILE_CACHE, runCliProcess } from '../../support/cli.js';
import { createTestDatabase, type TestDatabase } from '../../support/database.js';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const VERSION = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

/** util-linux `script` gives a child a pseudo-terminal: the only way to type at a real prompt from a test. */
const HAS_SCRIPT = spawnSync('script', ['--version'], { stdio: 'ignore' }).status === 0;

describe('the CLI binary', () => {
  let database: TestDatabase;
  let env: Record<string, string>;
  beforeAll(async () => {
    database = await createTestDatabase();
    // Hold a connection: another run's global set-up drops test databases that nobody is connected to.
    await database.db.raw('select 1');
    env = { DATABASE_URL: database.url, LOG_LEVEL: 'silent' };
    expect((await runCliProcess(['participant', 'add', 'B01234', '--name', 'Process Securities'], env)).code).toBe(0);
    expect((await runCliProcess(['user', 'add', 'B01234', 'ALICE', '--name', 'Alice Chan'], env)).code).toBe(0);
    // Two processes of their own (Node start-up, configuration, a pool): seconds when the machine is busy.
  }, 120_000);
  afterAll(() => database.drop());

  const hash = async () => (await database.db('users').where({ user_id: 'ALICE' }).first()).password_hash as string | null;

  it('prints its version and exits 0', async () => {
    expect(await runCliProcess(['--version'], {})).toEqual({ code: 0, out: `${VERSION}\n`, err: '' });
  });

  it('prints a usage error once, with a pointer to the help instead of the whole help, and exits 2', async () => {
    const result = await runCliProcess(['user', 'add', 'B01234', 'BOB'], env);
    expect(result).toEqual({
      code: 2,
      out: '',
      err: 'error: the option --name <display-name> is required\nsee "ccass-auth user add --help"\n',
      error: 'the option --name <display-name> is required\nsee "ccass-auth user add --help"',
    });
    const unknown = await runCliProcess(['participant', 'ad'], env);
    expect(unknown.code).toBe(2);
    expect(unknown.err.match(/unknown command/g)).toHaveLength(1);
    expect(unknown.err).toContain('did you mean add?');
  });

  it('exits 3 once for an unknown participant and for a file that is not there', async () => {
    expect(await runCliProcess(['user', 'list', '--participant', 'Z99999'], env)).toMatchObject({ code: 3, out: '', err: expect.stringMatching(/^error: [^\n]*Z99999[^\n]*\n$/) });
    expect(await runCliProcess(['user', 'import', path.join(ROOT, 'no-such-file.csv')], env)).toMatchObject({ code: 3, err: `error: file not found: ${path.join(ROOT, 'no-such-file.csv')}\n` });
  });

  it('exits 78 for a bad configuration, saying it in one message naming the variable', async () => {
    const result = await runCliProcess(['participant', 'list'], { ...env, PORT: 'abc' });
    expect(result.code).toBe(78);
    expect(result.err).toBe('error: the configuration is not valid (nothing was changed):\n  - PORT: expected a whole number, got "abc" (the environment variable for server.port)\n');
  });

  it('says in one line that the database cannot be reached, with no log line beside it (exit 1)', async () => {
    const result = await runCliProcess(['participant', 'list'], { DATABASE_URL: 'postgres://postgres@127.0.0.1:1/none' });
    expect(result.code).toBe(1);
    expect(result.err).toMatch(/^error: cannot use the database: [^\n]*ECONNREFUSED[^\n]*\n$/);
  });

  it('reads a password piped in: one line, or two that match; two that differ exit 2 and change nothing', async () => {
    expect(await runCliProcess(['user', 'set-password', 'B01234', 'ALICE'], env, 'piped long password 1\n')).toMatchObject({ code: 0, err: '' });
    const first = await hash();
    expect(first).toMatch(/^\$argon2id\$/);
    expect(await runCliProcess(['user', 'set-password', 'B01234', 'ALICE'], env, 'piped long password 2\npiped long password 2\n')).toMatchObject({ code: 0 });
    const second = await hash();
    expect(second).not.toBe(first);
    const mismatch = await runCliProcess(['user', 'set-password', 'B01234', 'ALICE'], env, 'piped long password 3\npiped long password 4\n');
    expect(mismatch).toEqual({
      code: 2,
      out: '',
      err: 'error: the second line piped in (the confirmation) is not the same as the first; nothing was changed\n',
      error: 'the second line piped in (the confirmation) is not the same as the first; nothing was changed',
    });
    expect(await hash()).toBe(second);
  });

  (HAS_SCRIPT ? it : it.skip)('asks twice on a terminal, without echo, and exits 2 when the entries differ, changing nothing', async () => {
    const before = await hash();
    const command = [process.execPath, '--experimental-transform-types', '--disable-warning=ExperimentalWarning', '--import', path.join(ROOT, 'test/support/run-typescript.mjs'), path.join(ROOT, 'src/cli/main.ts'), 'user', 'set-password', 'B01234', 'ALICE']
      .map((word) => `'${word.replace(/'/g, "'\\''")}'`)
      .join(' ');
    // script(1) runs the command on a pseudo-terminal, prints what the terminal shows and ends with the command's exit status.
    const child = spawn('script', ['-qec', `${command}; echo "[exit $?]"`, '/dev/null'], {
      cwd: ROOT,
      env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', NODE_COMPILE_CACHE: CHILD_COMPILE_CACHE, CONFIG_FILE: 'config/default.yaml', CCASS_OPERATOR: 'test-operator', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let screen = '';
    const answers = ['terminal long password 1', 'terminal long password 2'];
    child.stdout.on('data', (chunk: Buffer) => {
      screen += chunk.toString();
      // Type each answer once its question is on the screen.
      const asked = (screen.match(/New password(?: \(again\))?: /g) ?? []).length;
      while (answers.length > 2 - asked) child.stdin.write(`${answers.shift() as string}\r`);
    });
    await new Promise((resolve) => child.once('close', resolve));
    expect(screen).toContain('New password: ');
    expect(screen).toContain('New password (again): ');
    expect(screen).not.toContain('terminal long password');
    expect(screen).toContain('error: the two passwords typed are not the same; nothing was changed');
    expect(screen.match(/error: /g)).toHaveLength(1);
    expect(screen).toContain('[exit 2]');
    expect(await hash()).toBe(before);
  });
});
