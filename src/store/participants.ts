import type { Database } from './database.js';

export interface ParticipantRow {
  id: string;
  name: string;
  status: 'active' | 'suspended';
  /** The operator lets this firm's only DA act without a second one (maker-checker). */
  sole_da_exempt: boolean;
  created_at: Date;
}

export function participantQueries(db: Database) {
  return {
    async insert(participant: { id: string; name: string }): Promise<boolean> {
      const inserted = await db('participants').insert(participant).onConflict('id').ignore().returning('id');
      return inserted.length === 1;
    },
    async findById(id: string): Promise<ParticipantRow | undefined> {
      return db<ParticipantRow>('participants').where({ id }).first();
    },
    /** Whether the flag changed (false: it was already so). */
    async setSoleDaExempt(id: string, exempt: boolean): Promise<boolean> {
      const changed = await db('participants').where({ id }).andWhere('sole_da_exempt', '<>', exempt).update({ sole_da_exempt: exempt });
      return changed === 1;
    },
    async list(): Promise<ParticipantRow[]> {
      return db<ParticipantRow>('participants').orderBy('id');
    },
  };
}

export type ParticipantQueries = ReturnType<typeof participantQueries>;
