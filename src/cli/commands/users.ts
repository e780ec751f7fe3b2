/**
 * `ccass-auth user …`: add a user, set a password (from standard input), list, disable and
 * enable, unlock, and import users from CSV. Each change is audited with the operator's name.
 */
import type { Command } from 'commander';
import { importUsers, type ImportReport } from '../../directory/user-import.js';
import { csvFileProblemMessage, rowProblemMessage } from '../../directory/csv-problem-words.js';
import { addUser, listUsers, setUserEnabled, setUserPassword, unlockUser, type UserSummary } from '../../directory/users.js';
import { createPasswordHasher } from '../../factors/password.js';
import { msg } from '../../i18n/translate.js';
import { registerUserExceptionCommands } from './user-exceptions.js';
import type { CliContext } from '../context.js';
import { CliError, EXIT } from '../failures.js';
import { existingParticipant, existingUser, readInputFile } from '../inputs.js';
import { table } from '../output.js';
import { readNewSecret } from '../read-secret.js';

/** The limits of one CLI import: larger than a DMS upload, since HKSCC's own lists cover every firm. */
const IMPORT_LIMITS = { maxBytes: 10 * 1024 * 1024, maxRows: 20000 };

export function registerUserCommands(program: Command, cli: CliContext): void {
  const { t } = cli;
  const user = program.command('user').description(t('cli.help.user'));
  registerUserExceptionCommands(user, cli);

  user
    .command('add')
    .description(t('cli.help.user.add'))
    .argument('<participant-id>', t('cli.help.argument.participant'))
    .argument('<user-id>', t('cli.help.argument.user'))
    .requiredOption('--name <display-name>', t('cli.help.option.userName'))
    .option('--email <email>', t('cli.help.option.email'))
    .action((participantId: string, userId: string, options: { name: string; email?: string }) =>
      cli.withDatabase(async ({ queries }) => {
        const added = await addUser(queries, { participantId, userId, displayName: options.name, email: options.email }, cli.operator);
        cli.say(msg('cli.user.added', { user: added.userId, participant: added.participantId, status: t(`cli.user.status.${added.status}`) }));
      }),
    );

  user
    .command('set-password')
    .description(t('cli.help.user.setPassword'))
    .argument('<participant-id>', t('cli.help.argument.participant'))
    .argument('<user-id>', t('cli.help.argument.user'))
    .action((participantId: string, userId: string) =>
      cli.withServices(async ({ config, queries, notices }) => {
        // Asked only for a user who exists: nobody types a password twice to learn of a typo.
        await existingUser(queries, participantId, userId);
        const password = await readNewSecret(cli.io.secrets, { first: t('cli.secret.prompt'), again: t('cli.secret.promptAgain') });
        const hasher = createPasswordHasher(config.password.argon2);
        await setUserPassword({ queries, hasher, rules: config.password, notices }, { participantId, userId }, password, cli.operator);
        cli.say(msg('cli.user.passwordSet', { user: userId.toUpperCase(), participant: participantId.toUpperCase() }));
      }),
    );

  user
    .command('list')
    .description(t('cli.help.user.list'))
    .option('--participant <participant-id>', t('cli.help.option.onlyParticipant'))
    .option('--json', t('cli.help.option.json'))
    .action((options: { participant?: string; json?: boolean }) =>
      cli.withDatabase(async ({ queries }) => {
        const users = await listUsers(queries, { participantId: options.participant });
        if (options.participant !== undefined && users.length === 0) await existingParticipant(queries, options.participant);
        if (options.json) return cli.json(users);
        printUsers(cli, users);
      }),
    );

  for (const [name, enabled] of [['disable', false], ['enable', true]] as const) {
    user
      .command(name)
      .description(t(enabled ? 'cli.help.user.enable' : 'cli.help.user.disable'))
      .argument('<participant-id>', t('cli.help.argument.participant'))
      .argument('<user-id>', t('cli.help.argument.user'))
      .action((participantId: string, userId: string) =>
        cli.withServices(async ({ queries, notices }) => {
          const updated = await setUserEnabled(queries, { participantId, userId }, enabled, cli.operator, notices);
          cli.say(msg('cli.user.statusNow', { user: updated.userId, participant: updated.participantId, status: t(`cli.user.status.${updated.status}`) }));
        }),
      );
  }

  user
    .command('unlock')
    .description(t('cli.help.user.unlock'))
    .argument('<participant-id>', t('cli.help.argument.participant'))
    .argument('<user-id>', t('cli.help.argument.user'))
    .action((participantId: string, userId: string) =>
      cli.withDatabase(async ({ queries }) => {
        const updated = await unlockUser(queries, { participantId, userId }, cli.operator);
        cli.say(msg('cli.user.unlocked', { user: updated.userId, participant: updated.participantId }));
      }),
    );

  user
    .command('import')
    .description(t('cli.help.user.import'))
    .argument('<file>', t('cli.help.argument.csvFile'))
    .option('--json', t('cli.help.option.jsonReport'))
    .action(async (file: string, options: { json?: boolean }) => {
      const bytes = await readInputFile(file);
      await cli.withServices(async ({ activation }) => {
        const report = await importUsers(activation, bytes, cli.operator, IMPORT_LIMITS);
        if (!report.accepted) throw new CliError(EXIT.badInput, msg('cli.import.notImported', { file, problem: t(csvFileProblemMessage(report.problem)) }));
        if (options.json) cli.json(report);
        else printImport(cli, report);
        if (report.summary.rejected > 0) throw new CliError(EXIT.badInput, msg('cli.import.rejected', { count: report.summary.rejected }));
      });
    });
}

function printUsers(cli: CliContext, users: readonly UserSummary[]): void {
  const { t } = cli;
  if (users.length === 0) return cli.say('cli.user.none');
  const now = Date.now();
  const rows = users.map((user) => [
    user.participantId,
    user.userId,
    user.lockedUntil && user.lockedUntil.getTime() > now ? t('cli.user.status.locked') : t(`cli.user.status.${user.status}`),
    t(user.hasPassword ? 'cli.yes' : 'cli.no'),
    user.secondFactor ? t(`cli.user.secondFactor.${user.secondFactor}`) : '-',
    user.email ?? '-',
    user.displayName,
  ]);
  const header = ['participant', 'user', 'status', 'password', 'secondFactor', 'email', 'name'] as const;
  cli.io.out(table(header.map((column) => t(`cli.user.column.${column}`)), rows));
}

type AcceptedImport = Extract<ImportReport, { accepted: true }>;

function printImport(cli: CliContext, report: AcceptedImport): void {
  const { t } = cli;
  for (const row of report.rows) {
    const who = `${row.participantId ?? '-'}/${row.userId ?? '-'}`;
    const outcome = t(`cli.import.outcome.${row.outcome}`);
    const problems = row.problems.map((problem) => t(rowProblemMessage(problem)));
    cli.say(problems.length ? msg('cli.import.lineWithProblems', { line: row.line, who, outcome, problems: problems.join(t('cli.list.separator')) }) : msg('cli.import.line', { line: row.line, who, outcome }));
  }
  cli.say(msg('cli.import.summary', report.summary));
  const queued = report.rows.filter((row) => row.activationQueued).length;
  if (queued > 0) cli.say(msg('cli.import.queued', { count: queued }));
}
