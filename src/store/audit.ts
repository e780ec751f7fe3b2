import type { Database } from './database.js';

/** One audit record. Never put a password, code, token or secret in `details`. */
export interface AuditEvent {
  type: string;
  outcome: 'success' | 'failure';
  actor?: string | null;
  participantId?: string | null;
  userId?: string | null;
  clientId?: string | null;
  ip?: string | null;
  requestId?: string | null;
  details?: Record<string, unknown>;
}

export interface AuditRow {
  id: number;
  occurred_at: Date;
  type: string;
  outcome: string;
  actor: string | null;
  participant_id: string | null;
  user_id: string | null;
  client_id: string | null;
  ip: string | null;
  request_id: string | null;
  details: Record<string, unknown>;
}

export interface AuditFilter {
  participantId?: string | undefined;
  userId?: string | undefined;
  type?: string | undefined;
  outcome?: 'success' | 'failure' | undefined;
  since?: Date | undefined;
  until?: Date | undefined;
  beforeId?: number | undefined;
  limit?: number | undefined;
}

export function auditQueries(db: Database) {
  return {
    async record(event: AuditEvent): Promise<void> {
      await db('audit_events').insert({
        type: event.type,
        outcome: event.outcome,
        actor: event.actor ?? null,
        participant_id: event.participantId ?? null,
        user_id: event.userId ?? null,
        client_id: event.clientId ?? null,
        ip: event.ip ?? null,
        request_id: event.requestId ?? null,
        details: event.details ?? {},
      });
    },
    /**
     * Newest first. `type` matches a type or, ending in ".", every type under it ("dms." );
     * `beforeId` pages backwards from a row already shown.
     */
    async list(filter: AuditFilter = {}): Promise<AuditRow[]> {
      const query = db<AuditRow>('audit_events').orderBy('id', 'desc').limit(filter.limit ?? 100);
      if (filter.participantId) query.where({ participant_id: filter.participantId });
      if (filter.userId) query.where({ user_id: filter.userId });
      if (filter.type) {
        if (filter.type.endsWith('.')) query.whereLike('type', `${filter.type.replace(/[\\%_]/g, (character) => `\\${character}`)}%`);
        else query.where({ type: filter.type });
      }
      if (filter.outcome) query.where({ outcome: filter.outcome });
      if (filter.since) query.where('occurred_at', '>=', filter.since);
      if (filter.until) query.where('occurred_at', '<', filter.until);
      if (filter.beforeId) query.where('id', '<', filter.beforeId);
      return query;
    },
  };
}

export type AuditQueries = ReturnType<typeof auditQueries>;
