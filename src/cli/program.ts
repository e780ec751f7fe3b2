/**
 * The operator CLI's commands (`ccass-auth …`, or `npm run cli -- …` in a checkout). It opens the same
 * database as the server (DATABASE_URL, else the embedded one) and calls the same domain
 * functions. Exit codes: 0 ok, 1 unexpected failure, 2 bad input, 3 not found,
 * 4 already exists, 78 bad configuration.
 */
import { userInfo } from 'node:os';
import { Command } from 'commander';
import { ConfigError, loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { addParticipant } from '../directory/participants.js';
import { addUser, listUsers, setUserEnabled, setUserPassword, unlockUser, type UserSummary } from '../directory/users.js';
import { ConflictError, NotFoundError, ValidationError } from '../errors.js';
import { createPasswordHasher } from '../factors/password.js';
import { createLogger } from '../observability/logger.js';
import { generateSigningKeys } from '../oidc/keys.js';
import { createQueries, type Queries } from '../store/index.js';
import { migrateToLatest } from '../store/migrate.js';
import { openDatabase, type OpenDatabase } from '../store/open.js';

/** What the commands touch outside the database; tests pass their own. */
export interface CliIo {
  env: Record<string, string | undefined>;
  out: (text: string) => void;
  /** Where usage errors and help for a wrong command go. */
  err: (text: string) => void;
  readSecret: (prompt: string) => Promise<string>;
}

function printUsers(io: CliIo, users: UserSummary[], json: boolean): void {
  if (json) {
    io.out(`${JSON.stringify(users, null, 2)}\n`);
    return;
  }
  if (users.length === 0) {
    io.out('no users\n');
    return;
  }
  const now = Date.now();
  const rows = users.map((user) => [
    user.participantId,
    user.userId,
    user.lockedUntil && user.lockedUntil.getTime() > now ? 'locked' : user.status,
    user.hasPassword ? 'yes' : 'no',
    user.secondFactor ?? '-',
    user.email ?? '-',
    user.displayName,
  ]);
  const header = ['PARTICIPANT', 'USER', 'STATUS', 'PASSWORD', '2FA', 'EMAIL', 'NAME'];
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)));
  for (const row of [header, ...rows]) {
    io.out(`${row.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  ').trimEnd()}\n`);
  }
}

export function buildProgram(io: CliIo): Command {
  const actor = `operator:${io.env['CCASS_OPERATOR'] ?? userInfo().username}`;

  async function withDatabase<T>(work: (context: { config: Config; database: OpenDatabase; queries: Queries }) => Promise<T>): Promise<T> {
    const config = loadConfig({ env: io.env });
    // The CLI's own logs go to stderr at warn level, so its stdout stays clean for piping.
    const log = createLogger(io.env['LOG_LEVEL'] ?? 'warn', process.stderr as never);
    const database = await openDatabase(config, log);
    try {
      return await work({ config, database, queries: createQueries(database.db) });
    } finally {
      await database.close();
    }
  }

  const program = new Command('ccass-auth')
    .description('Operator commands for the CCASS authentication server')
    .configureOutput({ writeOut: (text) => io.out(text), writeErr: (text) => io.err(text) })
    .showHelpAfterError()
    .exitOverride();

  program
    .command('migrate')
    .description('apply pending database migrations')
    .action(() =>
      withDatabase(async ({ database }) => {
        const applied = await migrateToLatest(database.db);
        io.out(applied.length ? `applied: ${applied.join(', ')}\n` : 'database is up to date\n');
      }),
    );

  program
    .command('keys')
    .description('signing keys')
    .command('generate')
    .description('print a new JSON Web Key Set (RS256 + ES256 private keys) for oidc.jwksFile / JWKS_FILE')
    .action(async () => {
      io.out(`${JSON.stringify(await generateSigningKeys(), null, 2)}\n`);
    });

  const participant = program.command('participant').description('CCASS Participants');
  participant
    .command('add')
    .description('register a participant')
    .argument('<participant-id>', 'e.g. B01234')
    .requiredOption('--name <name>', 'the participant firm name')
    .action((id: string, options: { name: string }) =>
      withDatabase(async ({ queries }) => {
        const added = await addParticipant(queries, { id, name: options.name }, actor);
        io.out(`participant ${added.id} added\n`);
      }),
    );
  participant
    .command('list')
    .description('list participants')
    .action(() =>
      withDatabase(async ({ queries }) => {
        for (const row of await queries.participants.list()) io.out(`${row.id}  ${row.status}  ${row.name}\n`);
      }),
    );

  const user = program.command('user').description('users of participants');
  user
    .command('add')
    .description('add a user (pending until a password is set)')
    .argument('<participant-id>')
    .argument('<user-id>')
    .requiredOption('--name <display-name>', "the user's name")
    .option('--email <email>', 'designated email address')
    .action((participantId: string, userId: string, options: { name: string; email?: string }) =>
      withDatabase(async ({ queries }) => {
        const added = await addUser(queries, { participantId, userId, displayName: options.name, email: options.email }, actor);
        io.out(`user ${added.userId} added to ${added.participantId} (status ${added.status})\n`);
      }),
    );
  user
    .command('set-password')
    .description("set a user's password, read from standard input (never from the command line)")
    .argument('<participant-id>')
    .argument('<user-id>')
    .action((participantId: string, userId: string) =>
      withDatabase(async ({ config, queries }) => {
        const password = await io.readSecret('New password');
        const hasher = createPasswordHasher(config.password.argon2);
        await setUserPassword({ queries, hasher, rules: config.password }, { participantId, userId }, password, actor);
        io.out(`password set for ${userId.toUpperCase()} at ${participantId.toUpperCase()}\n`);
      }),
    );
  user
    .command('list')
    .description('list users')
    .option('--participant <participant-id>', 'only this participant')
    .option('--json', 'machine-readable output')
    .action((options: { participant?: string; json?: boolean }) =>
      withDatabase(async ({ queries }) => printUsers(io, await listUsers(queries, { participantId: options.participant }), options.json ?? false)),
    );
  for (const [name, enabled] of [['disable', false], ['enable', true]] as const) {
    user
      .command(name)
      .description(enabled ? 'allow a disabled user to log in again' : 'stop a user from logging in')
      .argument('<participant-id>')
      .argument('<user-id>')
      .action((participantId: string, userId: string) =>
        withDatabase(async ({ queries }) => {
          const updated = await setUserEnabled(queries, { participantId, userId }, enabled, actor);
          io.out(`user ${updated.userId} at ${updated.participantId} is now ${updated.status}\n`);
        }),
      );
  }
  user
    .command('unlock')
    .description('lift a lock caused by failed login attempts')
    .argument('<participant-id>')
    .argument('<user-id>')
    .action((participantId: string, userId: string) =>
      withDatabase(async ({ queries }) => {
        const updated = await unlockUser(queries, { participantId, userId }, actor);
        io.out(`user ${updated.userId} at ${updated.participantId} is unlocked\n`);
      }),
    );
  return program;
}

export function exitCodeFor(error: unknown): { code: number; message: string } {
  if (error instanceof ValidationError) {
    const details = Object.entries(error.fields).map(([field, problem]) => `\n  ${field}: ${problem}`).join('');
    return { code: 2, message: `${error.message}${details}` };
  }
  if (error instanceof NotFoundError) return { code: 3, message: error.message };
  if (error instanceof ConflictError) return { code: 4, message: error.message };
  if (error instanceof ConfigError) return { code: 78, message: error.message };
  return { code: 1, message: error instanceof Error ? error.message : String(error) };
}

