/**
 * `ccass-auth audit list`: the append-only audit trail, newest first, filtered by
 * participant, user, type (or a prefix ending in "."), outcome and time.
 */
import type { Command } from 'commander';
import { normaliseParticipantId, normaliseUserId } from '../../kernel/identifiers.js';
import { hongKongDateTime } from '../../i18n/locales.js';
import { msg, type Message } from '../../i18n/translate.js';
import { parseHongKongTime } from '../../kernel/hong-kong-time.js';
import type { AuditFilter } from '../../store/audit.js';
import type { CliContext } from '../context.js';
import { CliError, EXIT } from '../failures.js';
import { existingParticipant } from '../inputs.js';

interface AuditOptions {
  participant?: string;
  user?: string;
  type?: string;
  outcome?: string;
  since?: string;
  until?: string;
  limit: string;
  json?: boolean;
}

export function registerAuditCommands(program: Command, cli: CliContext): void {
  const { t } = cli;
  program
    .command('audit')
    .description(t('cli.help.audit'))
    .command('list')
    .description(t('cli.help.audit.list'))
    .option('--participant <participant-id>', t('cli.help.option.onlyParticipant'))
    .option('--user <user-id>', t('cli.help.option.onlyUser'))
    .option('--type <type>', t('cli.help.option.auditType'))
    .option('--outcome <outcome>', t('cli.help.option.outcome'))
    .option('--since <time>', t('cli.help.option.since'))
    .option('--until <time>', t('cli.help.option.until'))
    .option('--limit <n>', t('cli.help.option.limit'), '100')
    .option('--json', t('cli.help.option.jsonLines'))
    .action((options: AuditOptions) =>
      cli.withDatabase(async ({ queries }) => {
        const filter = parseAuditFilter(options);
        if (filter.participantId) await existingParticipant(queries, filter.participantId);
        const events = await queries.audit.list(filter);
        for (const event of events) {
          if (options.json) {
            cli.io.out(`${JSON.stringify({ ...event, id: Number(event.id) })}\n`);
            continue;
          }
          cli.say(
            msg('cli.audit.event', {
              time: hongKongDateTime(event.occurred_at, cli.locale),
              type: event.type,
              outcome: event.outcome,
              who: event.participant_id ? `${event.participant_id}/${event.user_id ?? '-'}` : '-',
              actor: event.actor ?? '-',
              ip: event.ip ?? '-',
              details: JSON.stringify(event.details),
            }),
          );
        }
        if (!options.json && events.length === 0) cli.say('cli.audit.none');
      }),
    );
}

/** A time as operators write it: Hong Kong time ("2026-11-24" or "2026-11-24T09:00"), or ISO 8601 with its offset. */
function parseTime(value: string): Date | undefined {
  const hongKong = parseHongKongTime(value);
  if (hongKong) return hongKong;
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/i.test(value)) return undefined;
  const instant = new Date(value);
  return Number.isNaN(instant.getTime()) ? undefined : instant;
}

function parseAuditFilter(options: AuditOptions): AuditFilter {
  const problems: Message[] = [];
  const participantId = options.participant === undefined ? undefined : normaliseParticipantId(options.participant);
  if (options.participant !== undefined && !participantId) problems.push(msg('cli.option.participant'));
  const userId = options.user === undefined ? undefined : normaliseUserId(options.user);
  if (options.user !== undefined && !userId) problems.push(msg('cli.option.user'));
  if (options.type !== undefined && !/^[a-z_.]{1,64}$/.test(options.type)) problems.push(msg('cli.option.type'));
  if (options.outcome !== undefined && options.outcome !== 'success' && options.outcome !== 'failure') problems.push(msg('cli.option.outcome'));
  const time = (name: 'since' | 'until') => {
    const value = options[name];
    if (value === undefined) return undefined;
    const parsed = parseTime(value);
    if (!parsed) problems.push(msg('cli.option.time', { option: `--${name}` }));
    return parsed;
  };
  const since = time('since');
  const until = time('until');
  const limit = Number(options.limit);
  if (!/^\d+$/.test(options.limit) || limit < 1 || limit > 10000) problems.push(msg('cli.option.limit'));
  if (problems.length) throw new CliError(EXIT.badInput, msg('cli.error.options'), problems);
  return { participantId, userId, type: options.type, outcome: options.outcome as AuditFilter['outcome'], since, until, limit };
}
