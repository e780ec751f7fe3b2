import type { CodeMethod } from '../factors/second-factors.js';
import type { Database } from './database.js';
import { prepared } from './prepared.js';

export type { CodeMethod };
export type UserStatus = 'pending' | 'active' | 'disabled';
export type UserRole = 'user' | 'da';

/** Matches no user: the target of failure counting when there is no account to count on. */
const NIL_UUID = '00000000-0000-0000-0000-000000000000';

/** Far enough to mean "until unlocked" while staying an ordinary timestamp. */
export const LOCKED_UNTIL_UNLOCKED = new Date('9999-12-31T00:00:00Z');

export interface UserRow {
  id: string;
  participant_id: string;
  user_id: string;
  display_name: string;
  email: string | null;
  role: UserRole;
  status: UserStatus;
  password_hash: string | null;
  password_changed_at: Date | null;
  second_factor: CodeMethod | null;
  failed_attempts: number;
  lockout_count: number;
  locked_until: Date | null;
  last_smartcard_login_at: Date | null;
  last_two_factor_login_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

/**
 * Where a user stands on the way to logging in with two factors, most urgent first:
 * disabled, locked, no designated email, activation link expired (or never sent),
 * activation pending, password set but no second factor (neither a code method nor a
 * security key), ready.
 */
export const READINESS_STATES = ['disabled', 'locked', 'no-email', 'activation-expired', 'activation-sent', 'password-set', 'ready'] as const;
export type ReadinessState = (typeof READINESS_STATES)[number];

export interface UserWithReadiness extends UserRow {
  readiness: ReadinessState;
  activation_expires_at: Date | null;
  /** How many security keys or passkeys the user has registered. */
  security_keys: number;
}

// Parameters: now (lock check), now (live activation link check). On `users` (by that name).
export const READINESS_SQL = `case
  when users.status = 'disabled' then 'disabled'
  when users.locked_until > ? then 'locked'
  when users.email is null then 'no-email'
  when users.password_hash is null and not exists (
    select 1 from activation_tokens t where t.user_id = users.id and t.used_at is null and t.revoked_at is null and t.expires_at > ?
  ) then 'activation-expired'
  when users.password_hash is null then 'activation-sent'
  when users.second_factor is null and not exists (select 1 from webauthn_credentials c where c.user_id = users.id) then 'password-set'
  else 'ready' end`;

const ACTIVATION_EXPIRY_SQL = `(select max(t.expires_at) from activation_tokens t where t.user_id = users.id and t.used_at is null and t.revoked_at is null)`;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The columns of UserRow, named rather than `*` in prepared statements: a statement prepared
 * with `*` fails on every open connection once a migration adds a column to the table.
 */
export const USER_COLUMNS = [
  'id',
  'participant_id',
  'user_id',
  'display_name',
  'email',
  'role',
  'status',
  'password_hash',
  'password_changed_at',
  'second_factor',
  'failed_attempts',
  'lockout_count',
  'locked_until',
  'last_smartcard_login_at',
  'last_two_factor_login_at',
  'created_at',
  'updated_at',
] as const satisfies ReadonlyArray<keyof UserRow>;

export function userQueries(db: Database) {
  // Every login step finds its user: prepared once per connection (prepared.ts).
  const byLogin = prepared<UserRow>(db, 'users_by_login', `select ${USER_COLUMNS.join(', ')} from users where participant_id = $1 and user_id = $2`);
  const bySubject = prepared<UserRow>(db, 'users_by_subject', `select ${USER_COLUMNS.join(', ')} from users where id = $1`);
  return {
    async insert(user: {
      participant_id: string;
      user_id: string;
      display_name: string;
      email: string | null;
      role?: UserRole;
    }): Promise<UserRow | undefined> {
      const [row] = await db<UserRow>('users')
        .insert(user)
        .onConflict(['participant_id', 'user_id'])
        .ignore()
        .returning('*');
      return row;
    },
    async findByLogin(participantId: string, userId: string): Promise<UserRow | undefined> {
      return (await byLogin([participantId, userId])).rows[0];
    },
    /**
     * The user, locked for the rest of the caller's transaction (SELECT … FOR UPDATE): a change
     * that reads the user, decides, and writes is not interleaved with another one.
     */
    async findForUpdate(id: string): Promise<UserRow | undefined> {
      if (!UUID.test(id)) return undefined;
      return db<UserRow>('users').where({ id }).forUpdate().first(...USER_COLUMNS);
    },
    /** By subject (the OIDC `sub`); anything that is not a UUID finds nothing. */
    async findBySubject(subject: string): Promise<UserRow | undefined> {
      if (!UUID.test(subject)) return undefined;
      return (await bySubject([subject])).rows[0];
    },
    async list(filter: { participantId?: string } = {}): Promise<UserRow[]> {
      const query = db<UserRow>('users').orderBy(['participant_id', 'user_id']);
      if (filter.participantId) query.where({ participant_id: filter.participantId });
      return query;
    },
    /** Sets the hash and activates a pending user; a disabled user stays disabled. */
    async setPasswordHash(id: string, hash: string): Promise<void> {
      await db('users')
        .where({ id })
        .update({
          password_hash: hash,
          password_changed_at: db.fn.now(),
          updated_at: db.fn.now(),
          status: db.raw(`case when status = 'pending' then 'active' else status end`),
        });
    },
    /** Replaces the hash only if it is still the one that was verified (a rehash must not undo a concurrent change). */
    async replacePasswordHash(id: string, oldHash: string, newHash: string): Promise<void> {
      await db('users').where({ id, password_hash: oldHash }).update({ password_hash: newHash });
    },
    /**
     * Counts a failed attempt on `id`; at `threshold` consecutive failures the account locks
     * until `lockUntil`, its lock count goes up and the failure count starts again. Returns
     * whether this failure locked it.
     *
     * The same single statement runs for every failed password, also when there is nothing to
     * count (`id` unknown, or `countable` false for a locked, disabled or password-less
     * account): then it matches no row. So every failure costs the same database round trip,
     * and the response time does not tell which kind of failure it was.
     */
    async recordFailure(id: string | undefined, threshold: number, lockUntil: Date, countable = true): Promise<{ locked: boolean }> {
      const rows = (await db('users')
        .where({ id: id ?? NIL_UUID })
        .andWhereRaw('?::boolean', [countable])
        .update({
          failed_attempts: db.raw('case when failed_attempts + 1 >= ? then 0 else failed_attempts + 1 end', [threshold]),
          lockout_count: db.raw('case when failed_attempts + 1 >= ? then lockout_count + 1 else lockout_count end', [threshold]),
          locked_until: db.raw('case when failed_attempts + 1 >= ? then ?::timestamptz else locked_until end', [threshold, lockUntil]),
        })
        .returning(['failed_attempts'])) as { failed_attempts: number }[];
      // After a counted failure the count is 0 only if it reached the threshold just now.
      return { locked: rows[0]?.failed_attempts === 0 };
    },
    /**
     * A completed login, its time noted by method for the readiness report. A password +
     * code login also clears failures and locks (as clearFailures), in the same statement;
     * a smartcard login leaves them alone (it did not prove the password).
     */
    async recordLogin(id: string, method: 'smartcard' | 'two-factor', at: Date): Promise<void> {
      await db('users')
        .where({ id })
        .update(
          method === 'smartcard'
            ? { last_smartcard_login_at: at }
            : { last_two_factor_login_at: at, failed_attempts: 0, lockout_count: 0, locked_until: null },
        );
    },
    /** After a successful login or an unlock: no failures, no lock, and the next lock is a first one again. */
    async clearFailures(id: string): Promise<void> {
      await db('users')
        .where({ id })
        .andWhere((query) => query.where('failed_attempts', '>', 0).orWhere('lockout_count', '>', 0).orWhereNotNull('locked_until'))
        .update({ failed_attempts: 0, lockout_count: 0, locked_until: null });
    },
    async setSecondFactor(id: string, method: CodeMethod | null): Promise<void> {
      await db('users').where({ id }).update({ second_factor: method, updated_at: db.fn.now() });
    },
    async setStatus(id: string, status: UserStatus): Promise<void> {
      await db('users').where({ id }).update({ status, updated_at: db.fn.now() });
    },
    async setRole(id: string, role: UserRole): Promise<void> {
      await db('users').where({ id }).update({ role, updated_at: db.fn.now() });
    },
    async setEmail(id: string, email: string): Promise<void> {
      await db('users').where({ id }).update({ email, updated_at: db.fn.now() });
    },
    /** Locks until `until` (LOCKED_UNTIL_UNLOCKED for an administrative lock). */
    async lock(id: string, until: Date): Promise<void> {
      await db('users').where({ id }).update({ locked_until: until, failed_attempts: 0, updated_at: db.fn.now() });
    },
    /**
     * One participant's users with where each stands (see READINESS_STATES), optionally
     * matching `search` (user ID, name or email, case-insensitive) and one `state`. The
     * participant is always part of the query: a caller acting for one participant cannot
     * reach another one's rows.
     */
    async listInParticipant(
      participantId: string,
      filter: { search?: string | undefined; state?: ReadinessState | undefined; userId?: string | undefined; now: Date; limit: number; offset: number },
    ): Promise<{ rows: UserWithReadiness[]; total: number }> {
      const withState = db('users')
        .where({ participant_id: participantId })
        .select(
          'users.*',
          db.raw(`${READINESS_SQL} as readiness`, [filter.now, filter.now]),
          db.raw(`${ACTIVATION_EXPIRY_SQL} as activation_expires_at`),
          db.raw('(select count(*)::int from webauthn_credentials wc where wc.user_id = users.id) as security_keys'),
        );
      const base = db.from(withState.as('u'));
      if (filter.search) {
        const pattern = `%${filter.search.replace(/[\\%_]/g, (character) => `\\${character}`)}%`;
        base.where((query) => query.whereILike('user_id', pattern).orWhereILike('display_name', pattern).orWhereILike('email', pattern));
      }
      if (filter.state) base.where({ readiness: filter.state });
      if (filter.userId) base.where({ user_id: filter.userId });
      const [counted] = await base.clone().count<{ count: string }[]>({ count: '*' });
      const rows = (await base.select('*').orderBy('user_id').limit(filter.limit).offset(filter.offset)) as UserWithReadiness[];
      return { rows, total: Number(counted?.count ?? 0) };
    },
    /** Counts of users per readiness state for one participant. */
    async readinessCounts(participantId: string, now: Date): Promise<Partial<Record<ReadinessState, number>>> {
      const rows = (await db('users')
        .where({ participant_id: participantId })
        .select(db.raw(`${READINESS_SQL} as readiness`, [now, now]))
        .count({ count: '*' })
        .groupBy('readiness')) as Array<{ readiness: ReadinessState; count: string }>;
      return Object.fromEntries(rows.map((row) => [row.readiness, Number(row.count)]));
    },
  };
}

export type UserQueries = ReturnType<typeof userQueries>;
