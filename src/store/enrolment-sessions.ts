import type { Database } from './database.js';

/** The few minutes after a password is set through an activation link, to enrol a second factor. */
export function enrolmentSessionQueries(db: Database) {
  return {
    async create(session: { id_hash: string; user_id: string; created_at: Date; expires_at: Date }): Promise<void> {
      await db('enrolment_sessions').insert(session);
    },
    async findUser(idHash: string, now: Date): Promise<string | undefined> {
      const row = await db('enrolment_sessions').where({ id_hash: idHash }).andWhere('expires_at', '>', now).first<{ user_id: string } | undefined>();
      return row?.user_id;
    },
    async finish(idHash: string): Promise<void> {
      await db('enrolment_sessions').where({ id_hash: idHash }).delete();
    },
    async purgeExpired(now: Date): Promise<number> {
      return db('enrolment_sessions').where('expires_at', '<=', now).delete();
    },
  };
}

export type EnrolmentSessionQueries = ReturnType<typeof enrolmentSessionQueries>;
