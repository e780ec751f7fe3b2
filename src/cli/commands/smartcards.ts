/**
 * `ccass-auth smartcard bind|unbind|list`: smartcard certificates bound to users by their
 * SHA-256 fingerprint. Binding checks the card as a login would (chain to smartcard.caFile,
 * validity, revocation); it is refused (exit 5) on a server without smartcards.
 */
import type { Command } from 'commander';
import { systemClock } from '../../kernel/clock.js';
import type { Config } from '../../config/schema.js';
import { bindSmartcard, listSmartcards, unbindSmartcard } from '../../directory/smartcards.js';
import { createSmartcardTrustStore } from '../../factors/smartcard-trust.js';
import { announcedHongKongTime, hongKongDateTime } from '../../i18n/locales.js';
import { msg } from '../../i18n/translate.js';
import { createLogger } from '../../observability/logger.js';
import type { Queries } from '../../store/index.js';
import type { CliContext } from '../context.js';
import { CliError, EXIT } from '../failures.js';
import { readInputFile } from '../inputs.js';
import { table } from '../output.js';

export function registerSmartcardCommands(program: Command, cli: CliContext): void {
  const { t } = cli;
  const smartcard = program.command('smartcard').description(t('cli.help.smartcard'));
  const administration = (config: Config, queries: Queries) => ({
    queries,
    clock: systemClock,
    trust: config.smartcard.caFile
      ? createSmartcardTrustStore({ caFile: config.smartcard.caFile, crlFiles: config.smartcard.crlFiles, requireCrl: config.smartcard.requireCrl }, createLogger('silent'))
      : undefined,
  });

  smartcard
    .command('bind')
    .description(t('cli.help.smartcard.bind'))
    .argument('<participant-id>', t('cli.help.argument.participant'))
    .argument('<user-id>', t('cli.help.argument.user'))
    .argument('<certificate>', t('cli.help.argument.certificate'))
    .action(async (participantId: string, userId: string, file: string) => {
      const certificate = await readInputFile(file);
      await cli.withDatabase(async ({ config, queries }) => {
        const bound = await bindSmartcard(administration(config, queries), { participantId, userId }, certificate, cli.operator);
        cli.say(
          msg('cli.smartcard.bound', {
            fingerprint: bound.fingerprint,
            serial: bound.serial,
            user: userId.toUpperCase(),
            participant: participantId.toUpperCase(),
            until: announcedHongKongTime(bound.notAfter, cli.locale),
          }),
        );
      });
    });

  smartcard
    .command('unbind')
    .description(t('cli.help.smartcard.unbind'))
    .argument('<participant-id>', t('cli.help.argument.participant'))
    .argument('<user-id>', t('cli.help.argument.user'))
    .argument('[certificate]', t('cli.help.argument.certificate'))
    .option('--all', t('cli.help.option.allCards'))
    .action(async (participantId: string, userId: string, file: string | undefined, options: { all?: boolean }) => {
      if (Boolean(file) === Boolean(options.all)) throw new CliError(EXIT.badInput, msg('cli.smartcard.whichCard'));
      const certificate = file ? await readInputFile(file) : undefined;
      await cli.withServices(async ({ config, queries, notices }) => {
        const removed = await unbindSmartcard({ ...administration(config, queries), notices }, { participantId, userId }, certificate, cli.operator);
        for (const card of removed) cli.say(msg('cli.smartcard.unbound', { fingerprint: card.fingerprint }));
      });
    });

  smartcard
    .command('list')
    .description(t('cli.help.smartcard.list'))
    .argument('<participant-id>', t('cli.help.argument.participant'))
    .argument('<user-id>', t('cli.help.argument.user'))
    .option('--json', t('cli.help.option.json'))
    .action((participantId: string, userId: string, options: { json?: boolean }) =>
      cli.withDatabase(async ({ config, queries }) => {
        const cards = await listSmartcards(administration(config, queries), { participantId, userId });
        if (options.json) return cli.json(cards);
        if (cards.length === 0) return cli.say('cli.smartcard.none');
        cli.io.out(
          table(
            [t('cli.smartcard.column.fingerprint'), t('cli.smartcard.column.serial'), t('cli.smartcard.column.validUntil'), t('cli.smartcard.column.subject')],
            cards.map((card) => [card.fingerprint, card.serial, hongKongDateTime(card.notAfter, cli.locale), card.subject.replace(/\n/g, ', ')]),
          ),
        );
      }),
    );
}
