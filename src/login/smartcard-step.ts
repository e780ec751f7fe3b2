/**
 * "Log in with smartcard": the certificate the browser presented (over our TLS listener or a
 * trusted proxy's header) → the user it is bound to → the login, if the phase and the client
 * still accept smartcards. After the cut-off no card opens anything, whatever it is.
 */
import type { SmartcardTrustStore } from '../factors/smartcard-trust.js';
import type { PresentedCertificate } from '../web/client-certificate.js';
import { ACR, SMARTCARD_AMR } from '../oidc/assurance.js';
import { refusalFor } from '../policy/access.js';
import type { UserRow } from '../store/users.js';
import { recordLoginEvent } from './events.js';
import { CANNOT_LOG_IN_NOW, refused, type Login, type LoginOutcome, type LoginRequest, type LoginServices } from './login.js';
import { ACCESS_REFUSALS, SMARTCARD_REFUSALS } from './refusals.js';
import { authenticateWithSmartcard } from './smartcard-check.js';
import { smartcardExceptionFor } from './smartcard-exception.js';
import { firstSecondFactorClosed } from '../reminders/deadline-doors.js';

const HEADER_REFUSALS = {
  'untrusted-header': 'untrusted_certificate_header',
  'repeated-header': 'repeated_certificate_header',
  'malformed-header': 'malformed_certificate_header',
} as const;

export async function loginWithSmartcard(services: LoginServices, trust: SmartcardTrustStore, request: LoginRequest, presented: PresentedCertificate): Promise<LoginOutcome> {
  if (presented.kind === 'none') {
    await recordLoginEvent(services, request, { type: 'login.smartcard', outcome: 'failure', details: { method: 'smartcard', reason: 'no_certificate' } });
    return refused(400, 'smartcard.noneTitle', 'smartcard.none');
  }
  if (presented.kind !== 'certificate') {
    const reason = HEADER_REFUSALS[presented.kind];
    await recordLoginEvent(services, request, { type: 'login.smartcard', outcome: 'failure', details: { method: 'smartcard', reason } });
    services.log.warn({ requestId: request.origin.requestId, ip: request.origin.ip, reason }, 'client certificate header refused');
    return refused(400, 'smartcard.noneTitle', 'smartcard.notAccepted');
  }

  const outcome = await authenticateWithSmartcard({ trust, bindings: services.queries.smartcardBindings, users: services.queries.users, clock: services.clock }, presented.der, presented.chain);
  const card = outcome.certificate && { fingerprint: outcome.certificate.fingerprint, serial: outcome.certificate.serial, issuer: outcome.certificate.issuer, source: presented.source };
  const certificate = card ? { certificate: card } : {};
  // The phase and the client decide first (after the cut-off, with the user's dated exception).
  const exception = await smartcardExceptionFor(services, request.policy.phase, outcome.user);
  const refusal = refusalFor('smartcard', request.policy.phase, outcome.user ? request.policy.pilots.has(outcome.user.participant_id) : false, request.requirement, { smartcard: Boolean(exception) });
  if (refusal) {
    await recordLoginEvent(services, request, { type: 'login.smartcard', outcome: 'failure', who: outcome.user, details: { method: 'smartcard', reason: refusal, ...certificate } });
    return refused(403, 'smartcard.notAcceptedTitle', ACCESS_REFUSALS[refusal]);
  }
  if (!outcome.ok) {
    await recordLoginEvent(services, request, { type: 'login.smartcard', outcome: 'failure', who: outcome.user, details: { method: 'smartcard', reason: outcome.reason, ...certificate } });
    if (outcome.reason === 'trust_unavailable' || outcome.reason === 'revocation_unknown') {
      services.log.error({ reason: outcome.reason, problems: trust.problems() }, 'smartcard login refused: trust material unusable');
    }
    return refused(403, 'smartcard.refusedTitle', SMARTCARD_REFUSALS[outcome.reason] ?? 'smartcard.notAccepted');
  }
  // The bridge: a user with no phishing-resistant factor yet is offered a security key while
  // the card still works, vouched for by the card (the login waits, proven, for that page). A user
  // on a dated exception sees that page too: it tells them when their card stops.
  // Past the second-factor deadline a user with no second factor at all is offered none (deadline-doors.ts): the card logs them in.
  const keys = await services.queries.webauthnCredentials.countForUser(outcome.user.id);
  const closed = await firstSecondFactorClosed(services.deadlines, outcome.user.id, { second_factor: outcome.user.second_factor, email: outcome.user.email, securityKeys: keys });
  if (!closed && (exception || keys === 0)) {
    const expiresAt = new Date(services.clock.now().getTime() + services.interactionTtlSeconds * 1000);
    const events = loginAuditEventsFor(services, request, outcome.user, card);
    await services.queries.loginProgress.start(request.uid, outcome.user.id, ['sc'], expiresAt, events);
    return { kind: 'next' };
  }
  return completeSmartcard(services, request, outcome.user, { certificate: card });
}

function loginAuditEventsFor(services: LoginServices, request: LoginRequest, user: UserRow, card: Record<string, unknown> | undefined) {
  return [
    {
      type: 'login.smartcard',
      outcome: 'success' as const,
      participantId: user.participant_id,
      userId: user.user_id,
      clientId: request.clientId,
      ip: request.origin.ip,
      requestId: request.origin.requestId,
      details: { method: 'smartcard', certificate: card, offered: 'security_key', phase: request.policy.phase },
    },
  ];
}

/** The end of a smartcard login (at once, or after the bridge page): the phase and the client are asked once more. */
async function completeSmartcard(services: LoginServices, request: LoginRequest, user: UserRow, details: Record<string, unknown>): Promise<LoginOutcome> {
  const exception = await smartcardExceptionFor(services, request.policy.phase, user);
  const refusal = refusalFor('smartcard', request.policy.phase, request.policy.pilots.has(user.participant_id), request.requirement, { smartcard: Boolean(exception) });
  if (refusal) {
    await recordLoginEvent(services, request, { type: 'login.smartcard', outcome: 'failure', who: user, details: { method: 'smartcard', reason: refusal } });
    return refused(403, 'smartcard.notAcceptedTitle', ACCESS_REFUSALS[refusal]);
  }
  // Always the smartcard's own acr, whatever was asked: the cut-off, the refresh check and the
  // reuse of a session for a 2FA request all tell a card session by it. It meets phr and phrh
  // for a request that takes smartcard logins (acr-policy), and never the 2FA level.
  const acr = ACR.smartcard;
  const amr = [...SMARTCARD_AMR];
  await services.queries.users.recordLogin(user.id, 'smartcard', services.clock.now());
  await recordLoginEvent(services, request, { type: 'login', outcome: 'success', who: user, details: { method: 'smartcard', amr, acr, ...details, ...(exception ? { exceptionUntil: exception.until.toISOString() } : {}) } });
  return { kind: 'complete', accountId: user.id, acr, amr };
}

/** After the bridge page (a key registered, or not now): the smartcard login completes. */
export async function completeSmartcardLogin(services: LoginServices, login: Login, details: Record<string, unknown>): Promise<LoginOutcome> {
  await services.queries.loginProgress.finish(login.request.uid);
  if (login.user.status !== 'active') return CANNOT_LOG_IN_NOW;
  return completeSmartcard(services, login.request, login.user, details);
}
