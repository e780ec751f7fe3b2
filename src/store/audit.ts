import type { Database } from './database.js';
import { prepared } from './prepared.js';

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

/**
 * An insert of audit records from nine array parameters starting at `$first` (see auditColumns):
 * for one statement that records several events, or that records them along with the change
 * they are about (a login's progress, its completion), so that both commit or neither does.
 */
export function auditInsertFrom(first: number): string {
  const [type, outcome, actor, participant, user, client, ip, request, details] = Array.from({ length: 9 }, (_, index) => `$${first + index}`);
  return `insert into audit_events (type, outcome, actor, participant_id, user_id, client_id, ip, request_id, details)
     select * from unnest(${type}::text[], ${outcome}::text[], ${actor}::text[], ${participant}::text[], ${user}::text[], ${client}::text[], ${ip}::text[], ${request}::text[], ${details}::jsonb[])`;
}

/** How many parameters auditInsertFrom takes (one array per column). */
export const AUDIT_PARAMETERS = 9;

/** The nine array parameters of auditInsertFrom, column by column. */
export function auditColumns(events: readonly AuditEvent[]): unknown[][] {
  const column = (value: (event: AuditEvent) => unknown) => events.map(value);
  return [
    column((event) => event.type),
    column((event) => event.outcome),
    column((event) => event.actor ?? null),
    column((event) => event.participantId ?? null),
    column((event) => event.userId ?? null),
    column((event) => event.clientId ?? null),
    column((event) => event.ip ?? null),
    column((event) => event.requestId ?? null),
    column((event) => JSON.stringify(event.details ?? {})),
  ];
}

export function auditQueries(db: Database) {
  // Several records per login: prepared once per connection (prepared.ts).
  const insert = prepared(
    db,
    'audit_insert',
    'insert into audit_events (type, outcome, actor, participant_id, user_id, client_id, ip, request_id, details) values ($1, $2, $3, $4, $5, $6, $7, $8, $9)',
  );
  // Several records of one step (a login's last factor and its verdict) in one statement.
  const insertMany = prepared(db, 'audit_insert_many', auditInsertFrom(1));
  return {
    /** Records events in their order, in one statement. */
    async recordAll(events: readonly AuditEvent[]): Promise<void> {
      if (events.length === 0) return;
      if (events.length === 1) return this.record(events[0] as AuditEvent);
      await insertMany(auditColumns(events));
    },
    async record(event: AuditEvent): Promise<void> {
      await insert([
        event.type,
        event.outcome,
        event.actor ?? null,
        event.participantId ?? null,
        event.userId ?? null,
        event.clientId ?? null,
        event.ip ?? null,
        event.requestId ?? null,
        JSON.stringify(event.details ?? {}),
      ]);
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
