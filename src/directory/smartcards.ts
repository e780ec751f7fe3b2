/**
 * Binding smartcards to users (`ccass-auth smartcard bind|unbind|list`). A certificate is
 * bound by its SHA-256 fingerprint to exactly one user; it must be one the smartcard step
 * would accept today (trusted CA, valid, not revoked), so a typo or a wrong file fails here
 * rather than at the user's first login.
 */
import type { Clock } from '../kernel/clock.js';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../kernel/errors.js';
import { certificateDer, certificateFingerprint, verifySmartcardCertificate } from '../factors/smartcard.js';
import type { SmartcardTrustStore } from '../factors/smartcard-trust.js';
import type { Queries } from '../store/index.js';
import type { SmartcardBindingRow } from '../store/smartcard-bindings.js';
import type { UserRow } from '../store/users.js';
import type { SecurityNotices } from '../mail/security-notices.js';
import { revokeUserAccess } from './access-revocation.js';
import { auditEvent, type Actor } from '../kernel/actor.js';
import { normaliseParticipantId, normaliseUserId } from '../kernel/identifiers.js';
import { msg } from '../i18n/translate.js';

export interface SmartcardAdministration {
  queries: Pick<Queries, 'users' | 'smartcardBindings' | 'audit' | 'userAccess' | 'jobs' | 'transaction'>;
  notices?: SecurityNotices | undefined;
  /** Undefined when smartcard login is not configured. */
  trust: SmartcardTrustStore | undefined;
  clock: Clock;
}

export interface SmartcardSummary {
  fingerprint: string;
  subject: string;
  issuer: string;
  serial: string;
  notAfter: Date;
  boundAt: Date;
  boundBy: string;
}

function summary(row: SmartcardBindingRow): SmartcardSummary {
  return { fingerprint: row.fingerprint_sha256, subject: row.subject, issuer: row.issuer, serial: row.serial, notAfter: row.not_after, boundAt: row.created_at, boundBy: row.created_by };
}

async function findUser(deps: SmartcardAdministration, who: { participantId: string; userId: string }): Promise<UserRow> {
  const participantId = normaliseParticipantId(who.participantId);
  const userId = normaliseUserId(who.userId);
  const fields: Record<string, string> = {};
  if (!participantId) fields['participantId'] = 'invalid_participant_id';
  if (!userId) fields['userId'] = 'invalid_user_id';
  if (!participantId || !userId) throw new ValidationError(!participantId ? 'directory.participantIdRule' : 'directory.userIdRule', fields);
  const user = await deps.queries.users.findByLogin(participantId, userId);
  if (!user) throw new NotFoundError(msg('directory.noSuchUser', { user: userId, participant: participantId }));
  return user;
}

function parseCertificate(certificate: Uint8Array | string): Buffer {
  const der = certificateDer(certificate);
  if (!der) throw new ValidationError('directory.notACertificate', { certificate: 'not_a_certificate' });
  return der;
}

export async function bindSmartcard(
  deps: SmartcardAdministration,
  who: { participantId: string; userId: string },
  certificate: Uint8Array | string,
  actor: Actor,
): Promise<SmartcardSummary> {
  if (!deps.trust) throw new ForbiddenError('directory.smartcardsOff');
  const user = await findUser(deps, who);
  const der = parseCertificate(certificate);
  const verdict = await verifySmartcardCertificate(await deps.trust.current(), der, deps.clock.now());
  if (!verdict.ok) {
    throw new ValidationError(msg('directory.certificateRefused', { reason: verdict.reason }), { certificate: verdict.reason });
  }
  const accepted = verdict.certificate;
  const row = {
    user_id: user.id,
    fingerprint_sha256: accepted.fingerprint,
    issuer: accepted.issuer,
    serial: accepted.serial,
    subject: accepted.subject,
    not_after: accepted.notAfter,
    created_by: actor.name,
    created_at: deps.clock.now(),
  };
  const bound = await deps.queries.transaction(async (queries) => {
    if (!(await queries.smartcardBindings.bind(row))) return false;
    await queries.audit.record(auditEvent(actor, 'smartcard.bind', 'success', user, { fingerprint: accepted.fingerprint, serial: accepted.serial, issuer: accepted.issuer }));
    return true;
  });
  if (!bound) {
    const existing = await deps.queries.smartcardBindings.findByFingerprint(accepted.fingerprint);
    const owner = existing && (await deps.queries.users.findBySubject(existing.user_id));
    if (owner?.id === user.id) throw new ConflictError(msg('directory.cardBoundHere', { user: user.user_id, participant: user.participant_id }));
    // One card, one user: a card that opens two accounts would make the audit trail lie.
    throw new ConflictError(owner ? msg('directory.cardBoundElsewhere', { user: owner.user_id, participant: owner.participant_id }) : 'directory.cardBoundUnknown');
  }
  return summary({ id: 0, ...row });
}

/** Unbinds one certificate of the user, or with none given, every smartcard of the user. */
export async function unbindSmartcard(
  deps: SmartcardAdministration,
  who: { participantId: string; userId: string },
  certificate: Uint8Array | string | undefined,
  actor: Actor,
): Promise<SmartcardSummary[]> {
  const user = await findUser(deps, who);
  const fingerprint = certificate === undefined ? undefined : certificateFingerprint(parseCertificate(certificate));
  const removed = await deps.queries.transaction(async (queries) => {
    const unbound = await queries.smartcardBindings.unbind(user.id, fingerprint);
    if (unbound.length === 0) throw new NotFoundError(msg(fingerprint ? 'directory.cardNotBound' : 'directory.noCards', { user: user.user_id, participant: user.participant_id }));
    await queries.audit.record(auditEvent(actor, 'smartcard.unbind', 'success', user, { fingerprints: unbound.map((row) => row.fingerprint_sha256) }));
    // A card taken away (lost, replaced) must not keep the sessions it opened.
    await revokeUserAccess({ queries, notices: deps.notices }, user, 'smartcard_unbind', actor);
    return unbound;
  });
  return removed.map(summary);
}

export async function listSmartcards(deps: SmartcardAdministration, who: { participantId: string; userId: string }): Promise<SmartcardSummary[]> {
  const user = await findUser(deps, who);
  return (await deps.queries.smartcardBindings.listForUser(user.id)).map(summary);
}
