import type { Database } from './database.js';

/** A user's recovery codes, as hashes (the codes are shown once, when the set is made). */
export function recoveryCodeQueries(db: Database) {
  return {
    /** Replaces the user's set (every earlier code, used or not, stops working). */
    async replaceSet(userId: string, codeHashes: readonly string[], at: Date): Promise<void> {
      await db('recovery_codes').where({ user_id: userId }).delete();
      await db('recovery_codes').insert(codeHashes.map((code_hash) => ({ user_id: userId, code_hash, created_at: at })));
    },
    /** Marks the code used if it is one of the user's unused codes: of two concurrent uses, one wins. */
    async consume(userId: string, codeHash: string, at: Date): Promise<boolean> {
      return (await db('recovery_codes').where({ user_id: userId, code_hash: codeHash }).whereNull('used_at').update({ used_at: at })) === 1;
    },
    async unusedHashes(userId: string): Promise<string[]> {
      return (await db('recovery_codes').where({ user_id: userId }).whereNull('used_at').select('code_hash')).map((row: { code_hash: string }) => row.code_hash);
    },
    async countUnused(userId: string): Promise<number> {
      const [counted] = await db('recovery_codes').where({ user_id: userId }).whereNull('used_at').count<{ count: string }[]>('code_hash as count');
      return Number(counted?.count ?? 0);
    },
    /** When the current set was made and how many of it are left (none: no set). */
    async summary(userId: string): Promise<{ createdAt: Date; unused: number; total: number } | undefined> {
      const [found] = await db('recovery_codes')
        .where({ user_id: userId })
        .select(db.raw('min(created_at) as created_at'), db.raw('count(*) filter (where used_at is null) as unused'), db.raw('count(*) as total'));
      if (!found || Number(found.total) === 0) return undefined;
      return { createdAt: new Date(found.created_at), unused: Number(found.unused), total: Number(found.total) };
    },
    async removeAll(userId: string): Promise<void> {
      await db('recovery_codes').where({ user_id: userId }).delete();
    },
  };
}

export type RecoveryCodeQueries = ReturnType<typeof recoveryCodeQueries>;
