/**
 * Dated per-user exceptions: one user may keep doing one thing past the date the schedule
 * ends it for everyone (src/policy/user-exception-kinds.ts), until a date, for a stated reason.
 * Granted by an operator (`ccass-auth user exception grant`) or, through maker-checker, by a
 * Delegated Administrator of the user's own participant. Each grant or revocation, its audit
 * record and the user's notice commit together; a grant ends the user's previous exception of
 * the same kind (audited as replaced). An exception ends by itself at `until`: every reader
 * asks `activeFor(user, kind, now)`.
 */
import type { Actor } from '../kernel/actor.js';
import { auditEvent } from '../kernel/actor.js';
import type { Clock } from '../kernel/clock.js';
import { ForbiddenError, NotFoundError, ValidationError } from '../kernel/errors.js';
import { isPlainText, normaliseParticipantId, normaliseUserId } from '../kernel/identifiers.js';
import { msg } from '../i18n/translate.js';
import type { SecurityNotices } from '../mail/security-notices.js';
import { EXCEPTION_MAX_DAYS, isExceptionKind, type ExceptionKind } from '../policy/user-exception-kinds.js';
import type { Queries } from '../store/index.js';
import type { UserExceptionListing, UserExceptionRow } from '../store/user-exceptions.js';
import type { UserRow } from '../store/users.js';

export interface UserExceptionAdministration {
  queries: Pick<Queries, 'users' | 'userExceptions' | 'audit' | 'jobs' | 'transaction'>;
  notices?: SecurityNotices | undefined;
  clock: Clock;
  /** How far ahead an exception may end (default EXCEPTION_MAX_DAYS). */
  maxDays?: number;
}

export interface ExceptionGrant {
  kind: string;
  until: Date;
  reason: string;
}

export interface UserExceptionSummary {
  participantId: string;
  userId: string;
  kind: ExceptionKind;
  until: Date;
  reason: string;
  grantedBy: string;
  grantedAt: Date;
}

/** The longest reason kept: a sentence or two for the audit trail, not a file. */
export const REASON_MAX_LENGTH = 500;

const DAY_MS = 86_400_000;

/** A reason as typed: control and bidirectional-override characters refused, spaces collapsed; undefined if nothing is left or it is too long. */
export function cleanExceptionReason(typed: unknown): string | undefined {
  if (typeof typed !== 'string') return undefined;
  const text = typed.replace(/\s+/gu, ' ').trim();
  // Bidirectional overrides would make an audit line read differently from what it stores.
  if (!text || text.length > REASON_MAX_LENGTH || !isPlainText(text) || /[\u200e\u200f\u202a-\u202e\u2066-\u2069]/u.test(text)) return undefined;
  return text;
}

/** Checks a grant against the clock: a known kind, an end in the future and at most `maxDays` ahead, a reason. Pure. */
export function grantProblems(grant: ExceptionGrant, now: Date, maxDays = EXCEPTION_MAX_DAYS): Record<string, string> {
  const problems: Record<string, string> = {};
  if (!isExceptionKind(grant.kind)) problems['kind'] = 'unknown_exception_kind';
  if (!(grant.until instanceof Date) || Number.isNaN(grant.until.getTime())) problems['until'] = 'invalid_exception_until';
  else if (grant.until.getTime() <= now.getTime()) problems['until'] = 'exception_until_past';
  else if (grant.until.getTime() > now.getTime() + maxDays * DAY_MS) problems['until'] = 'exception_until_too_far';
  if (!cleanExceptionReason(grant.reason)) problems['reason'] = 'invalid_exception_reason';
  return problems;
}

function summary(row: UserExceptionRow, user: { participant_id: string; user_id: string }): UserExceptionSummary {
  return { participantId: user.participant_id, userId: user.user_id, kind: row.kind, until: row.until, reason: row.reason, grantedBy: row.granted_by, grantedAt: row.created_at };
}

async function findUser(deps: UserExceptionAdministration, who: { participantId: string; userId: string }): Promise<UserRow> {
  const participantId = normaliseParticipantId(who.participantId);
  const userId = normaliseUserId(who.userId);
  if (!participantId) throw new ValidationError('directory.participantIdRule', { participantId: 'invalid_participant_id' });
  if (!userId) throw new ValidationError('directory.userIdRule', { userId: 'invalid_user_id' });
  const user = await deps.queries.users.findByLogin(participantId, userId);
  if (!user) throw new NotFoundError(msg('directory.noSuchUser', { user: userId, participant: participantId }));
  return user;
}

function kindOf(kind: string): ExceptionKind {
  if (!isExceptionKind(kind)) throw new ValidationError('exceptions.kindRule', { kind: 'unknown_exception_kind' });
  return kind;
}

/**
 * Gives the user an exception of `grant.kind` until `grant.until`. `actor` is an operator, or
 * a DA of the user's own participant (maker-checker applies it on approval). Returns the new
 * exception and the one it replaced, if any.
 */
export async function grantUserException(
  deps: UserExceptionAdministration,
  who: { participantId: string; userId: string },
  grant: ExceptionGrant,
  actor: Actor,
): Promise<{ exception: UserExceptionSummary; replaced?: UserExceptionSummary }> {
  const now = deps.clock.now();
  const problems = grantProblems(grant, now, deps.maxDays ?? EXCEPTION_MAX_DAYS);
  const first = Object.values(problems)[0];
  if (first) {
    const reason = first === 'exception_until_too_far' ? msg('exceptions.untilTooFar', { days: deps.maxDays ?? EXCEPTION_MAX_DAYS }) : `exceptions.rule.${first}`;
    throw new ValidationError(reason as never, problems);
  }
  const kind = kindOf(grant.kind);
  const reason = cleanExceptionReason(grant.reason) as string;
  const user = await findUser(deps, who);
  assertSameParticipant(actor, user);
  return deps.queries.transaction(async (queries) => {
    const ended = await queries.userExceptions.end(user.id, kind, now, actor.name);
    // An ended row that had already run out is history, not a replacement the user would notice.
    const replaced = ended && ended.until.getTime() > now.getTime() ? ended : undefined;
    const row = await queries.userExceptions.insert({ userId: user.id, kind, until: grant.until, reason, grantedBy: actor.name, at: now });
    await queries.audit.record(
      auditEvent(actor, 'user.exception.grant', 'success', user, {
        kind,
        until: grant.until.toISOString(),
        // `why`, not `reason`: an audit record's `reason` is a refusal code (src/dms/audit-words.ts).
        why: reason,
        ...(replaced ? { replaced: replaced.until.toISOString(), replacedWhy: replaced.reason, replacedBy: replaced.granted_by } : {}),
      }),
    );
    await deps.notices?.send(queries, user, 'exception_granted', { by: actor.name, detail: `exceptions.notice.${kind}`, params: { until: grant.until } });
    return { exception: summary(row, user), ...(replaced ? { replaced: summary(replaced, user) } : {}) };
  });
}

/** Ends the user's live exception of `kind` now; NotFound when there is none. */
export async function revokeUserException(
  deps: UserExceptionAdministration,
  who: { participantId: string; userId: string },
  kindName: string,
  actor: Actor,
  why?: string,
): Promise<UserExceptionSummary> {
  const kind = kindOf(kindName);
  const note = why === undefined ? undefined : cleanExceptionReason(why);
  if (why !== undefined && !note) throw new ValidationError('exceptions.rule.invalid_exception_reason', { reason: 'invalid_exception_reason' });
  const user = await findUser(deps, who);
  assertSameParticipant(actor, user);
  const now = deps.clock.now();
  return deps.queries.transaction(async (queries) => {
    if (!(await queries.userExceptions.activeFor(user.id, kind, now))) {
      throw new NotFoundError(msg('exceptions.noneLive', { user: user.user_id, participant: user.participant_id, kind }));
    }
    const ended = (await queries.userExceptions.end(user.id, kind, now, actor.name)) as UserExceptionRow;
    await queries.audit.record(auditEvent(actor, 'user.exception.revoke', 'success', user, { kind, until: ended.until.toISOString(), ...(note ? { why: note } : {}) }));
    await deps.notices?.send(queries, user, 'exception_revoked', { by: actor.name, detail: `exceptions.notice.${kind}.ended`, params: { until: ended.until } });
    return summary(ended, user);
  });
}

/** Live exceptions now, of one participant or of all, by participant, user and kind. */
export async function listUserExceptions(deps: Pick<UserExceptionAdministration, 'queries' | 'clock'>, participantId?: string): Promise<UserExceptionSummary[]> {
  let participant: string | undefined;
  if (participantId !== undefined) {
    participant = normaliseParticipantId(participantId);
    if (!participant) throw new ValidationError('directory.participantIdRule', { participantId: 'invalid_participant_id' });
  }
  const rows = await deps.queries.userExceptions.listLive(deps.clock.now(), participant);
  return rows.map((row: UserExceptionListing) => summary(row, { participant_id: row.participant_id, user_id: row.login_id }));
}

/** The user's live exceptions now (their DMS page, their login page). */
export async function exceptionsOfUser(deps: Pick<UserExceptionAdministration, 'queries' | 'clock'>, user: UserRow): Promise<UserExceptionSummary[]> {
  return (await deps.queries.userExceptions.liveForUser(user.id, deps.clock.now())).map((row) => summary(row, user));
}

/** Tenant isolation: a DA acts only on users of their own participant ("da:B01234/ADMIN1"). */
function assertSameParticipant(actor: Actor, user: UserRow): void {
  if (actor.name.startsWith('da:') && actor.name.slice(3).split('/')[0] !== user.participant_id) throw new ForbiddenError('exceptions.otherParticipant');
}
