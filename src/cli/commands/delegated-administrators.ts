/**
 * `ccass-auth da add`: makes a user (created if new) a Delegated Administrator of their
 * participant, registers their designated email and queues the activation link, in one
 * transaction (the server's nodes send the mail).
 */
import type { Command } from 'commander';
import { addDelegatedAdministrator } from '../../directory/delegated-administrators.js';
import { announcedHongKongTime } from '../../i18n/locales.js';
import { msg } from '../../i18n/translate.js';
import type { CliContext } from '../context.js';

export function registerDelegatedAdministratorCommands(program: Command, cli: CliContext): void {
  const { t } = cli;
  const da = program.command('da').description(t('cli.help.da'));

  da.command('add')
    .description(t('cli.help.da.add'))
    .argument('<participant-id>', t('cli.help.argument.participant'))
    .argument('<user-id>', t('cli.help.argument.user'))
    .requiredOption('--email <email>', t('cli.help.option.daEmail'))
    .option('--name <display-name>', t('cli.help.option.daName'))
    .action((participantId: string, userId: string, options: { email: string; name?: string }) =>
      cli.withServices(async ({ activation }) => {
        const { user, change, registration } = await addDelegatedAdministrator(
          activation,
          { participantId, userId, email: options.email, displayName: options.name },
          cli.operator,
        );
        cli.say(msg('cli.da.added', { user: user.userId, participant: user.participantId, change: t(`cli.da.change.${change}`) }));
        const email = { email: user.email ?? '-', outcome: t(`cli.email.outcome.${registration.outcome}`) };
        cli.say(
          registration.activation === 'not_needed'
            ? msg('cli.da.email.noLink', email)
            : msg('cli.da.email.linkQueued', { ...email, until: announcedHongKongTime(registration.activation.expiresAt, cli.locale) }),
        );
      }),
    );
}
