/** Runs the operator CLI in-process, as the real binary would, against a test's own database. */
import { buildProgram, exitCodeFor } from '../../src/cli/program.js';

export interface CliResult {
  code: number;
  out: string;
  error?: string;
}

/** A `cli(args)` for this environment; the result has the exit code the binary would use. */
export function cliRunner(env: Record<string, string>, secret: () => string = () => '') {
  return async (args: string[], extraEnv: Record<string, string> = {}): Promise<CliResult> => {
    let out = '';
    const program = buildProgram({
      env: { CONFIG_FILE: 'config/default.yaml', CCASS_OPERATOR: 'test-operator', LOG_LEVEL: 'silent', ...env, ...extraEnv },
      out: (text) => {
        out += text;
      },
      err: () => undefined,
      readSecret: async () => secret(),
    });
    try {
      await program.parseAsync(['node', 'ccass-auth', ...args]);
      return { code: 0, out };
    } catch (error) {
      if ((error as { code?: string }).code?.startsWith('commander.')) return { code: 2, out, error: (error as Error).message };
      const { code, message } = exitCodeFor(error);
      return { code, out, error: message };
    }
  };
}
