/**
 * `ccass-auth report readiness`: migration readiness per participant (one query), as a
 * table in the operator's language, as CSV (one row per participant, safe in a spreadsheet)
 * or as JSON.
 */
import type { Command } from 'commander';
import { systemClock } from '../../kernel/clock.js';
import { normaliseParticipantId } from '../../kernel/identifiers.js';
import { hongKongDateTime } from '../../i18n/locales.js';
import { msg, type Message } from '../../i18n/translate.js';
import { READINESS_COLUMNS, readinessReport, readinessReportCsv, readyPercent, type ReadinessCount, type ReadinessReport } from '../../reports/readiness-report.js';
import type { CliContext } from '../context.js';
import { CliError, EXIT } from '../failures.js';
import { existingParticipant } from '../inputs.js';
import { table } from '../output.js';

export function registerReportCommands(program: Command, cli: CliContext): void {
  const { t } = cli;
  program
    .command('report')
    .description(t('cli.help.report'))
    .command('readiness')
    .description(t('cli.help.report.readiness'))
    .option('--participant <participant-id>', t('cli.help.option.onlyParticipant'))
    .option('--days <n>', t('cli.help.option.days'), '30')
    .option('--csv', t('cli.help.option.csv'))
    .option('--json', t('cli.help.option.json'))
    .action((options: { participant?: string; days: string; csv?: boolean; json?: boolean }) =>
      cli.withDatabase(async ({ queries }) => {
        const problems: Message[] = [];
        if (options.participant !== undefined && !normaliseParticipantId(options.participant)) problems.push(msg('cli.option.participant'));
        const windowDays = Number(options.days);
        if (!/^\d+$/.test(options.days) || windowDays < 1 || windowDays > 366) problems.push(msg('cli.option.days'));
        if (options.csv && options.json) problems.push(msg('cli.option.csvOrJson'));
        if (problems.length) throw new CliError(EXIT.badInput, msg('cli.error.options'), problems);
        const participantId = options.participant === undefined ? undefined : await existingParticipant(queries, options.participant);
        const report = await readinessReport(queries, { now: systemClock.now(), participantId, windowDays });
        if (options.csv) cli.io.out(readinessReportCsv(report));
        else if (options.json) cli.json(report);
        else cli.io.out(readinessTable(cli, report));
      }),
    );
}

/** An aligned table with a total row when there is more than one participant. */
function readinessTable(cli: CliContext, report: ReadinessReport): string {
  const { t } = cli;
  const header = [t('cli.readiness.column.participant'), ...READINESS_COLUMNS.map((column) => t(`cli.readiness.column.${column.key}`)), t('cli.readiness.column.readyPercent')];
  const line = (id: string, counts: Record<ReadinessCount, number>) => [id, ...READINESS_COLUMNS.map((column) => String(counts[column.key])), readyPercent(counts)];
  const rows = report.participants.map((row) => line(row.participant_id, row));
  if (report.participants.length > 1) rows.push(line(t('cli.readiness.total'), report.totals));
  const numbers = new Set(header.map((_, index) => index).filter((index) => index > 0));
  const title = t(msg('cli.readiness.title', { time: hongKongDateTime(report.generatedAt, cli.locale), days: report.windowDays }));
  // Dated per-user exceptions in force: a count, then who has which until when, and why.
  const exceptions = report.exceptions ?? [];
  const excepted = exceptions.map((exception) => `  ${exception.participantId} ${exception.userId}: ${exception.kind}, ${hongKongDateTime(exception.until, cli.locale)} (${exception.reason})`);
  return `${title}\n${table(header, rows, { right: numbers })}${t(msg('report.exceptions', { count: exceptions.length }))}\n${excepted.map((line) => `${line}\n`).join('')}`;
}
