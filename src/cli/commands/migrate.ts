/** `ccass-auth migrate`: applies pending database migrations and installs the job queue (safe to repeat; knex and pg-boss take locks). */
import type { Command } from 'commander';
import { msg } from '../../i18n/translate.js';
import { migrateToLatest } from '../../store/migrate.js';
import type { CliContext } from '../context.js';

export function registerMigrateCommand(program: Command, cli: CliContext): void {
  program
    .command('migrate')
    .description(cli.t('cli.help.migrate'))
    .action(() =>
      cli.withDatabase(async ({ database }) => {
        const applied = await migrateToLatest(database.db);
        cli.say(applied.length ? msg('cli.migrate.applied', { names: applied.join(', ') }) : 'cli.migrate.upToDate');
      }),
    );
}
