#!/usr/bin/env node
/** Entry point of the operator CLI: see program.ts for the commands, failures.ts for the exit codes. */
import { runCli } from './program.js';
import { stdinSecretInput } from './read-secret.js';

const code = await runCli(process.argv.slice(2), {
  env: process.env,
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  secrets: stdinSecretInput(),
});
// Ending by itself lets piped output drain (pipes are asynchronous on macOS); a connection
// still being torn down after a failure does not get to hold the shell for long.
process.exitCode = code;
setTimeout(() => process.exit(code), 2000).unref();
