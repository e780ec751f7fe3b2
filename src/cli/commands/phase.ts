/**
 * `ccass-auth phase …`: the migration phase in force and the operator's controls over it —
 * pin a phase (on every node within phases.refreshSeconds, optionally until a Hong Kong
 * time), clear the pin, and the pilot participants of the connectivity test.
 */
import type { Command } from 'commander';
import { systemClock } from '../../kernel/clock.js';
import type { Config } from '../../config/schema.js';
import { announcedHongKongTime } from '../../i18n/locales.js';
import { msg, type Message } from '../../i18n/translate.js';
import { addPilotParticipant, clearPhasePin, phaseReport, pinPhase, removePilotParticipant, type PhaseReport } from '../../policy/phase-control.js';
import { createPhasePolicy, type PolicySnapshot } from '../../policy/phase-policy.js';
import { PHASES } from '../../policy/phases.js';
import { deadlineCalendar, deadlineStandings, type DeadlineStanding } from '../../reminders/calendar.js';
import { parseHongKongTime } from '../../kernel/hong-kong-time.js';
import type { Queries } from '../../store/index.js';
import type { CliContext } from '../context.js';
import { labelled } from '../output.js';

export function registerPhaseCommands(program: Command, cli: CliContext): void {
  const { t } = cli;
  const phase = program.command('phase').description(t('cli.help.phase'));
  const controls = (config: Config, queries: Queries) => ({ queries, clock: systemClock, plan: config.phases });

  phase
    .command('show')
    .description(t('cli.help.phase.show'))
    .option('--json', t('cli.help.option.json'))
    .action((options: { json?: boolean }) =>
      cli.withDatabase(async ({ config, queries }) => {
        const snapshot = await createPhasePolicy({ ...config.phases, refreshSeconds: 0 }, queries.phaseControls, systemClock).current();
        const report = phaseReport(snapshot);
        const pilots = [...snapshot.pilots].sort();
        // What GET /status says: a phase that allows smartcards on a server without smartcard.caFile still refuses them.
        const smartcard = { allowedByPhase: report.methods.smartcard, configured: Boolean(config.smartcard.caFile) };
        const exceptions = await queries.userExceptions.liveSummary(systemClock.now());
        const deadlines = deadlineStandings(deadlineCalendar(config), systemClock.now());
        if (options.json) {
          const deadlinesJson = Object.fromEntries(deadlines.map((deadline) => [deadline.kind, { at: deadline.at, passed: deadline.passed, daysLeft: deadline.daysLeft, nextReminder: deadline.nextReminder ?? null }]));
          return cli.json({ ...report, methods: { ...report.methods, smartcard: smartcard.allowedByPhase && smartcard.configured }, smartcard, pilots, exceptions, deadlines: { emailRegistration: null, secondFactor: null, ...deadlinesJson } });
        }
        cli.io.out(describePhase(cli, report, snapshot, smartcard, pilots, exceptions, deadlines));
      }),
    );

  phase
    .command('set')
    .description(t('cli.help.phase.set'))
    .argument('<phase>', PHASES.join(' | '))
    .option('--until <hong-kong-time>', t('cli.help.option.pinUntil'))
    .option('--reason <text>', t('cli.help.option.pinReason'))
    .action((name: string, options: { until?: string; reason?: string }) =>
      cli.withDatabase(async ({ config, queries }) => {
        const state = await pinPhase(controls(config, queries), { phase: name, until: options.until, reason: options.reason }, cli.operator);
        const until = options.until === undefined ? undefined : parseHongKongTime(options.until);
        cli.say(until ? msg('cli.phase.pinned', { phase: state.phase, until: announcedHongKongTime(until, cli.locale) }) : msg('cli.phase.pinnedUntilCleared', { phase: state.phase }));
        if (state.next) cli.say(msg('cli.phase.then', { phase: state.next.phase, time: announcedHongKongTime(state.next.at, cli.locale) }));
      }),
    );

  phase
    .command('clear')
    .description(t('cli.help.phase.clear'))
    .action(() =>
      cli.withDatabase(async ({ config, queries }) => {
        const state = await clearPhasePin(controls(config, queries), cli.operator);
        cli.say(msg('cli.phase.cleared', { phase: state.phase, source: t(`cli.phase.source.${state.source}`) }));
      }),
    );

  const pilot = phase.command('pilot').description(t('cli.help.phase.pilot'));
  pilot
    .command('add')
    .description(t('cli.help.phase.pilot.add'))
    .argument('<participant-id>', t('cli.help.argument.participant'))
    .action((participantId: string) =>
      cli.withDatabase(async ({ config, queries }) => {
        const result = await addPilotParticipant(controls(config, queries), participantId, cli.operator);
        cli.say(msg(result.added ? 'cli.phase.pilot.added' : 'cli.phase.pilot.already', { participant: result.participantId }));
      }),
    );
  pilot
    .command('remove')
    .description(t('cli.help.phase.pilot.remove'))
    .argument('<participant-id>', t('cli.help.argument.participant'))
    .action((participantId: string) =>
      cli.withDatabase(async ({ config, queries }) => {
        const result = await removePilotParticipant(controls(config, queries), participantId, cli.operator);
        cli.say(msg('cli.phase.pilot.removed', { participant: result.participantId }));
      }),
    );
  pilot
    .command('list')
    .description(t('cli.help.phase.pilot.list'))
    .action(() =>
      cli.withDatabase(async ({ config, queries }) => {
        const fromCli = await queries.phaseControls.pilots();
        for (const participant of config.phases.pilotParticipants) cli.say(msg('cli.phase.pilot.fromConfiguration', { participant }));
        for (const row of fromCli) cli.say(msg('cli.phase.pilot.fromCli', { participant: row.participant_id, time: announcedHongKongTime(row.added_at, cli.locale), actor: row.added_by }));
        if (fromCli.length + config.phases.pilotParticipants.length === 0) cli.say('cli.phase.pilot.none');
      }),
    );
}

function describePhase(
  cli: CliContext,
  report: PhaseReport,
  snapshot: PolicySnapshot,
  smartcard: { allowedByPhase: boolean; configured: boolean },
  pilots: readonly string[],
  exceptions: ReadonlyArray<{ kind: string; count: number; latestUntil: Date }> = [],
  deadlines: readonly DeadlineStanding[] = [],
): string {
  const { t, locale } = cli;
  const smartcardText: Message = !smartcard.allowedByPhase ? msg('cli.phase.notAllowed') : smartcard.configured ? msg('cli.phase.allowed') : msg('cli.phase.smartcardNotConfigured');
  const twoFactor = report.methods.twoFactor ? 'cli.phase.allowed' : report.methods.twoFactorPilotsOnly ? 'cli.phase.twoFactorPilotsOnly' : 'cli.phase.twoFactorNotAllowed';
  const lines: Array<[string, string]> = [
    [t('cli.phase.label.phase'), t(msg('cli.phase.inForce', { phase: report.phase, source: t(`cli.phase.source.${report.source}`) }))],
    [t('cli.phase.label.next'), report.next && snapshot.next ? t(msg('cli.phase.nextAt', { phase: report.next.phase, time: announcedHongKongTime(snapshot.next.at, locale) })) : t('cli.phase.noneScheduled')],
    [t('cli.phase.label.smartcard'), t(smartcardText)],
    [t('cli.phase.label.twoFactor'), t(twoFactor)],
    [t('cli.phase.label.enrolment'), t(report.enrolment ? 'cli.phase.open' : 'cli.phase.closed')],
  ];
  const pin = report.source === 'operator' ? snapshot.pin : undefined;
  if (pin) {
    const pinned = pin.until
      ? t(msg('cli.phase.pinUntil', { phase: pin.phase, until: announcedHongKongTime(pin.until, locale), actor: pin.set_by }))
      : t(msg('cli.phase.pinUntilCleared', { phase: pin.phase, actor: pin.set_by }));
    lines.push([t('cli.phase.label.pinned'), pin.reason ? t(msg('cli.phase.pinWithReason', { pin: pinned, reason: pin.reason })) : pinned]);
  }
  lines.push([t('cli.phase.label.pilots'), pilots.length ? pilots.join(', ') : t('cli.phase.noPilots')]);
  // Dated per-user exceptions in force (`user exception list` names them), one line per kind.
  if (exceptions.length === 0) lines.push([t('cli.phase.label.exceptions'), t('cli.exception.none')]);
  exceptions.forEach((live, index) =>
    lines.push([index === 0 ? t('cli.phase.label.exceptions') : '', t(msg('cli.phase.exceptions', { kind: live.kind, count: live.count, until: announcedHongKongTime(live.latestUntil, locale) }))]),
  );
  // The circular's deadlines: each in Hong Kong time, passed or how long is left and the next reminder day.
  if (deadlines.length === 0) lines.push([t('cli.phase.label.deadlines'), t('cli.phase.deadline.none')]);
  deadlines.forEach((deadline, index) => lines.push([index === 0 ? t('cli.phase.label.deadlines') : '', t(deadlineLine(t, deadline))]));
  return labelled(lines);
}

function deadlineLine(t: CliContext['t'], deadline: DeadlineStanding): Message {
  const name = t(`calendar.name.${deadline.kind}`);
  if (deadline.passed) return msg('cli.phase.deadline.passed', { name, deadline: deadline.at });
  const days = deadline.daysLeft;
  return deadline.nextReminder
    ? msg('cli.phase.deadline.ahead', { name, deadline: deadline.at, days, reminder: deadline.nextReminder })
    : msg('cli.phase.deadline.aheadNoReminder', { name, deadline: deadline.at, days });
}
