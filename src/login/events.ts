/**
 * What a login leaves behind: an audit record of each step (with the phase in force, the
 * client and where the request came from) and, for a login's verdict, the login counter.
 */
import type { AuditEvent } from '../store/audit.js';
import type { Queries } from '../store/index.js';
import type { LoginRequest, LoginServices } from './login.js';

export interface LoginEvent {
  type: string;
  outcome: 'success' | 'failure';
  /** Who the step was about: a user, or what was typed when no user was found. */
  who?: { participant_id: string; user_id: string } | undefined;
  details?: Record<string, unknown>;
}

export async function recordLoginEvent(services: LoginServices, request: LoginRequest, event: LoginEvent, within: Pick<Queries, 'audit'> = services.queries): Promise<void> {
  await recordLoginEvents(services, request, [event], within);
}

/** Several events of one step (a factor and the login's verdict), in one statement. */
export async function recordLoginEvents(services: LoginServices, request: LoginRequest, events: readonly LoginEvent[], within: Pick<Queries, 'audit'> = services.queries): Promise<void> {
  await within.audit.recordAll(loginAuditEvents(services, request, events));
}

/** The audit records of these events (for a statement that writes them along with a change), counted in the metrics. */
export function loginAuditEvents(services: LoginServices, request: LoginRequest, events: readonly LoginEvent[]): AuditEvent[] {
  const { phase } = request.policy;
  for (const event of events) {
    // A login's verdict: completed or refused by policy ('login'), or a refused smartcard.
    if (event.type === 'login' || (event.type === 'login.smartcard' && event.outcome === 'failure')) {
      services.metrics.logins.inc({ method: event.details?.['method'] === 'smartcard' ? 'smartcard' : 'password+otp', outcome: event.outcome, phase });
    }
  }
  return events.map((event) => ({
      type: event.type,
      outcome: event.outcome,
      participantId: event.who?.participant_id ?? null,
      userId: event.who?.user_id ?? null,
      clientId: request.clientId,
      ip: request.origin.ip,
      requestId: request.origin.requestId,
      details: { ...event.details, phase },
  }));
}
