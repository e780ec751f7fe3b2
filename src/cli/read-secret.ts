/**
 * Reads a secret for the CLI from standard input, never from argv (argv is visible in `ps`
 * and shell history). Interactive: asks twice without echo. Piped: the first line.
 */
import { createInterface } from 'node:readline/promises';
import { Writable } from 'node:stream';

export async function readSecretFromStdin(prompt: string): Promise<string> {
  if (process.stdin.isTTY) {
    const first = await askHidden(`${prompt}: `);
    const second = await askHidden(`${prompt} (again): `);
    if (first !== second) throw new Error('the two entries do not match');
    return first;
  }
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  const newline = text.search(/\r?\n/);
  return newline === -1 ? text : text.slice(0, newline);
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
