import type { Database } from './database.js';
import { sessionTableQueries, type SessionTableRow } from './session-table.js';

export interface DmsSessionRow extends SessionTableRow {
  participant_id: string;
}

/** Delegated Administrators' DMS sessions, shared by every node; the cookie value is stored hashed. */
export function dmsSessionQueries(db: Database) {
  return sessionTableQueries<DmsSessionRow>(db, 'dms_sessions');
}

export type DmsSessionQueries = ReturnType<typeof dmsSessionQueries>;
