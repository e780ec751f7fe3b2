/** `ccass-auth participant add|list`: the CCASS Participants (and Designated Banks) whose users log in. */
import type { Command } from 'commander';
import { addParticipant, setSoleDaExemption } from '../../directory/participants.js';
import { ValidationError } from '../../kernel/errors.js';
import { msg } from '../../i18n/translate.js';
import type { CliContext } from '../context.js';
import { table } from '../output.js';

export function registerParticipantCommands(program: Command, cli: CliContext): void {
  const { t } = cli;
  const participant = program.command('participant').description(t('cli.help.participant'));

  participant
    .command('add')
    .description(t('cli.help.participant.add'))
    .argument('<participant-id>', t('cli.help.argument.participantExample'))
    .requiredOption('--name <name>', t('cli.help.option.participantName'))
    .action((id: string, options: { name: string }) =>
      cli.withDatabase(async ({ queries }) => {
        const added = await addParticipant(queries, { id, name: options.name }, cli.operator);
        cli.say(msg('cli.participant.added', { participant: added.id }));
      }),
    );

  // Maker-checker: a firm with one active DA may act alone only with this exemption (audited with its reason).
  participant
    .command('sole-da-exempt')
    .description(t('cli.help.participant.soleDaExempt'))
    .argument('<participant-id>', t('cli.help.argument.participantExample'))
    .argument('<on|off>', t('cli.help.argument.onOff'))
    .requiredOption('--reason <text>', t('cli.help.option.exemptionReason'))
    .action((id: string, state: string, options: { reason: string }) =>
      cli.withDatabase(async ({ queries }) => {
        const value = state.trim().toLowerCase();
        if (value !== 'on' && value !== 'off') throw new ValidationError('cli.participant.soleDaExempt.onOff', { state: 'on_or_off' });
        const result = await setSoleDaExemption(queries, { id, exempt: value === 'on', reason: options.reason }, cli.operator);
        cli.say(msg(result.changed ? (value === 'on' ? 'cli.participant.soleDaExempt.on' : 'cli.participant.soleDaExempt.off') : 'cli.participant.soleDaExempt.unchanged', { participant: result.id }));
      }),
    );

  participant
    .command('list')
    .description(t('cli.help.participant.list'))
    .option('--json', t('cli.help.option.json'))
    .action((options: { json?: boolean }) =>
      cli.withDatabase(async ({ queries }) => {
        const rows = await queries.participants.list();
        if (options.json) return cli.json(rows);
        if (rows.length === 0) return cli.say('cli.participant.none');
        cli.io.out(
          table(
            [t('cli.participant.column.id'), t('cli.participant.column.status'), t('cli.participant.column.name')],
            rows.map((row) => [row.id, t(`cli.participant.status.${row.status}`), row.name]),
          ),
        );
      }),
    );
}
