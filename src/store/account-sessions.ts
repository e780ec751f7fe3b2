import type { Database } from './database.js';
import { sessionTableQueries, type SessionTableRow } from './session-table.js';

export interface AccountSessionRow extends SessionTableRow {
  /** The provider session (oidc-provider Session uid) of the login that opened this one, when known. */
  oidc_session_uid: string | null;
  /** When that login happened (the ID token's auth_time). */
  auth_time: Date;
  /** Whether that login was phishing-resistant: a security key (its acr meets phr), not a code. */
  phishing_resistant: boolean;
  /** Whether the user had a security key when it opened (removing every key later does not make it a bootstrap session). */
  had_security_key: boolean;
}

/** Users' sessions on their own security page, shared by every node; the cookie value is stored hashed. */
export function accountSessionQueries(db: Database) {
  return sessionTableQueries<AccountSessionRow>(db, 'account_sessions');
}

export type AccountSessionQueries = ReturnType<typeof accountSessionQueries>;
