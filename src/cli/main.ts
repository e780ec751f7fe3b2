#!/usr/bin/env node
/** Entry point of the operator CLI: see program.ts for the commands and exit codes. */
import { CommanderError } from 'commander';
import { buildProgram, exitCodeFor } from './program.js';
import { readSecretFromStdin } from './read-secret.js';

try {
  await buildProgram({
    env: process.env,
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
    readSecret: readSecretFromStdin,
  }).parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) process.exit(error.exitCode === 0 ? 0 : 2);
  const { code, message } = exitCodeFor(error);
  process.stderr.write(`error: ${message}\n`);
  process.exit(code);
}
