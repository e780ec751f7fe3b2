/**
 * This project's real entry points as child processes — the server (src/main.ts) and the CLI
 * (src/cli/main.ts) — run from the TypeScript sources (no build), so a test can SIGKILL them
 * at any moment, as a machine that loses power would.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/**
 * V8's code cache for the children's modules (Node's compile cache; node_modules/ is ignored by
 * git): each of the suite's many child processes then skips compiling oidc-provider, Koa and
 * the sources again — about a third of a child's start-up. A SIGKILLed child writes nothing.
 */
const COMPILE_CACHE = path.join(ROOT, 'node_modules', '.cache', 'ccass-auth-child-processes');
const TYPESCRIPT = ['--experimental-transform-types', '--disable-warning=ExperimentalWarning', '--import', path.join(ROOT, 'test/support/run-typescript.mjs')];

/** Spawns `entry` (a path under the project) with Node and the TypeScript hooks. */
export function spawnSource(entry: string, args: string[], env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, [...TYPESCRIPT, path.join(ROOT, entry), ...args], {
    cwd: ROOT,
    env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', NODE_COMPILE_CACHE: COMPILE_CACHE, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

export interface ChildResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  out: string;
  err: string;
}

/** Resolves when the child exits, with what it printed. */
export function exited(child: ChildProcess): Promise<ChildResult> {
  let out = '';
  let err = '';
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString()));
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal, out, err })));
}

/** A configuration file for a child server: `settings` over a development baseline. */
export function writeConfig(dir: string, name: string, settings: Record<string, unknown>): string {
  const file = path.join(dir, name);
  writeFileSync(file, stringify({ env: 'development', log: { level: 'silent' }, ...settings }));
  return file;
}

export interface ServerProcess {
  child: ChildProcess;
  exit: Promise<ChildResult>;
  /** SIGKILL: no shutdown, no cleanup — whatever was in flight is cut. */
  kill(): Promise<void>;
}

/** Starts `src/main.ts` with `configFile` and waits until /readyz answers 200 at `origin`. */
export async function startServerProcess(configFile: string, origin: string, timeoutMs = 30_000): Promise<ServerProcess> {
  const child = spawnSource('src/main.ts', [], { CONFIG_FILE: configFile });
  const exit = exited(child);
  let gone: ChildResult | undefined;
  void exit.then((result) => (gone = result));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (gone) throw new Error(`the server exited before it was ready (${gone.code ?? gone.signal}): ${gone.err}`);
    const ready = await fetch(`${origin}/readyz`).then((response) => response.ok, () => false);
    if (ready) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the server was not ready within ${timeoutMs} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    child,
    exit,
    async kill() {
      if (!gone) child.kill('SIGKILL');
      await exit;
    },
  };
}
