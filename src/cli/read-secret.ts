/**
 * Reads a new secret for the CLI from standard input, never from argv (argv is visible in
 * `ps` and shell history). On a terminal: asked twice without echo, and the two must match.
 * Piped: the first line is the secret; a second line, if there is one, is its confirmation
 * and must match too (`printf '%s\n%s\n' "$pw" "$pw" | …` behaves like typing it twice).
 * A mismatch is bad input (exit 2), and nothing is changed.
 */
import { createInterface } from 'node:readline/promises';
import { Writable } from 'node:stream';
import { msg } from '../i18n/translate.js';
import { CliError, EXIT } from './failures.js';

/** Where a secret comes from: a terminal to ask on, or what was piped in. */
export interface SecretInput {
  /** Asks on the terminal without echoing the answer; undefined when standard input is not a terminal. */
  ask?: ((question: string) => Promise<string>) | undefined;
  /** Everything piped to standard input. */
  piped: () => Promise<string>;
}

export interface SecretPrompts {
  first: string;
  again: string;
}

export async function readNewSecret(input: SecretInput, prompts: SecretPrompts): Promise<string> {
  if (input.ask) {
    const first = await input.ask(`${prompts.first}: `);
    const second = await input.ask(`${prompts.again}: `);
    if (first !== second) throw new CliError(EXIT.badInput, msg('cli.secret.mismatch'));
    return first;
  }
  const lines = (await input.piped()).split(/\r?\n/);
  const [first = '', second] = lines;
  const confirmation = lines.length > 2 || (second !== undefined && second !== '') ? second : undefined;
  if (confirmation !== undefined && confirmation !== first) throw new CliError(EXIT.badInput, msg('cli.secret.pipedMismatch'));
  return first;
}

/** The process's standard input as a SecretInput. */
export function stdinSecretInput(): SecretInput {
  return {
    ask: process.stdin.isTTY ? askHidden : undefined,
    piped: async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks).toString('utf8');
    },
  };
}

async function askHidden(question: string): Promise<string> {
  let muted = false;
  const output = new Writable({
    write(chunk, _encoding, callback) {
      if (!muted) process.stderr.write(chunk);
      callback();
    },
  });
  const rl = createInterface({ input: process.stdin, output, terminal: true });
  const answer = rl.question(question);
  muted = true;
  try {
    return await answer;
  } finally {
    rl.close();
    process.stderr.write('\n');
  }
}
