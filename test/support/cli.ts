/**
 * The operator CLI, run as the real binary runs it: in-process (runCli, with this test's I/O)
 * or as a child process of src/cli/main.ts (from the TypeScript sources, no build), against a
 * test's own database.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli } from '../../src/cli/program.js';
import type { SecretInput } from '../../src/cli/read-secret.js';

export interface CliResult {
  code: number;
  /** Standard output. */
  out: string;
  /** Standard error: failures and usage errors (each printed once), prompts. */
  err: string;
  /** The failure as printed, without the leading "error: "; undefined when the run succeeded. */
  error?: string;
}

/** What standard input holds: text piped in, or a terminal on which each question gets the next answer. */
export type StdinContent = string | { terminal: readonly string[] };

export function secretInput(stdin: StdinContent): SecretInput & { questions: string[] } {
  const questions: string[] = [];
  if (typeof stdin === 'string') return { questions, piped: async () => stdin };
  const answers = [...stdin.terminal];
  return {
    questions,
    ask: async (question) => {
      questions.push(question);
      return answers.shift() ?? '';
    },
    piped: async () => {
      throw new Error('a terminal is not piped');
    },
  };
}

function result(code: number, out: string, err: string): CliResult {
  const error = code === 0 ? undefined : err.replace(/^(error|錯誤)[:：]\s?/, '').trimEnd();
  return error === undefined ? { code, out, err } : { code, out, err, error };
}

/** A `cli(args)` for this environment; the result has the exit code the binary would use. */
export function cliRunner(env: Record<string, string>, secret: () => StdinContent = () => '') {
  return async (args: string[], extraEnv: Record<string, string> = {}): Promise<CliResult> => {
    let out = '';
    let err = '';
    const code = await runCli(args, {
      env: { CONFIG_FILE: 'config/default.yaml', CCASS_OPERATOR: 'test-operator', LOG_LEVEL: 'silent', ...env, ...extraEnv },
      out: (text) => {
        out += text;
      },
      err: (text) => {
        err += text;
      },
      secrets: secretInput(secret()),
    });
    return result(code, out, err);
  };
}

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** Node's compile cache, shared with the other child processes of the suite (test/support/processes.ts). */
export const CHILD_COMPILE_CACHE = path.join(ROOT, 'node_modules', '.cache', 'ccass-auth-child-processes');

/**
 * Runs src/cli/main.ts as a child process with `stdin` piped in: what an operator's shell
 * sees, exit code and both streams included.
 */
export function runCliProcess(args: string[], env: Record<string, string>, stdin = ''): Promise<CliResult> {
  const child = spawn(
    process.execPath,
    ['--experimental-transform-types', '--disable-warning=ExperimentalWarning', '--import', path.join(ROOT, 'test/support/run-typescript.mjs'), path.join(ROOT, 'src/cli/main.ts'), ...args],
    {
      cwd: ROOT,
      env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', NODE_COMPILE_CACHE: CHILD_COMPILE_CACHE, CONFIG_FILE: 'config/default.yaml', CCASS_OPERATOR: 'test-operator', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  );
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  child.stdin.end(stdin);
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve(result(code ?? -1, out, err)));
  });
}
