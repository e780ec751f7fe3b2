/**
 * The operator CLI's commands (`ccass-auth …`, or `npm run cli -- …` in a checkout). It opens the same
 * database as the server (DATABASE_URL, else the embedded one) and calls the same domain
 * functions. Exit codes: 0 ok, 1 unexpected failure, 2 bad input, 3 not found,
 * 4 already exists, 5 not allowed now (e.g. enrolment before registration opens), 6 too soon,
 * 78 bad configuration.
 */
import { readFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { Command } from 'commander';
import { ConfigError, loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { systemClock } from '../clock.js';
import { operatorActor } from '../directory/actor.js';
import { addDelegatedAdministrator } from '../directory/delegated-administrators.js';
import { normaliseParticipantId, normaliseUserId, PARTICIPANT_ID_RULE, USER_ID_RULE } from '../directory/identifiers.js';
import { addParticipant } from '../directory/participants.js';
import { importUsers } from '../directory/user-import.js';
import type { ActivationDependencies, RegistrationResult } from '../enrolment/activation-links.js';
import { createMailOutbox, type MailOutbox } from '../mail/outbox.js';
import { startJobQueue } from '../jobs/queue.js';
import { loadSecretBox } from '../secrets/load.js';
import type { Logger } from '../observability/logger.js';
import { createSecurityNotices, type SecurityNotices } from '../mail/security-notices.js';
import type { AuditFilter } from '../store/audit.js';
import { addUser, listUsers, setUserEnabled, setUserPassword, unlockUser, type UserSummary } from '../directory/users.js';
import { ConflictError, ForbiddenError, NotFoundError, TooManyRequestsError, ValidationError } from '../errors.js';
import { createPasswordHasher } from '../factors/password.js';
import { createLogger } from '../observability/logger.js';
import { registerKeyCommands } from './key-commands.js';
import { createPhasePolicy } from '../policy/phase-policy.js';
import { addPilotParticipant, clearPhasePin, phaseReport, pinPhase, removePilotParticipant, type PhaseReport } from '../policy/phase-control.js';
import { formatHongKongTime, parseHongKongTime, PHASES } from '../policy/phases.js';
import { bindSmartcard, listSmartcards, unbindSmartcard } from '../directory/smartcards.js';
import { createSmartcardTrustStore } from '../factors/smartcard-trust.js';
import { createQueries, type Queries } from '../store/index.js';
import { migrateToLatest } from '../store/migrate.js';
import { readinessReport, readinessReportCsv, readinessReportTable } from '../reports/readiness-report.js';
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

  const operatorName = io.env['CCASS_OPERATOR'] ?? userInfo().username;

  /**
   * The database plus what registering emails needs (the outbox, the phase schedule). Mail is
   * queued with each change, in its transaction; the server's nodes send it.
   */
  async function withServices<T>(work: (services: { activation: ActivationDependencies & { queries: Queries } }) => Promise<T>): Promise<T> {
    return withMail(async ({ config, queries, outbox, log }) =>
      work({
        activation: { queries, outbox, clock: systemClock, issuer: config.issuer, settings: config.activation, policy: createPhasePolicy(config.phases, queries.phaseControls, systemClock), log },
      }),
    );
  }

  /** The database plus security notices to users (a password set, a login disabled, a card removed), queued with each change. */
  async function withNotices<T>(work: (context: { config: Config; queries: Queries; notices: SecurityNotices }) => Promise<T>): Promise<T> {
    return withMail(async ({ config, queries, outbox }) => work({ config, queries, notices: createSecurityNotices({ outbox, now: () => systemClock.now() }) }));
  }

  /** The database with a job queue that only creates jobs (the CLI runs none), and the outbox on it. */
  async function withMail<T>(work: (context: { config: Config; queries: Queries; outbox: MailOutbox; log: Logger }) => Promise<T>): Promise<T> {
    return withDatabase(async ({ config, database }) => {
      const log = createLogger(io.env['LOG_LEVEL'] ?? 'warn', process.stderr as never);
      const jobs = await startJobQueue(database.db, log, config.jobs, { workers: false });
      try {
        const box = await loadSecretBox(config, database.db);
        return await work({ config, queries: createQueries(database.db, jobs), outbox: createMailOutbox(box), log });
      } finally {
        await jobs.stop();
      }
    });
  }

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

  registerKeyCommands(program, io, withDatabase, actor);

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
      withNotices(async ({ config, queries, notices }) => {
        const password = await io.readSecret('New password');
        const hasher = createPasswordHasher(config.password.argon2);
        await setUserPassword({ queries, hasher, rules: config.password, notices }, { participantId, userId }, password, actor);
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
        withNotices(async ({ queries, notices }) => {
          const updated = await setUserEnabled(queries, { participantId, userId }, enabled, actor, notices);
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
  const da = program.command('da').description('Delegated Administrators (DMS)');
  da.command('add')
    .description("make a user a Delegated Administrator of their participant, register their designated email and send the activation link")
    .argument('<participant-id>')
    .argument('<user-id>')
    .requiredOption('--email <email>', "the DA's designated email address")
    .option('--name <display-name>', "the DA's name (needed when the user does not exist yet)")
    .action((participantId: string, userId: string, options: { email: string; name?: string }) =>
      withServices(async (services) => {
        const result = await addDelegatedAdministrator(services.activation, { participantId, userId, email: options.email, displayName: options.name }, operatorActor(operatorName));
        const { user, change, registration } = result;
        io.out(`${user.userId} at ${user.participantId} is a Delegated Administrator (${change})\n`);
        io.out(`designated email ${user.email}: ${registration.outcome}; ${describeActivation(registration.activation)}\n`);
      }),
    );

  user
    .command('import')
    .description('add users from a CSV file (columns participant_id,user_id,display_name and optional email); users with an email get an activation link')
    .argument('<file>', 'CSV file, UTF-8, with a header row')
    .option('--json', 'machine-readable report')
    .action((file: string, options: { json?: boolean }) =>
      withServices(async (services) => {
        const report = await importUsers(services.activation, await readFile(file), operatorActor(operatorName), { maxBytes: 10 * 1024 * 1024, maxRows: 20000 });
        if (!report.accepted) throw new ValidationError(`${file} was not imported: ${report.problem}`);
        if (options.json) {
          io.out(`${JSON.stringify(report, null, 2)}\n`);
        } else {
          for (const row of report.rows) {
            io.out(`line ${row.line}: ${row.participantId ?? '-'}/${row.userId ?? '-'} ${row.outcome}${row.problems.length ? ` (${row.problems.join('; ')})` : ''}\n`);
          }
          io.out(`${Object.entries(report.summary).map(([outcome, count]) => `${outcome} ${count}`).join(', ')}\n`);
        }
        const queued = report.rows.filter((row) => row.activationQueued).length;
        if (queued > 0 && !options.json) io.out(`${queued} activation email(s) queued: the server's nodes send them\n`);
        if (report.summary.rejected > 0) throw new ValidationError(`${report.summary.rejected} row(s) rejected and not applied; the other rows were applied (see above)`);
      }),
    );

  const phase = program.command('phase').description('the migration phase (every node follows a change within phases.refreshSeconds)');
  const phaseDeps = (config: Config, queries: Queries) => ({ queries, clock: systemClock, plan: config.phases });
  phase
    .command('show')
    .description('the phase in force, why, the next switch, and what it allows')
    .option('--json', 'machine-readable output')
    .action((options: { json?: boolean }) =>
      withDatabase(async ({ config, queries }) => {
        const snapshot = await createPhasePolicy({ ...config.phases, refreshSeconds: 0 }, queries.phaseControls, systemClock).current();
        const report = phaseReport(snapshot);
        const pilots = [...snapshot.pilots].sort();
        if (options.json) {
          io.out(`${JSON.stringify({ ...report, pilots }, null, 2)}\n`);
          return;
        }
        io.out(printPhaseReport(report, pilots));
      }),
    );
  phase
    .command('set')
    .description('pin a phase on every node, whatever the schedule says (e.g. to extend the parallel run)')
    .argument('<phase>', PHASES.join(' | '))
    .option('--until <hong-kong-time>', 'the pin ends by itself then, e.g. 2023-09-30T18:00 (default: until `phase clear`)')
    .option('--reason <text>', 'why, for the audit trail')
    .action((name: string, options: { until?: string; reason?: string }) =>
      withDatabase(async ({ config, queries }) => {
        const state = await pinPhase(phaseDeps(config, queries), { phase: name, until: options.until, reason: options.reason }, operatorActor(operatorName));
        io.out(`phase pinned: ${state.phase}${options.until ? ` until ${formatHongKongTime(parseHongKongTime(options.until) as Date)} Hong Kong time` : ' until cleared'}\n`);
        if (state.next) io.out(`then: ${state.next.phase} from ${formatHongKongTime(state.next.at)} Hong Kong time\n`);
      }),
    );
  phase
    .command('clear')
    .description('remove the pin: the configuration (override, else schedule) is in force again')
    .action(() =>
      withDatabase(async ({ config, queries }) => {
        const state = await clearPhasePin(phaseDeps(config, queries), operatorActor(operatorName));
        io.out(`pin cleared; phase in force: ${state.phase} (${state.source})\n`);
      }),
    );
  const pilot = phase.command('pilot').description('pilot participants: password + OTP login during email registration (connectivity test)');
  pilot
    .command('add')
    .argument('<participant-id>')
    .action((participantId: string) =>
      withDatabase(async ({ config, queries }) => {
        const result = await addPilotParticipant(phaseDeps(config, queries), participantId, operatorActor(operatorName));
        io.out(`${result.participantId} ${result.added ? 'is now' : 'was already'} a pilot participant\n`);
      }),
    );
  pilot
    .command('remove')
    .argument('<participant-id>')
    .action((participantId: string) =>
      withDatabase(async ({ config, queries }) => {
        const result = await removePilotParticipant(phaseDeps(config, queries), participantId, operatorActor(operatorName));
        io.out(`${result.participantId} is no longer a pilot participant\n`);
      }),
    );
  pilot
    .command('list')
    .action(() =>
      withDatabase(async ({ config, queries }) => {
        const fromCli = await queries.phaseControls.pilots();
        for (const id of config.phases.pilotParticipants) io.out(`${id}  (configuration)\n`);
        for (const row of fromCli) io.out(`${row.participant_id}  added ${row.added_at.toISOString()} by ${row.added_by}\n`);
        if (fromCli.length + config.phases.pilotParticipants.length === 0) io.out('no pilot participants\n');
      }),
    );

  const smartcard = program.command('smartcard').description('smartcards (X.509 client certificates) bound to users');
  const smartcardDeps = (config: Config, queries: Queries) => ({
    queries,
    clock: systemClock,
    trust: config.smartcard.caFile
      ? createSmartcardTrustStore({ caFile: config.smartcard.caFile, crlFiles: config.smartcard.crlFiles, requireCrl: config.smartcard.requireCrl }, createLogger('silent'))
      : undefined,
  });
  smartcard
    .command('bind')
    .description("bind a smartcard's certificate to a user (it must chain to smartcard.caFile, be valid and not revoked)")
    .argument('<participant-id>')
    .argument('<user-id>')
    .argument('<certificate>', 'the certificate file, PEM or DER')
    .action((participantId: string, userId: string, file: string) =>
      withDatabase(async ({ config, queries }) => {
        const bound = await bindSmartcard(smartcardDeps(config, queries), { participantId, userId }, await readCertificateFile(file), operatorActor(operatorName));
        io.out(`smartcard ${bound.fingerprint} (serial ${bound.serial}, valid until ${bound.notAfter.toISOString()}) bound to ${userId.toUpperCase()} at ${participantId.toUpperCase()}\n`);
      }),
    );
  smartcard
    .command('unbind')
    .description('unbind one smartcard of a user (by its certificate file), or all of them with --all')
    .argument('<participant-id>')
    .argument('<user-id>')
    .argument('[certificate]', 'the certificate file, PEM or DER')
    .option('--all', 'every smartcard of the user')
    .action((participantId: string, userId: string, file: string | undefined, options: { all?: boolean }) =>
      withNotices(async ({ config, queries, notices }) => {
        if (Boolean(file) === Boolean(options.all)) throw new ValidationError('Say which smartcard', { certificate: 'give a certificate file, or --all (not both)' });
        const certificate = file ? await readCertificateFile(file) : undefined;
        const removed = await unbindSmartcard({ ...smartcardDeps(config, queries), notices }, { participantId, userId }, certificate, operatorActor(operatorName));
        for (const card of removed) io.out(`smartcard ${card.fingerprint} unbound\n`);
      }),
    );
  smartcard
    .command('list')
    .argument('<participant-id>')
    .argument('<user-id>')
    .option('--json', 'machine-readable output')
    .action((participantId: string, userId: string, options: { json?: boolean }) =>
      withDatabase(async ({ config, queries }) => {
        const cards = await listSmartcards(smartcardDeps(config, queries), { participantId, userId });
        if (options.json) {
          io.out(`${JSON.stringify(cards, null, 2)}\n`);
          return;
        }
        for (const card of cards) io.out(`${card.fingerprint}  serial ${card.serial}  until ${card.notAfter.toISOString()}  ${card.subject.replace(/\n/g, ', ')}\n`);
        if (cards.length === 0) io.out('no smartcards\n');
      }),
    );

  program
    .command('report')
    .description('reports for operators')
    .command('readiness')
    .description('migration readiness per participant: email registered, activated, password, second factor, locked, smartcard-only users')
    .option('--participant <participant-id>', 'only this participant')
    .option('--days <n>', 'the window for "smartcard only" (days)', '30')
    .option('--csv', 'CSV (one row per participant) instead of a table')
    .option('--json', 'JSON')
    .action((options: { participant?: string; days: string; csv?: boolean; json?: boolean }) =>
      withDatabase(async ({ queries }) => {
        const fields: Record<string, string> = {};
        const participantId = options.participant === undefined ? undefined : normaliseParticipantId(options.participant);
        if (options.participant !== undefined && !participantId) fields['participant'] = PARTICIPANT_ID_RULE;
        const windowDays = Number(options.days);
        if (!Number.isInteger(windowDays) || windowDays < 1 || windowDays > 366) fields['days'] = 'a whole number of days from 1 to 366';
        if (options.csv && options.json) fields['csv'] = 'choose --csv or --json, not both';
        if (Object.keys(fields).length) throw new ValidationError('Invalid options', fields);
        if (participantId && !(await queries.participants.findById(participantId))) throw new NotFoundError(`participant ${participantId} not found`);
        const report = await readinessReport(queries, { now: systemClock.now(), participantId, windowDays });
        if (options.csv) io.out(readinessReportCsv(report));
        else if (options.json) io.out(`${JSON.stringify(report, null, 2)}\n`);
        else io.out(readinessReportTable(report));
      }),
    );

  const audit = program.command('audit').description('the audit trail');
  audit
    .command('list')
    .description('list audit events, newest first')
    .option('--participant <participant-id>', 'only this participant')
    .option('--user <user-id>', 'only this user (with --participant)')
    .option('--type <type>', 'an event type, or a prefix ending in "." (e.g. "login.")')
    .option('--outcome <outcome>', 'success or failure')
    .option('--since <time>', 'from this time (ISO 8601, e.g. 2026-11-24T09:00+08:00)')
    .option('--until <time>', 'before this time (ISO 8601)')
    .option('--limit <n>', 'at most this many events (default 100, at most 10000)', '100')
    .option('--json', 'one JSON object per line')
    .action((options: { participant?: string; user?: string; type?: string; outcome?: string; since?: string; until?: string; limit: string; json?: boolean }) =>
      withDatabase(async ({ queries }) => {
        const filter = parseAuditFilter(options);
        const events = await queries.audit.list(filter);
        for (const event of events) {
          if (options.json) {
            io.out(`${JSON.stringify({ ...event, id: Number(event.id) })}\n`);
          } else {
            const who = event.participant_id ? `${event.participant_id}/${event.user_id ?? '-'}` : '-';
            io.out(`${event.occurred_at.toISOString()}  ${event.type}  ${event.outcome}  ${who}  by ${event.actor ?? '-'}  ${event.ip ?? ''}  ${JSON.stringify(event.details)}\n`);
          }
        }
        if (!options.json && events.length === 0) io.out('no events\n');
      }),
    );
  return program;
}

async function readCertificateFile(file: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch {
    throw new ValidationError('Cannot read the certificate', { certificate: `${file} cannot be read` });
  }
}

function printPhaseReport(report: PhaseReport, pilots: readonly string[]): string {
  const twoFactor = report.methods.twoFactor ? 'allowed' : report.methods.twoFactorPilotsOnly ? 'pilot participants only (and DMS)' : 'not allowed (DMS only while enrolment is open)';
  const lines = [
    `phase         ${report.phase} (${report.source})`,
    `next switch   ${report.next ? `${report.next.phase} at ${report.next.hongKongTime} Hong Kong time (${report.next.at})` : 'none scheduled'}`,
    `smartcard     ${report.methods.smartcard ? 'allowed' : 'not allowed'}`,
    `password+OTP  ${twoFactor}`,
    `enrolment     ${report.enrolment ? 'open' : 'closed'}`,
  ];
  if (report.pin) lines.push(`pinned        ${report.pin.phase} ${report.pin.until ? `until ${report.pin.until}` : 'until cleared'} by ${report.pin.setBy}${report.pin.reason ? ` (${report.pin.reason})` : ''}`);
  lines.push(`pilots        ${pilots.length ? pilots.join(', ') : 'none'}`);
  return `${lines.join('\n')}\n`;
}

function describeActivation(activation: RegistrationResult['activation']): string {
  if (activation === 'not_needed') return 'no activation link needed';
  return `activation link queued (the server's nodes send it), valid until ${activation.expiresAt.toISOString()}`;
}

function parseAuditFilter(options: { participant?: string; user?: string; type?: string; outcome?: string; since?: string; until?: string; limit: string }): AuditFilter {
  const fields: Record<string, string> = {};
  const participantId = options.participant === undefined ? undefined : normaliseParticipantId(options.participant);
  if (options.participant !== undefined && !participantId) fields['participant'] = PARTICIPANT_ID_RULE;
  const userId = options.user === undefined ? undefined : normaliseUserId(options.user);
  if (options.user !== undefined && !userId) fields['user'] = USER_ID_RULE;
  if (options.type !== undefined && !/^[a-z_.]{1,64}$/.test(options.type)) fields['type'] = 'letters, "_" and "." only';
  if (options.outcome !== undefined && options.outcome !== 'success' && options.outcome !== 'failure') fields['outcome'] = 'success or failure';
  const time = (name: 'since' | 'until') => {
    const value = options[name];
    if (value === undefined) return undefined;
    const parsed = new Date(value);
    if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(parsed.getTime())) fields[name] = 'an ISO 8601 time, e.g. 2026-11-24T09:00+08:00';
    return parsed;
  };
  const since = time('since');
  const until = time('until');
  const limit = Number(options.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 10000) fields['limit'] = 'a whole number from 1 to 10000';
  if (Object.keys(fields).length) throw new ValidationError('Invalid filter', fields);
  return { participantId, userId, type: options.type, outcome: options.outcome as AuditFilter['outcome'], since, until, limit };
}

export function exitCodeFor(error: unknown): { code: number; message: string } {
  if (error instanceof ValidationError) {
    const details = Object.entries(error.fields).map(([field, problem]) => `\n  ${field}: ${problem}`).join('');
    return { code: 2, message: `${error.message}${details}` };
  }
  if (error instanceof NotFoundError) return { code: 3, message: error.message };
  if (error instanceof ConflictError) return { code: 4, message: error.message };
  if (error instanceof ForbiddenError) return { code: 5, message: error.message };
  if (error instanceof TooManyRequestsError) return { code: 6, message: error.message };
  if (error instanceof ConfigError) return { code: 78, message: error.message };
  return { code: 1, message: error instanceof Error ? error.message : String(error) };
}

