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
    async list(filter: { participantId?: string; type?: string; limit?: number } = {}): Promise<AuditRow[]> {
      const query = db<AuditRow>('audit_events').orderBy('id', 'desc').limit(filter.limit ?? 100);
      if (filter.participantId) query.where({ participant_id: filter.participantId });
      if (filter.type) query.where({ type: filter.type });
      return query;
    },
  };
}

export type AuditQueries = ReturnType<typeof auditQueries>;
