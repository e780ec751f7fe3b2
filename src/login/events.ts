/**
 * What a login leaves behind: an audit record of each step (with the phase in force, the
 * client and where the request came from) and, for a login's verdict, the login counter.
 */
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
  const { phase } = request.policy;
  // A login's verdict: completed or refused by policy ('login'), or a refused smartcard.
  if (event.type === 'login' || (event.type === 'login.smartcard' && event.outcome === 'failure')) {
    services.metrics.logins.inc({ method: event.details?.['method'] === 'smartcard' ? 'smartcard' : 'password+otp', outcome: event.outcome, phase });
  }
  await within.audit.record({
    type: event.type,
    outcome: event.outcome,
    participantId: event.who?.participant_id ?? null,
    userId: event.who?.user_id ?? null,
    clientId: request.clientId,
    ip: request.origin.ip,
    requestId: request.origin.requestId,
    details: { ...event.details, phase },
  });
}
