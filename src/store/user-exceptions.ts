import type { Database } from './database.js';
import type { ExceptionKind } from '../policy/user-exception-kinds.js';

export type { ExceptionKind } from '../policy/user-exception-kinds.js';

export interface UserExceptionRow {
  id: string;
  user_id: string;
  kind: ExceptionKind;
  until: Date;
  reason: string;
  granted_by: string;
  created_at: Date;
  revoked_at: Date | null;
  revoked_by: string | null;
}

/** A live exception with the user it belongs to, for lists and reports. */
export interface UserExceptionListing extends UserExceptionRow {
  participant_id: string;
  /** The user's id within the participant (users.user_id), not the UUID. */
  login_id: string;
}

export interface NewUserException {
  userId: string;
  kind: ExceptionKind;
  until: Date;
  reason: string;
  grantedBy: string;
  at: Date;
}

/**
 * Dated per-user exceptions (migrations/20261203090000_user_exceptions.ts). "Live" means not
 * revoked and `until` after the instant asked about: an exception expires by the clock alone.
 */
export function userExceptionQueries(db: Database) {
  const live = (at: Date) => db<UserExceptionRow>('user_exceptions').whereNull('revoked_at').andWhere('until', '>', at);
  return {
    /** The user's live exception of `kind` at `at`, if any. */
    async activeFor(userId: string, kind: ExceptionKind, at: Date): Promise<{ until: Date; reason: string } | undefined> {
      const row = await live(at).where({ user_id: userId, kind }).first('until', 'reason');
      return row ? { until: row.until, reason: row.reason } : undefined;
    },
    /** Whether anyone has a live exception of `kind` at `at` (the login page offers the smartcard after the cut-off only then). */
    async anyLive(kind: ExceptionKind, at: Date): Promise<boolean> {
      return Boolean(await live(at).where({ kind }).first('id'));
    },
    /** Every live exception of the user at `at`, in the registry's order of kinds by name. */
    async liveForUser(userId: string, at: Date): Promise<UserExceptionRow[]> {
      return live(at).where({ user_id: userId }).orderBy('kind');
    },
    /** Live exceptions at `at` (of one participant, or all), with the user named; by participant, user, kind. */
    async listLive(at: Date, participantId?: string): Promise<UserExceptionListing[]> {
      const query = db('user_exceptions as e')
        .join('users as u', 'u.id', 'e.user_id')
        .whereNull('e.revoked_at')
        .andWhere('e.until', '>', at)
        .select<UserExceptionListing[]>('e.*', 'u.participant_id', 'u.user_id as login_id')
        .orderBy([{ column: 'u.participant_id' }, { column: 'u.user_id' }, { column: 'e.kind' }]);
      if (participantId) query.andWhere('u.participant_id', participantId);
      return query;
    },
    /** Per kind: how many exceptions are live at `at`, and the latest end among them. */
    async liveSummary(at: Date): Promise<Array<{ kind: ExceptionKind; count: number; latestUntil: Date }>> {
      const rows = await live(at).groupBy('kind').orderBy('kind').select<Array<{ kind: ExceptionKind; count: string; latest: Date }>>('kind', db.raw('count(*) as count'), db.raw('max(until) as latest'));
      return rows.map((row) => ({ kind: row.kind, count: Number(row.count), latestUntil: row.latest }));
    },
    /**
     * Ends the user's unrevoked exception of `kind` (live or already expired) so that a new one
     * may take its place; returns it, if there was one. Locks it, so two grants serialise.
     */
    async end(userId: string, kind: ExceptionKind, at: Date, by: string): Promise<UserExceptionRow | undefined> {
      const [row] = await db<UserExceptionRow>('user_exceptions')
        .whereNull('revoked_at')
        .andWhere({ user_id: userId, kind })
        .update({ revoked_at: at, revoked_by: by })
        .returning('*');
      return row;
    },
    async insert(exception: NewUserException): Promise<UserExceptionRow> {
      const [row] = await db<UserExceptionRow>('user_exceptions')
        .insert({
          user_id: exception.userId,
          kind: exception.kind,
          until: exception.until,
          reason: exception.reason,
          granted_by: exception.grantedBy,
          created_at: exception.at,
        })
        .returning('*');
      return row!;
    },
  };
}

export type UserExceptionQueries = ReturnType<typeof userExceptionQueries>;
