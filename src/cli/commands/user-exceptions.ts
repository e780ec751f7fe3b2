/**
 * `ccass-auth user exception grant|revoke|list`: dated per-user exceptions from the schedule
 * (src/directory/user-exceptions.ts). The end is written in Hong Kong time and read back in
 * words; a bad kind, a past or too distant end, or no reason is bad input (exit 2), an unknown
 * user or no exception to revoke is not found (exit 3).
 */
import type { Command } from 'commander';
import { systemClock } from '../../kernel/clock.js';
import { parseHongKongTime } from '../../kernel/hong-kong-time.js';
import { grantUserException, listUserExceptions, revokeUserException } from '../../directory/user-exceptions.js';
import { announcedHongKongTime, hongKongDateTime } from '../../i18n/locales.js';
import { msg } from '../../i18n/translate.js';
import { isExceptionKind } from '../../policy/user-exception-kinds.js';
import type { CliContext } from '../context.js';
import { table } from '../output.js';

export function registerUserExceptionCommands(user: Command, cli: CliContext): void {
  const { t } = cli;
  const exception = user.command('exception').description(t('cli.help.user.exception'));

  exception
    .command('grant')
    .description(t('cli.help.user.exception.grant'))
    .argument('<participant-id>', t('cli.help.argument.participant'))
    .argument('<user-id>', t('cli.help.argument.user'))
    .requiredOption('--kind <kind>', t('cli.help.option.exceptionKind'))
    .requiredOption('--until <hong-kong-time>', t('cli.help.option.exceptionUntil'))
    .requiredOption('--reason <text>', t('cli.help.option.exceptionReason'))
    .action((participantId: string, userId: string, options: { kind: string; until: string; reason: string }) =>
      cli.withServices(async ({ queries, notices }) => {
        // An unreadable date reaches the use case as an invalid Date: one place words the refusal.
        const until = parseHongKongTime(options.until) ?? new Date(Number.NaN);
        const granted = await grantUserException({ queries, notices, clock: systemClock }, { participantId, userId }, { kind: options.kind, until, reason: options.reason }, cli.operator);
        const { exception: given } = granted;
        cli.say(msg('cli.exception.granted', { user: given.userId, participant: given.participantId, kind: given.kind, until: announcedHongKongTime(given.until, cli.locale) }));
        if (granted.replaced) cli.say(msg('cli.exception.replaced', { until: announcedHongKongTime(granted.replaced.until, cli.locale) }));
      }),
    );

  exception
    .command('revoke')
    .description(t('cli.help.user.exception.revoke'))
    .argument('<participant-id>', t('cli.help.argument.participant'))
    .argument('<user-id>', t('cli.help.argument.user'))
    .requiredOption('--kind <kind>', t('cli.help.option.exceptionKind'))
    .option('--reason <text>', t('cli.help.option.exceptionReason'))
    .action((participantId: string, userId: string, options: { kind: string; reason?: string }) =>
      cli.withServices(async ({ queries, notices }) => {
        const ended = await revokeUserException({ queries, notices, clock: systemClock }, { participantId, userId }, options.kind, cli.operator, options.reason);
        cli.say(msg('cli.exception.revoked', { user: ended.userId, participant: ended.participantId, kind: ended.kind, until: announcedHongKongTime(ended.until, cli.locale) }));
      }),
    );

  exception
    .command('list')
    .description(t('cli.help.user.exception.list'))
    .argument('[participant-id]', t('cli.help.argument.participant'))
    .option('--json', t('cli.help.option.json'))
    .action((participantId: string | undefined, options: { json?: boolean }) =>
      cli.withDatabase(async ({ queries }) => {
        const live = await listUserExceptions({ queries, clock: systemClock }, participantId);
        if (options.json) return cli.json(live);
        if (live.length === 0) return cli.say('cli.exception.none');
        cli.io.out(
          table(
            ['participant', 'user', 'kind', 'until', 'grantedBy', 'reason'].map((column) => t(`cli.exception.column.${column}` as 'cli.exception.column.user')),
            // The kind in words; --json keeps its code.
            live.map((row) => [row.participantId, row.userId, isExceptionKind(row.kind) ? t(`exceptions.kind.${row.kind}`) : row.kind, hongKongDateTime(row.until, cli.locale), row.grantedBy, row.reason]),
          ),
        );
      }),
    );
}
