/**
 * Where the migration's deadlines stand at an instant, for the surfaces that say "where we are
 * in the migration": `phase show`, `GET /status`, the login page's notice and the DMS readiness
 * page. Pure functions of the configured deadlines, the reminder offsets and the instant.
 */
import { parseHongKongTime } from '../kernel/hong-kong-time.js';
import type { ScheduleEntry } from '../policy/phases.js';
import { configuredDeadlines, DEADLINE_KINDS, deadlineOf, deadlinePassed, type Deadline, type DeadlineKind } from './due-causes.js';

const DAY_MS = 24 * 3600 * 1000;

/** The deadlines, the days before them on which reminders go out, and when smartcard login ends. */
export interface DeadlineCalendar {
  deadlines: readonly Deadline[];
  offsetsDays: readonly number[];
  /** The start of the schedule's `2fa-only` phase, when there is one. */
  smartcardEnds?: Date | undefined;
}

export function deadlineCalendar(config: Parameters<typeof configuredDeadlines>[0] & { reminders: { offsetsDays: readonly number[] } }): DeadlineCalendar {
  const cutOff = config.phases.schedule.find((entry: ScheduleEntry) => entry.phase === '2fa-only')?.from;
  return { deadlines: configuredDeadlines(config), offsetsDays: config.reminders.offsetsDays, smartcardEnds: cutOff === undefined ? undefined : parseHongKongTime(cutOff) };
}

export interface DeadlineStanding extends Deadline {
  passed: boolean;
  /** Whole days left, rounded up (a deadline 3 hours away has 1 day left); 0 once passed. */
  daysLeft: number;
  /** The next day a reminder goes out for it, after `now` (none once passed or past the last offset). */
  nextReminder: Date | undefined;
}

/** The next reminder day of `deadline` after `now`: the largest offset whose day is still ahead. */
export function nextReminderDay(deadline: Deadline, offsetsDays: readonly number[], now: Date): Date | undefined {
  const ahead = offsetsDays.map((days) => deadline.at.getTime() - days * DAY_MS).filter((time) => time > now.getTime());
  return ahead.length === 0 ? undefined : new Date(Math.min(...ahead));
}

/** Each configured deadline at `now`, in the order of DEADLINE_KINDS. */
export function deadlineStandings(calendar: Pick<DeadlineCalendar, 'deadlines' | 'offsetsDays'>, now: Date): DeadlineStanding[] {
  return calendar.deadlines.map((deadline) => {
    const passed = deadlinePassed(deadline, now);
    return {
      ...deadline,
      passed,
      daysLeft: passed ? 0 : Math.ceil((deadline.at.getTime() - now.getTime()) / DAY_MS),
      nextReminder: passed ? undefined : nextReminderDay(deadline, calendar.offsetsDays, now),
    };
  });
}

/** What machines are told (GET /status, the DMS API): ISO instants and whether each has passed. Nothing secret. */
export type DeadlinesJson = Record<DeadlineKind, { at: string; passed: boolean } | null>;

export function deadlinesJson(deadlines: readonly Deadline[], now: Date): DeadlinesJson {
  const entry = (kind: DeadlineKind) => {
    const deadline = deadlineOf(deadlines, kind);
    return deadline ? { at: deadline.at.toISOString(), passed: deadlinePassed(deadline, now) } : null;
  };
  return Object.fromEntries(DEADLINE_KINDS.map((kind) => [kind, entry(kind)])) as DeadlinesJson;
}

/**
 * The deadline the login page names: the soonest one still ahead and no further away than the
 * largest reminder offset (the first reminder has gone out, or goes out today).
 */
export function approachingDeadline(calendar: Pick<DeadlineCalendar, 'deadlines' | 'offsetsDays'>, now: Date): Deadline | undefined {
  const window = Math.max(0, ...calendar.offsetsDays) * DAY_MS;
  return [...calendar.deadlines]
    .filter((deadline) => !deadlinePassed(deadline, now) && deadline.at.getTime() - now.getTime() <= window)
    .sort((a, b) => a.at.getTime() - b.at.getTime())[0];
}
