/**
 * `ccass-auth reminders run`: one tick of the reminders now (src/reminders/tick.ts) — what
 * every server node's cron tick does. Safe to run at any time, on any number of machines: a
 * mail already queued for its cause is not queued again. Prints how many were due and queued.
 */
import type { Command } from 'commander';
import { msg } from '../../i18n/translate.js';
import { runReminderTick } from '../../reminders/tick.js';
import type { CliContext } from '../context.js';

export function registerReminderCommands(program: Command, cli: CliContext): void {
  program
    .command('reminders')
    .description(cli.t('cli.help.reminders'))
    .command('run')
    .description(cli.t('cli.help.reminders.run'))
    .option('--json', cli.t('cli.help.option.json'))
    .action((options: { json?: boolean }) =>
      cli.withServices(async (services) => {
        const result = await runReminderTick(services.reminders);
        if (options.json) cli.json(result);
        else cli.say(msg('cli.reminders.result', { due: result.due, queued: result.queued, earlier: result.earlier }));
      }),
    );
}
