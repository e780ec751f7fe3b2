import type { Database } from './database.js';

export type UserStatus = 'pending' | 'active' | 'disabled';
export type SecondFactorMethod = 'totp' | 'email';

/** Far enough to mean "until unlocked" while staying an ordinary timestamp. */
export const LOCKED_UNTIL_UNLOCKED = new Date('9999-12-31T00:00:00Z');

export interface UserRow {
  id: string;
  participant_id: string;
  user_id: string;
  display_name: string;
  email: string | null;
  status: UserStatus;
  password_hash: string | null;
  password_changed_at: Date | null;
  second_factor: SecondFactorMethod | null;
  failed_attempts: number;
  locked_until: Date | null;
  created_at: Date;
  updated_at: Date;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function userQueries(db: Database) {
  return {
    async insert(user: {
      participant_id: string;
      user_id: string;
      display_name: string;
      email: string | null;
    }): Promise<UserRow | undefined> {
      const [row] = await db<UserRow>('users')
        .insert(user)
        .onConflict(['participant_id', 'user_id'])
        .ignore()
        .returning('*');
      return row;
    },
    async findByLogin(participantId: string, userId: string): Promise<UserRow | undefined> {
      return db<UserRow>('users').where({ participant_id: participantId, user_id: userId }).first();
    },
    /** By subject (the OIDC `sub`); anything that is not a UUID finds nothing. */
    async findBySubject(subject: string): Promise<UserRow | undefined> {
      if (!UUID.test(subject)) return undefined;
      return db<UserRow>('users').where({ id: subject }).first();
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
     * Counts a failed attempt; at `threshold` consecutive failures the account locks until
     * `lockUntil` and the count starts again. Returns whether this failure locked it.
     */
    async recordFailure(id: string, threshold: number, lockUntil: Date): Promise<{ locked: boolean }> {
      const [row] = await db('users')
        .where({ id })
        .update({
          failed_attempts: db.raw('case when failed_attempts + 1 >= ? then 0 else failed_attempts + 1 end', [threshold]),
          locked_until: db.raw('case when failed_attempts + 1 >= ? then ?::timestamptz else locked_until end', [threshold, lockUntil]),
        })
        .returning(['failed_attempts', 'locked_until']);
      const updated = row as { failed_attempts: number; locked_until: Date | null } | undefined;
      return { locked: updated?.failed_attempts === 0 && updated.locked_until?.getTime() === lockUntil.getTime() };
    },
    async clearFailures(id: string): Promise<void> {
      await db('users').where({ id }).andWhere((query) => query.where('failed_attempts', '>', 0).orWhereNotNull('locked_until')).update({ failed_attempts: 0, locked_until: null });
    },
    async setSecondFactor(id: string, method: SecondFactorMethod | null): Promise<void> {
      await db('users').where({ id }).update({ second_factor: method, updated_at: db.fn.now() });
    },
    async setStatus(id: string, status: UserStatus): Promise<void> {
      await db('users').where({ id }).update({ status, updated_at: db.fn.now() });
    },
  };
}

export type UserQueries = ReturnType<typeof userQueries>;
