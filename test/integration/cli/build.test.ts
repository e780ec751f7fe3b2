/**
 * `npm run cli -- …` in a checkout compiles only when a source changed: the first call
 * builds dist/, a call with nothing changed starts the CLI without running the compiler
 * (`tsc -b` finds the build up to date and writes nothing), a call after an edit rebuilds.
 * Run on a copy of the checkout, so that the real dist/ is left alone. No timing is asserted:
 * what is checked is that nothing in dist/ was written again.
 */
import { spawn } from 'node:child_process';
import { appendFileSync, cpSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const VERSION = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

/** `npm run cli --silent -- <args>` in `cwd`, with this Node first on PATH (as .ci/run puts it). */
function npmRunCli(cwd: string, args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  const child = spawn('npm', ['run', 'cli', '--silent', '--', ...args], {
    cwd,
    env: { PATH: `${path.dirname(process.execPath)}:${process.env['PATH'] ?? ''}`, HOME: process.env['HOME'] ?? '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, out, err }));
  });
}

describe('npm run cli', () => {
  let checkout: string;
  beforeAll(() => {
    checkout = mkdtempSync(path.join(tmpdir(), 'ccass-build-'));
    for (const entry of ['package.json', 'tsconfig.json', 'tsconfig.build.json', 'src', 'migrations']) cpSync(path.join(ROOT, entry), path.join(checkout, entry), { recursive: true });
    symlinkSync(path.join(ROOT, 'node_modules'), path.join(checkout, 'node_modules'));
  });
  afterAll(() => rmSync(checkout, { recursive: true, force: true }));

  const written = (file: string) => statSync(path.join(checkout, 'dist', file)).mtimeMs;

  it('builds once, then starts without compiling until a source changes', async () => {
    const first = await npmRunCli(checkout, ['--version']);
    expect(first).toEqual({ code: 0, out: `${VERSION}\n`, err: '' });
    const before = { main: written('src/cli/main.js'), version: written('src/cli/version.js'), buildInfo: written('tsconfig.build.tsbuildinfo') };

    const second = await npmRunCli(checkout, ['--version']);
    expect(second).toEqual({ code: 0, out: `${VERSION}\n`, err: '' });
    expect({ main: written('src/cli/main.js'), version: written('src/cli/version.js'), buildInfo: written('tsconfig.build.tsbuildinfo') }).toEqual(before);

    appendFileSync(path.join(checkout, 'src/cli/version.ts'), '\n// edited after the first build\n');
    const third = await npmRunCli(checkout, ['--version']);
    expect(third).toMatchObject({ code: 0, out: `${VERSION}\n` });
    expect(readFileSync(path.join(checkout, 'dist/src/cli/version.js'), 'utf8')).toContain('// edited after the first build');
  }, 240_000);
});
