/**
 * The operator CLI (`ccass-auth …`, or `npm run cli -- …` in a checkout): the command groups
 * composed into one program, and one run of it — the language chosen first (so help is in it
 * too), then the command, then one exit code and at most one error, worded once.
 */
import { Command, CommanderError, Help } from 'commander';
import { msg, type Message } from '../i18n/translate.js';
import { registerAuditCommands } from './commands/audit.js';
import { registerDelegatedAdministratorCommands } from './commands/delegated-administrators.js';
import { registerKeyCommands } from './commands/keys.js';
import { registerMigrateCommand } from './commands/migrate.js';
import { registerParticipantCommands } from './commands/participants.js';
import { registerPhaseCommands } from './commands/phase.js';
import { registerReportCommands } from './commands/reports.js';
import { registerReminderCommands } from './commands/reminders.js';
import { registerSmartcardCommands } from './commands/smartcards.js';
import { registerUserCommands } from './commands/users.js';
import { createCliContext, type CliContext, type CliIo } from './context.js';
import { describeFailure, EXIT, exitCodeFor, type ExitCode } from './failures.js';
import { cliLocale } from './locale.js';
import { packageVersion } from './version.js';

export type { CliIo } from './context.js';

const PROGRAM_NAME = 'ccass-auth';

export function buildProgram(cli: CliContext): Command {
  const { t, io } = cli;
  const titles: Record<string, string> = {
    'Usage:': t('cli.help.title.usage'),
    'Arguments:': t('cli.help.title.arguments'),
    'Options:': t('cli.help.title.options'),
    'Commands:': t('cli.help.title.commands'),
    'Global Options:': t('cli.help.title.globalOptions'),
  };
  const program = new Command(PROGRAM_NAME)
    // Inherited by every command created after this: help in the operator's language, and
    // errors left to runCli, which words them once (commander would print its own first).
    .configureOutput({ writeOut: (text) => io.out(text), writeErr: (text) => io.err(text), outputError: () => undefined })
    .configureHelp({
      styleTitle: (title) => titles[title] ?? title,
      optionDescription: (option) => option.description,
      // Full-width punctuation carries its own spacing: "用法：ccass-auth …", not "用法： ccass-auth …".
      formatHelp: (command, helper) => Help.prototype.formatHelp.call(helper, command, helper).replace(/^(\S*：) /, '$1'),
    })
    .helpOption('-h, --help', t('cli.help.helpOption'))
    .helpCommand('help [command]', t('cli.help.helpCommand'))
    .exitOverride()
    .description(t('cli.help.program'))
    .version(packageVersion(), '-V, --version', t('cli.help.version'))
    .option('--lang <language>', t('cli.help.lang'));

  registerMigrateCommand(program, cli);
  registerParticipantCommands(program, cli);
  registerUserCommands(program, cli);
  registerDelegatedAdministratorCommands(program, cli);
  registerPhaseCommands(program, cli);
  registerSmartcardCommands(program, cli);
  registerKeyCommands(program, cli);
  registerReportCommands(program, cli);
  registerReminderCommands(program, cli);
  registerAuditCommands(program, cli);
  return program;
}

/** Runs the CLI on `argv` (the words after the program name) and returns the exit code; every failure is printed once, on io.err. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<ExitCode> {
  const { locale, invalid } = cliLocale(argv, io.env);
  const cli = createCliContext(io, locale);
  const fail = (text: string) => io.err(`${cli.t(msg('cli.error.prefix', { message: text }))}\n`);
  if (invalid !== undefined) {
    fail(cli.t(msg('cli.error.lang', { lang: invalid })));
    return EXIT.badInput;
  }
  const program = buildProgram(cli);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return EXIT.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and the version were printed as asked; help shown for a command group without its subcommand says enough.
      if (error.exitCode === 0 || error.code === 'commander.help') return exitCodeFor(error);
      fail([cli.t(usageError(error)), cli.t(msg('cli.usage.seeHelp', { command: commandPath(program, argv) }))].join('\n'));
      return EXIT.badInput;
    }
    fail(describeFailure(error, cli.t));
    return exitCodeFor(error);
  }
}

/** Commander's usage errors in catalogue words; its message names the option, argument or command in quotes. */
function usageError(error: CommanderError): Message[] {
  const quoted = [...error.message.matchAll(/'([^']*)'/g)].map((match) => match[1] ?? '');
  const name = quoted[0] ?? '';
  const suggestion = /\(Did you mean (.+?)\?\)/.exec(error.message)?.[1];
  const hint = suggestion ? [msg('cli.usage.didYouMean', { suggestion })] : [];
  switch (error.code) {
    case 'commander.unknownCommand':
      return [msg('cli.usage.unknownCommand', { command: name }), ...hint];
    case 'commander.unknownOption':
      return [msg('cli.usage.unknownOption', { option: name }), ...hint];
    case 'commander.missingArgument':
      return [msg('cli.usage.missingArgument', { argument: name })];
    case 'commander.optionMissingArgument':
      return [msg('cli.usage.optionMissingArgument', { option: name })];
    case 'commander.missingMandatoryOptionValue':
      return [msg('cli.usage.missingOption', { option: name })];
    case 'commander.excessArguments': {
      const [, expected = '?', got = '?'] = /Expected (\d+) arguments? but got (\d+)/.exec(error.message) ?? [];
      return [msg('cli.usage.excessArguments', { command: name, expected, got })];
    }
    default:
      return [msg('cli.usage.other', { detail: error.message.replace(/^error:\s*/, '') })];
  }
}

/** "ccass-auth user add": the deepest command that argv names, for the pointer to its help. */
function commandPath(program: Command, argv: readonly string[]): string {
  const names = [program.name()];
  let command = program;
  for (let index = 0; index < argv.length; index += 1) {
    const word = argv[index] as string;
    if (word === '--') break;
    if (word === '--lang') index += 1;
    if (word.startsWith('-')) continue;
    const sub = command.commands.find((candidate) => candidate.name() === word || candidate.aliases().includes(word));
    if (!sub) break;
    names.push(sub.name());
    command = sub;
  }
  return names.join(' ');
}
