/**
 * The migration readiness report: per participant, how many users can log in with password
 * + OTP, how many are on the way, and how many still log in only by smartcard (they would be
 * shut out at `2fa-only`). Operators read it in the CLI (table or CSV); a DA sees their own
 * firm's row in DMS. Plain data in, plain data or text out.
 */
import { stringify } from 'csv-stringify/sync';
import { formatHongKongTime } from '../policy/phases.js';
import { READINESS_COUNTS, type ParticipantReadinessRow, type ReadinessReportQueries } from '../store/readiness-report.js';

export type ReadinessCount = (typeof READINESS_COUNTS)[number];

export interface ReadinessReport {
  generatedAt: Date;
  /** "Smartcard only" means: logged in within this many days, and only by smartcard. */
  windowDays: number;
  participants: ParticipantReadinessRow[];
  totals: Record<ReadinessCount, number>;
}

/** Column headings, in report order, for people (table, DMS) and for CSV headers. */
export const READINESS_COLUMNS: ReadonlyArray<{ key: ReadinessCount; heading: string; csv: string; description: string }> = [
  { key: 'users', heading: 'USERS', csv: 'users', description: 'Users (not disabled)' },
  { key: 'email_registered', heading: 'EMAIL', csv: 'email_registered', description: 'Designated email registered' },
  { key: 'activation_sent', heading: 'LINK SENT', csv: 'activation_sent', description: 'Activation email sent' },
  { key: 'activated', heading: 'ACTIVATED', csv: 'activated', description: 'Activated through the link' },
  { key: 'password_set', heading: 'PASSWORD', csv: 'password_set', description: 'Password set' },
  { key: 'totp', heading: 'TOTP', csv: 'second_factor_totp', description: 'Second factor: authenticator app' },
  { key: 'email_otp', heading: 'EMAIL OTP', csv: 'second_factor_email', description: 'Second factor: email codes' },
  { key: 'ready', heading: 'READY', csv: 'ready', description: 'Ready for password + OTP login' },
  { key: 'locked', heading: 'LOCKED', csv: 'locked', description: 'Locked now' },
  { key: 'smartcard_only', heading: 'SMARTCARD ONLY', csv: 'smartcard_only', description: 'Logged in only by smartcard in the window' },
  { key: 'smartcard_only_not_ready', heading: 'AT RISK', csv: 'smartcard_only_not_ready', description: 'Smartcard-only and not ready: shut out at 2fa-only' },
  { key: 'disabled', heading: 'DISABLED', csv: 'disabled', description: 'Disabled (not counted above)' },
];

export const DEFAULT_WINDOW_DAYS = 30;

export async function readinessReport(
  queries: { readinessReport: ReadinessReportQueries },
  options: { now: Date; participantId?: string | undefined; windowDays?: number },
): Promise<ReadinessReport> {
  const windowDays = options.windowDays ?? DEFAULT_WINDOW_DAYS;
  const participants = await queries.readinessReport.byParticipant({
    participantId: options.participantId,
    now: options.now,
    smartcardSince: new Date(options.now.getTime() - windowDays * 24 * 3600 * 1000),
  });
  return { generatedAt: options.now, windowDays, participants, totals: sumCounts(participants) };
}

export function sumCounts(rows: readonly ParticipantReadinessRow[]): Record<ReadinessCount, number> {
  const totals = Object.fromEntries(READINESS_COUNTS.map((key) => [key, 0])) as Record<ReadinessCount, number>;
  for (const row of rows) for (const key of READINESS_COUNTS) totals[key] += row[key];
  return totals;
}

/** Whole percent of users who are ready ("-" for a participant with no users). */
export function readyPercent(counts: Pick<ParticipantReadinessRow, 'users' | 'ready'>): string {
  return counts.users === 0 ? '-' : `${Math.floor((counts.ready / counts.users) * 100)}%`;
}

/** An aligned text table with a TOTAL row, for a terminal. */
export function readinessReportTable(report: ReadinessReport): string {
  const header = ['PARTICIPANT', ...READINESS_COLUMNS.map((column) => column.heading), 'READY %'];
  const line = (id: string, counts: Record<ReadinessCount, number>) => [id, ...READINESS_COLUMNS.map((column) => String(counts[column.key])), readyPercent(counts)];
  const rows = report.participants.map((row) => line(row.participant_id, row));
  if (report.participants.length > 1) rows.push(line('TOTAL', report.totals));
  const widths = header.map((title, index) => Math.max(title.length, ...rows.map((row) => (row[index] ?? '').length)));
  const format = (row: string[]) => row.map((cell, index) => (index === 0 ? cell.padEnd(widths[index] ?? 0) : cell.padStart(widths[index] ?? 0))).join('  ');
  return [
    `Migration readiness at ${formatHongKongTime(report.generatedAt)} Hong Kong time; "smartcard only" = last ${report.windowDays} days`,
    format(header),
    ...rows.map(format),
    '',
  ].join('\n');
}

/**
 * CSV with one row per participant and a header row. A cell that a spreadsheet would run
 * as a formula (=, +, -, @ first) is prefixed with an apostrophe: names come from people.
 */
export function readinessReportCsv(report: ReadinessReport): string {
  const header = ['participant_id', 'participant_name', ...READINESS_COLUMNS.map((column) => column.csv), 'generated_at', 'window_days'];
  const records = report.participants.map((row) => [
    row.participant_id,
    neutraliseFormula(row.participant_name),
    ...READINESS_COLUMNS.map((column) => row[column.key]),
    report.generatedAt.toISOString(),
    report.windowDays,
  ]);
  return stringify([header, ...records], { record_delimiter: 'windows' });
}

function neutraliseFormula(value: string): string {
  return /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
}
