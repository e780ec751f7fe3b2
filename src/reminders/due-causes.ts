/**
 * Who is to be reminded of what, now: a pure function of the deadlines, the reminder offsets,
 * the instant and where each user stands. Each mail it asks for has a cause — (recipient,
 * deadline, the deadline's date, offset) — and the cause, not the tick that found it, names
 * the mail: any node, any retry of a tick, finds the same causes and so queues nothing twice
 * (src/reminders/tick.ts).
 *
 * Readiness is the readiness report's (READINESS_SQL in src/store/users.ts): this module only
 * says which of its states are "not ready" for which deadline.
 */
import { parseHongKongTime } from '../kernel/hong-kong-time.js';
import type { ScheduleEntry } from '../policy/phases.js';
import type { ReadinessState } from '../store/users.js';

export const DEADLINE_KINDS = ['emailRegistration', 'secondFactor'] as const;
export type DeadlineKind = (typeof DEADLINE_KINDS)[number];

/** The per-user exception (src/store/user-exceptions.ts) that lifts each deadline for one user. */
export const EXCEPTION_FOR_DEADLINE = { emailRegistration: 'activation_deadline', secondFactor: 'second_factor_deadline' } as const satisfies Record<DeadlineKind, string>;

export interface Deadline {
  kind: DeadlineKind;
  at: Date;
}

const DAY_MS = 24 * 3600 * 1000;

/**
 * The configured deadlines as instants: `secondFactor` unset takes the start of the schedule's
 * `2fa-only` phase; a deadline neither set nor derived does not exist.
 */
export function configuredDeadlines(config: { deadlines: Partial<Record<DeadlineKind, string | undefined>>; phases: { schedule: readonly ScheduleEntry[] } }): Deadline[] {
  const cutOff = config.phases.schedule.find((entry) => entry.phase === '2fa-only')?.from;
  const written: Record<DeadlineKind, string | undefined> = {
    emailRegistration: config.deadlines.emailRegistration,
    secondFactor: config.deadlines.secondFactor ?? cutOff,
  };
  return DEADLINE_KINDS.flatMap((kind) => {
    const text = written[kind];
    const at = text === undefined ? undefined : parseHongKongTime(text);
    return at ? [{ kind, at }] : [];
  });
}

/** The deadline of `kind`, when there is one. */
export function deadlineOf(deadlines: readonly Deadline[], kind: DeadlineKind): Deadline | undefined {
  return deadlines.find((deadline) => deadline.kind === kind);
}

/** Whether `deadline` has passed at `now` (the deadline's own instant counts as past). */
export function deadlinePassed(deadline: Deadline | undefined, now: Date): boolean {
  return deadline !== undefined && deadline.at.getTime() <= now.getTime();
}

export interface DueOffset {
  deadline: Deadline;
  offsetDays: number;
}

/**
 * For each deadline still ahead, the offset whose day has come most recently (the smallest of
 * those passed): at 10 days before with offsets 14, 7, 1 it is 14; at 5 days, 7. One that a
 * stopped cluster slept through is not sent late next to its successor: only the latest counts.
 */
export function dueOffsets(deadlines: readonly Deadline[], offsetsDays: readonly number[], now: Date): DueOffset[] {
  return deadlines.flatMap((deadline) => {
    if (deadline.at.getTime() <= now.getTime()) return [];
    const passed = offsetsDays.filter((days) => deadline.at.getTime() - days * DAY_MS <= now.getTime());
    return passed.length === 0 ? [] : [{ deadline, offsetDays: Math.min(...passed) }];
  });
}

/**
 * Not ready for the email deadline: no designated email, or not activated (the link unused,
 * live or expired). Not ready for the second-factor deadline: activated (a password) but no
 * second factor. A locked or disabled user is left to their DA, not reminded.
 */
const NOT_READY: Record<DeadlineKind, ReadonlySet<ReadinessState>> = {
  emailRegistration: new Set<ReadinessState>(['no-email', 'activation-sent', 'activation-expired']),
  secondFactor: new Set<ReadinessState>(['password-set']),
};

export function notReadyFor(kind: DeadlineKind, state: ReadinessState): boolean {
  return NOT_READY[kind].has(state);
}

export interface ReminderUser {
  /** The users row id. */
  id: string;
  participantId: string;
  email: string | null;
  role: 'user' | 'da';
  status: string;
  readiness: ReadinessState;
  /** Deadlines lifted for this user by a live exception. */
  excepted: readonly DeadlineKind[];
}

interface CauseBase {
  deadline: DeadlineKind;
  /** The deadline's instant: a deadline moved later is a new cause, reminded again. */
  date: Date;
  offsetDays: number;
}

export type Cause =
  /** A not-ready user with an address, told what to do. */
  | (CauseBase & { kind: 'reminder'; userId: string })
  /** An active DA with an address, told which of their firm's users are not ready. */
  | (CauseBase & { kind: 'digest'; daId: string; participantId: string; userIds: string[] })
  /** An operator, sent the cross-firm readiness report. */
  | (CauseBase & { kind: 'report'; to: string });

/** The name of a cause: the same for every node and every tick that finds it. */
export function causeKey(cause: Cause): string {
  const base = `${cause.kind}:${cause.deadline}:${cause.date.toISOString()}:${cause.offsetDays}`;
  if (cause.kind === 'reminder') return `${base}:${cause.userId}`;
  if (cause.kind === 'digest') return `${base}:${cause.participantId}:${cause.daId}`;
  return `${base}:${cause.to.toLowerCase()}`;
}

export interface DueCauseInput {
  deadlines: readonly Deadline[];
  offsetsDays: readonly number[];
  now: Date;
  users: readonly ReminderUser[];
  operatorEmails: readonly string[];
}

/** Every mail due at `now`: reminders, then digests, then operator reports, per due deadline. */
export function dueCauses(input: DueCauseInput): Cause[] {
  const causes: Cause[] = [];
  for (const { deadline, offsetDays } of dueOffsets(input.deadlines, input.offsetsDays, input.now)) {
    const base = { deadline: deadline.kind, date: deadline.at, offsetDays };
    const notReady = input.users.filter((user) => user.status !== 'disabled' && notReadyFor(deadline.kind, user.readiness) && !user.excepted.includes(deadline.kind));
    for (const user of notReady) if (user.email) causes.push({ ...base, kind: 'reminder', userId: user.id });
    const byFirm = new Map<string, string[]>();
    for (const user of notReady) byFirm.set(user.participantId, [...(byFirm.get(user.participantId) ?? []), user.id]);
    for (const da of input.users) {
      const userIds = byFirm.get(da.participantId);
      if (da.role !== 'da' || da.status !== 'active' || !da.email || !userIds) continue;
      causes.push({ ...base, kind: 'digest', daId: da.id, participantId: da.participantId, userIds });
    }
    for (const to of new Set(input.operatorEmails.map((address) => address.toLowerCase()))) causes.push({ ...base, kind: 'report', to });
  }
  return causes;
}
