import type { Phase } from '../policy/phases.js';
import type { Database } from './database.js';

export interface PhasePinRow {
  phase: Phase;
  until: Date | null;
  reason: string | null;
  set_by: string;
  set_at: Date;
}

export interface PilotParticipantRow {
  participant_id: string;
  added_by: string;
  added_at: Date;
}

/** The operator's live controls over the migration: the pinned phase and the pilot participants. */
export function phaseControlQueries(db: Database) {
  return {
    async pin(): Promise<PhasePinRow | undefined> {
      return db<PhasePinRow>('phase_pins').select('phase', 'until', 'reason', 'set_by', 'set_at').first();
    },
    /** Sets or replaces the pin; returns the one it replaced. */
    async setPin(pin: PhasePinRow): Promise<PhasePinRow | undefined> {
      return db.transaction(async (trx) => {
        const previous = await trx<PhasePinRow>('phase_pins').select('phase', 'until', 'reason', 'set_by', 'set_at').forUpdate().first();
        await trx('phase_pins').insert({ singleton: true, ...pin }).onConflict('singleton').merge();
        return previous;
      });
    },
    async clearPin(): Promise<PhasePinRow | undefined> {
      const [removed] = await db<PhasePinRow>('phase_pins').delete().returning(['phase', 'until', 'reason', 'set_by', 'set_at']);
      return removed;
    },
    async pilots(): Promise<PilotParticipantRow[]> {
      return db<PilotParticipantRow>('pilot_participants').orderBy('participant_id');
    },
    async addPilot(row: PilotParticipantRow): Promise<boolean> {
      const inserted = await db('pilot_participants').insert(row).onConflict('participant_id').ignore().returning('participant_id');
      return inserted.length === 1;
    },
    async removePilot(participantId: string): Promise<boolean> {
      return (await db('pilot_participants').where({ participant_id: participantId }).delete()) === 1;
    },
  };
}

export type PhaseControlQueries = ReturnType<typeof phaseControlQueries>;
