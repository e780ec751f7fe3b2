import type { Database } from './database.js';
import type { UserRow } from './users.js';

/** What a request's fingerprint is computed from. */
export type FirmUserState = Pick<UserRow, 'id' | 'user_id' | 'email' | 'status' | 'role' | 'password_hash' | 'password_changed_at' | 'second_factor' | 'locked_until' | 'failed_attempts'>;

/** `deadline_passed`: approved, but a deadline since stopped what it does (no activation link past the email registration deadline); nothing applied. */
export type ChangeRequestOutcome = 'approved' | 'rejected' | 'expired' | 'stale' | 'deadline_passed';

export interface ChangeRequestRow {
  id: string;
  participant_id: string;
  action: string;
  target_user_id: string | null;
  effect: unknown;
  fingerprint: string;
  maker_id: string;
  reason: string | null;
  created_at: Date;
  expires_at: Date;
  decided_by: string | null;
  decided_at: Date | null;
  outcome: ChangeRequestOutcome | null;
  /** The deadline that stopped it, when `outcome` is `deadline_passed` (null otherwise). */
  outcome_deadline: Date | null;
}

/** A request with the DAs and the user named by their IDs within the participant. */
export interface ChangeRequestListing extends ChangeRequestRow {
  maker_login: string;
  checker_login: string | null;
  target_login: string | null;
}

/** A DA a request's mail goes to. */
export type MailedDa = Pick<UserRow, 'participant_id' | 'user_id' | 'display_name' | 'role'> & { email: string };

export interface NewChangeRequest {
  participantId: string;
  action: string;
  targetUserId: string | null;
  effect: unknown;
  fingerprint: string;
  makerId: string;
  reason: string | null;
  createdAt: Date;
  expiresAt: Date;
}

/**
 * Pending changes waiting for a second DA (migrations/20261203110000_change_requests.ts).
 * Every read names the participant: a request of another firm is not found, like a missing one.
 */
export function changeRequestQueries(db: Database) {
  const listing = () =>
    db('change_requests as r')
      .join('users as m', 'm.id', 'r.maker_id')
      .leftJoin('users as c', 'c.id', 'r.decided_by')
      .leftJoin('users as t', 't.id', 'r.target_user_id')
      .select<ChangeRequestListing[]>('r.*', 'm.user_id as maker_login', 'c.user_id as checker_login', 't.user_id as target_login');
  return {
    async insert(request: NewChangeRequest): Promise<ChangeRequestRow> {
      const [row] = await db('change_requests')
        .insert({
          participant_id: request.participantId,
          action: request.action,
          target_user_id: request.targetUserId,
          effect: JSON.stringify(request.effect),
          fingerprint: request.fingerprint,
          maker_id: request.makerId,
          reason: request.reason,
          created_at: request.createdAt,
          expires_at: request.expiresAt,
        })
        .returning('*');
      return row as ChangeRequestRow;
    },
    async find(participantId: string, id: string): Promise<ChangeRequestListing | undefined> {
      return (await listing().where('r.participant_id', participantId).andWhere('r.id', id).first()) as ChangeRequestListing | undefined;
    },
    /** Locks the request for its decision: two DAs deciding at once take turns, the second finds it decided. */
    async findForUpdate(participantId: string, id: string): Promise<ChangeRequestRow | undefined> {
      return db<ChangeRequestRow>('change_requests').where({ participant_id: participantId, id }).forUpdate().first();
    },
    /** The firm's requests, pending first (oldest first), then the latest decided ones. */
    async list(participantId: string, limit = 100): Promise<ChangeRequestListing[]> {
      return listing()
        .where('r.participant_id', participantId)
        .orderByRaw('(r.outcome is null) desc, case when r.outcome is null then r.created_at end asc, r.created_at desc')
        .limit(limit);
    },
    /** Records the outcome; `decidedBy` is null for an expiry the system records (nobody decided in time); `deadline` with `deadline_passed` only. */
    async decide(id: string, decision: { outcome: ChangeRequestOutcome; decidedBy: string | null; at: Date; deadline?: Date | undefined }): Promise<void> {
      await db('change_requests')
        .where({ id })
        .whereNull('outcome')
        .update({ outcome: decision.outcome, decided_by: decision.decidedBy, decided_at: decision.at, outcome_deadline: decision.outcome === 'deadline_passed' ? (decision.deadline ?? null) : null });
    },
    /** The participant's users among `userIds` (by users.user_id), locked for the decision when `lock`, in user order. */
    async firmUsers(participantId: string, userIds: readonly string[], options: { lock: boolean }): Promise<FirmUserState[]> {
      if (userIds.length === 0) return [];
      const query = db<UserRow>('users')
        .where({ participant_id: participantId })
        .whereIn('user_id', [...userIds])
        .orderBy('user_id')
        .select('id', 'user_id', 'email', 'status', 'role', 'password_hash', 'password_changed_at', 'second_factor', 'locked_until', 'failed_attempts');
      return options.lock ? query.forUpdate() : query;
    },
    /**
     * Who is told of a new request: the participant's other DAs who can act on it (active, with
     * a designated email), never the maker; in user order.
     */
    async checkersToTell(participantId: string, makerId: string): Promise<MailedDa[]> {
      return db<UserRow>('users')
        .where({ participant_id: participantId, role: 'da', status: 'active' })
        .whereNot('id', makerId)
        .whereNotNull('email')
        .orderBy('user_id')
        .select('participant_id', 'user_id', 'display_name', 'email', 'role');
    },
    /** The maker, to be told of the decision: only while an active DA with a designated email. */
    async makerToTell(participantId: string, makerId: string): Promise<MailedDa | undefined> {
      return db<UserRow>('users')
        .where({ participant_id: participantId, id: makerId, role: 'da', status: 'active' })
        .whereNotNull('email')
        .first('participant_id', 'user_id', 'display_name', 'email', 'role');
    },
    /** Active DAs of the participant (not disabled): with two or more, a DA's change needs another. */
    async activeDaCount(participantId: string): Promise<number> {
      const row = await db('users').where({ participant_id: participantId, role: 'da', status: 'active' }).count<{ count: string }[]>('* as count').first();
      return Number(row?.count ?? 0);
    },
  };
}

export type ChangeRequestQueries = ReturnType<typeof changeRequestQueries>;
