import type { Database } from './database.js';

export interface ParticipantRow {
  id: string;
  name: string;
  status: 'active' | 'suspended';
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
    async list(): Promise<ParticipantRow[]> {
      return db<ParticipantRow>('participants').orderBy('id');
    },
  };
}

export type ParticipantQueries = ReturnType<typeof participantQueries>;
