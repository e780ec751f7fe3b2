/**
 * HKSCC operators register each participant's Delegated Administrators (DAs) themselves:
 * `ccass-auth da add`. A DA is a user of the participant with the `da` role; registering
 * their designated email sends them the same activation link as any user, after which they
 * log in to DMS with their password and second factor.
 */
import { auditEvent, type Actor } from '../kernel/actor.js';
import { addUser, summariseUser, type UserSummary } from './users.js';
import { normaliseEmail, normaliseParticipantId, normaliseUserId } from '../kernel/identifiers.js';
import { NotFoundError, ValidationError } from '../kernel/errors.js';
import { msg } from '../i18n/translate.js';
import { applyDesignatedEmail, auditingDeadlineRefusal, parseDesignatedEmail, type ActivationDependencies, type RegistrationResult } from '../enrolment/activation-links.js';
import type { Queries } from '../store/index.js';

export interface NewDelegatedAdministrator {
  participantId: string;
  userId: string;
  email: string;
  /** Needed when the user does not exist yet. */
  displayName?: string | undefined;
}

export interface DelegatedAdministratorResult {
  user: UserSummary;
  /** created: a new user; promoted: an existing user became a DA; unchanged: already a DA. */
  change: 'created' | 'promoted' | 'unchanged';
  registration: RegistrationResult;
}

export async function addDelegatedAdministrator(
  deps: ActivationDependencies & { queries: Queries },
  input: NewDelegatedAdministrator,
  actor: Actor,
): Promise<DelegatedAdministratorResult> {
  await deps.policy.assertEnrolmentOpen();
  const participantId = normaliseParticipantId(input.participantId);
  const userId = normaliseUserId(input.userId);
  const fields: Record<string, string> = {};
  if (!participantId) fields['participantId'] = 'invalid_participant_id';
  if (!userId) fields['userId'] = 'invalid_user_id';
  if (!normaliseEmail(input.email)) fields['email'] = 'invalid_email';
  // Everything is checked before anything changes: a bad email must not leave a half-made DA.
  if (!participantId || !userId || Object.keys(fields).length) throw new ValidationError('directory.invalidDa', fields);
  if (!(await deps.queries.participants.findById(participantId))) throw new NotFoundError(msg('problem.participantUnknown', { participant: participantId }));

  // The user, the role, the email, the link and its mail: one transaction (refused whole past the email registration deadline, and audited).
  return auditingDeadlineRefusal(deps, actor, () => deps.queries.transaction(async (queries) => {
    let change: DelegatedAdministratorResult['change'] = 'unchanged';
    let user = await queries.users.findByLogin(participantId, userId);
    if (!user) {
      if (!input.displayName) throw new ValidationError('directory.daNeedsName', { displayName: 'required' });
      await addUser(queries, { participantId, userId, displayName: input.displayName }, actor);
      user = await queries.users.findByLogin(participantId, userId);
      change = 'created';
    } else if (user.role !== 'da') {
      change = 'promoted';
    }
    if (!user) throw new Error('user vanished while being added');
    if (user.role !== 'da') {
      await queries.users.setRole(user.id, 'da');
      user = { ...user, role: 'da' };
      await queries.audit.record(auditEvent(actor, 'da.add', 'success', user, { change }));
    }
    const registration = await applyDesignatedEmail(deps, queries, user.id, parseDesignatedEmail(input.email), actor);
    const updated = await queries.users.findBySubject(user.id);
    return { user: summariseUser(updated ?? user), change, registration };
  }));
}
