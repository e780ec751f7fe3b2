/**
 * Who does something, for the audit trail: an operator at the CLI, a Delegated Administrator
 * in DMS, or a user on their own activation pages, with where the request came from.
 */
import type { AuditEvent } from '../store/audit.js';

export interface Actor {
  /** "operator:alice", "da:B01234/ADMIN1", "user:B01234/U1". */
  name: string;
  ip?: string | null | undefined;
  requestId?: string | null | undefined;
}

export function operatorActor(name: string): Actor {
  return { name: `operator:${name}` };
}

export function userActor(user: { participant_id: string; user_id: string }, origin: { ip?: string; requestId?: string } = {}): Actor {
  return { name: `user:${user.participant_id}/${user.user_id}`, ip: origin.ip ?? null, requestId: origin.requestId ?? null };
}

/** An audit event for `actor` acting on `target`. */
export function auditEvent(
  actor: Actor,
  type: string,
  outcome: 'success' | 'failure',
  target: { participant_id: string; user_id: string } | { participantId: string; userId?: string | null } | null,
  details: Record<string, unknown> = {},
): AuditEvent {
  const participantId = target ? ('participant_id' in target ? target.participant_id : target.participantId) : null;
  const userId = target ? ('user_id' in target ? target.user_id : (target.userId ?? null)) : null;
  return { type, outcome, actor: actor.name, participantId, userId, ip: actor.ip ?? null, requestId: actor.requestId ?? null, details };
}
