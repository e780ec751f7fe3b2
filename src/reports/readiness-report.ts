/**
 * The migration readiness report: per participant, how many users can log in with password
 * + OTP (or a security key), how many are on the way, how many have a phishing-resistant
 * factor (a security key or passkey), and how many still log in only by smartcard (they would
 * be shut out when the `2fa-only` phase begins, and left without a phishing-resistant login
 * if they have no key). Operators read it in the CLI (table or CSV); a DA
 * sees their own firm's row in DMS. Plain data in, plain data or CSV out: the words are the
 * reader's (the catalogue), not this module's.
 */
import { stringify } from 'csv-stringify/sync';
import { READINESS_COUNTS, type ParticipantReadinessRow, type ReadinessReportQueries } from '../store/readiness-report.js';
import type { ExceptionKind, UserExceptionQueries } from '../store/user-exceptions.js';

export type ReadinessCount = (typeof READINESS_COUNTS)[number];

export interface ReadinessReport {
  generatedAt: Date;
  /** "Smartcard only" means: logged in within this many days, and only by smartcard. */
  windowDays: number;
  participants: ParticipantReadinessRow[];
  totals: Record<ReadinessCount, number>;
  /** Dated per-user exceptions in force at `generatedAt` (src/directory/user-exceptions.ts), by participant and user. */
  exceptions?: ReadinessException[];
}

export interface ReadinessException {
  participantId: string;
  userId: string;
  kind: ExceptionKind;
  until: Date;
  reason: string;
}

/**
 * The counts in report order, with their CSV header. People read them under catalogue words:
 * `dms.readiness.<key>` in DMS, `cli.readiness.column.<key>` in the CLI's table.
 */
export const READINESS_COLUMNS: ReadonlyArray<{ key: ReadinessCount; csv: string }> = [
  { key: 'users', csv: 'users' },
  { key: 'email_registered', csv: 'email_registered' },
  { key: 'activation_sent', csv: 'activation_sent' },
  { key: 'activated', csv: 'activated' },
  { key: 'password_set', csv: 'password_set' },
  { key: 'totp', csv: 'second_factor_totp' },
  { key: 'email_otp', csv: 'second_factor_email' },
  { key: 'security_key', csv: 'security_key' },
  { key: 'ready', csv: 'ready' },
  { key: 'locked', csv: 'locked' },
  { key: 'smartcard_only', csv: 'smartcard_only' },
  { key: 'smartcard_only_not_ready', csv: 'smartcard_only_not_ready' },
  { key: 'smartcard_only_without_key', csv: 'smartcard_only_without_key' },
  { key: 'disabled', csv: 'disabled' },
];

export const DEFAULT_WINDOW_DAYS = 30;

export async function readinessReport(
  queries: { readinessReport: ReadinessReportQueries; userExceptions?: Pick<UserExceptionQueries, 'listLive'> },
  options: { now: Date; participantId?: string | undefined; windowDays?: number },
): Promise<ReadinessReport> {
  const windowDays = options.windowDays ?? DEFAULT_WINDOW_DAYS;
  const participants = await queries.readinessReport.byParticipant({
    participantId: options.participantId,
    now: options.now,
    smartcardSince: new Date(options.now.getTime() - windowDays * 24 * 3600 * 1000),
  });
  const live = (await queries.userExceptions?.listLive(options.now, options.participantId)) ?? [];
  const exceptions = live.map((row) => ({ participantId: row.participant_id, userId: row.login_id, kind: row.kind, until: row.until, reason: row.reason }));
  return { generatedAt: options.now, windowDays, participants, totals: sumCounts(participants), exceptions };
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

/**
 * CSV with one row per participant and a header row. A cell that a spreadsheet would run
 * as a formula (=, +, -, @ first) is prefixed with an apostrophe: names come from people.
 */
export function readinessReportCsv(report: ReadinessReport): string {
  const header = ['participant_id', 'participant_name', ...READINESS_COLUMNS.map((column) => column.csv), 'generated_at', 'window_days', 'exceptions'];
  const exceptionsOf = (participantId: string) => (report.exceptions ?? []).filter((exception) => exception.participantId === participantId).length;
  const records = report.participants.map((row) => [
    row.participant_id,
    neutraliseFormula(row.participant_name),
    ...READINESS_COLUMNS.map((column) => row[column.key]),
    report.generatedAt.toISOString(),
    report.windowDays,
    exceptionsOf(row.participant_id),
  ]);
  return stringify([header, ...records], { record_delimiter: 'windows' });
}

function neutraliseFormula(value: string): string {
  return /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
}
