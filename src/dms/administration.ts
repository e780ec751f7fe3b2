/**
 * What a Delegated Administrator (DA) can do in DMS, for the users of their own participant
 * only. Tenant isolation is structural: every function takes the DA (whose participant comes
 * from their login, never from the request) and finds users with the DA's participant in
 * the query, so a user of another participant is simply "not found", exactly like a user
 * that does not exist — guessing IDs reveals nothing. What is refused is refused with a code
 * (refusals.ts), which the pages and the API word in the reader's language.
 */
import { revokeUserAccess } from '../directory/access-revocation.js';
import { grantUserException, type ExceptionGrant } from '../directory/user-exceptions.js';
import { removeSecondFactors } from '../factors/second-factors.js';
import { createSecurityNotices } from '../mail/security-notices.js';
import { auditEvent, type Actor } from '../kernel/actor.js';
import { normaliseEmail, normaliseUserId } from '../kernel/identifiers.js';
import { TooManyRequestsError } from '../kernel/errors.js';
import {
  ActivationDeadlinePassedError,
  registerDesignatedEmail,
  resendActivationLink,
  type ActivationDependencies,
  type ActivationMailOutcome,
  type RegistrationResult,
} from '../enrolment/activation-links.js';
import { isLocked } from '../policy/lockout.js';
import { enrolmentOpen } from '../policy/phases.js';
import type { AuditRow } from '../store/audit.js';
import type { Queries } from '../store/index.js';
import { LOCKED_UNTIL_UNLOCKED, READINESS_STATES, type ReadinessState, type CodeMethod, type UserRow, type UserWithReadiness } from '../store/users.js';
import { activationDeadlineRefusal, dmsRefusal } from './refusals.js';

export interface DmsDependencies extends ActivationDependencies {
  queries: Queries;
}

/** A logged-in DA. `participantId` comes from the DA's own user record. */
export interface DelegatedAdministrator extends Actor {
  subject: string;
  participantId: string;
  userId: string;
}

export function daActor(da: { id: string; participant_id: string; user_id: string }, origin: { ip?: string; requestId?: string } = {}): DelegatedAdministrator {
  return {
    name: `da:${da.participant_id}/${da.user_id}`,
    subject: da.id,
    participantId: da.participant_id,
    userId: da.user_id,
    ip: origin.ip ?? null,
    requestId: origin.requestId ?? null,
  };
}

/** What DMS shows of a user: never the password hash or the internal subject. */
export interface FirmUser {
  userId: string;
  displayName: string;
  email: string | null;
  role: 'user' | 'da';
  state: ReadinessState;
  hasPassword: boolean;
  secondFactor: CodeMethod | null;
  /** Security keys or passkeys registered (in addition to the code method, or instead of one). */
  securityKeys: number;
  lockedUntil: string | null;
  activationExpiresAt: string | null;
}

function present(row: UserWithReadiness): FirmUser {
  return {
    userId: row.user_id,
    displayName: row.display_name,
    email: row.email,
    role: row.role,
    state: row.readiness,
    hasPassword: row.password_hash !== null,
    secondFactor: row.second_factor,
    securityKeys: row.security_keys ?? 0,
    lockedUntil: row.locked_until && row.readiness === 'locked' ? row.locked_until.toISOString() : null,
    activationExpiresAt: row.activation_expires_at ? new Date(row.activation_expires_at).toISOString() : null,
  };
}

function parseUserId(input: string): string {
  const userId = normaliseUserId(input);
  if (!userId) throw dmsRefusal('invalid_user_id', {}, { userId: 'invalid_user_id' });
  return userId;
}

/** The DA's own user `userId`; another participant's user is "not found", like a missing one. */
export async function findFirmUser(deps: { queries: Pick<Queries, 'users'> }, da: DelegatedAdministrator, userIdInput: string): Promise<UserRow> {
  const userId = parseUserId(userIdInput);
  const user = await deps.queries.users.findByLogin(da.participantId, userId);
  if (!user) throw dmsRefusal('no_such_user', { user: userId, participant: da.participantId });
  return user;
}

async function view(deps: DmsDependencies, da: DelegatedAdministrator, userId: string): Promise<FirmUser> {
  const { rows } = await deps.queries.users.listInParticipant(da.participantId, { userId, now: deps.clock.now(), limit: 1, offset: 0 });
  const row = rows[0];
  if (!row) throw dmsRefusal('no_such_user', { user: userId, participant: da.participantId });
  return present(row);
}

export const PAGE_SIZE_LIMIT = 200;

export interface UserListQuery {
  search?: string | undefined;
  state?: string | undefined;
  page?: number | undefined;
  pageSize?: number | undefined;
}

export interface UserList {
  participantId: string;
  users: FirmUser[];
  total: number;
  page: number;
  pageSize: number;
  counts: Partial<Record<ReadinessState, number>>;
}

export async function listFirmUsers(deps: DmsDependencies, da: DelegatedAdministrator, query: UserListQuery = {}): Promise<UserList> {
  const search = query.search?.trim().slice(0, 100) || undefined;
  if (query.state && !(READINESS_STATES as readonly string[]).includes(query.state)) {
    throw dmsRefusal('unknown_state', {}, { state: 'unknown_state' });
  }
  const pageSize = Math.min(Math.max(Math.trunc(query.pageSize ?? 50), 1), PAGE_SIZE_LIMIT);
  const page = Math.max(Math.trunc(query.page ?? 1), 1);
  const now = deps.clock.now();
  const { rows, total } = await deps.queries.users.listInParticipant(da.participantId, {
    search,
    state: query.state as ReadinessState | undefined,
    now,
    limit: pageSize,
    offset: (page - 1) * pageSize,
  });
  const counts = await deps.queries.users.readinessCounts(da.participantId, now);
  return { participantId: da.participantId, users: rows.map(present), total, page, pageSize, counts };
}

export async function getFirmUser(deps: DmsDependencies, da: DelegatedAdministrator, userId: string): Promise<FirmUser> {
  const user = await findFirmUser(deps, da, userId);
  return view(deps, da, user.user_id);
}

export async function registerFirmUserEmail(
  deps: DmsDependencies,
  da: DelegatedAdministrator,
  userId: string,
  email: string,
): Promise<RegistrationResult & { user: FirmUser }> {
  const user = await findFirmUser(deps, da, userId);
  await assertEnrolmentOpen(deps);
  const address = normaliseEmail(email);
  if (!address) throw dmsRefusal('invalid_email', {}, { email: 'invalid_email' });
  const result = await registerDesignatedEmail(deps, user, address, da).catch(asDmsRefusal);
  return { ...result, user: await view(deps, da, user.user_id) };
}

/** A link refused past the email registration deadline (audited by the use case), as DMS words it for a DA. */
function asDmsRefusal(error: unknown): never {
  if (error instanceof ActivationDeadlinePassedError) throw activationDeadlineRefusal(error.user.user_id, error.deadline);
  throw error;
}

/** Registration and activation links are closed before the phase that opens them (policy/phases.ts). */
export async function assertEnrolmentOpen(deps: DmsDependencies): Promise<void> {
  if (!enrolmentOpen((await deps.policy.current()).phase)) throw dmsRefusal('enrolment_closed');
}

export async function resendFirmUserActivation(
  deps: DmsDependencies,
  da: DelegatedAdministrator,
  userId: string,
): Promise<{ activation: ActivationMailOutcome; user: FirmUser }> {
  const user = await findFirmUser(deps, da, userId);
  await assertEnrolmentOpen(deps);
  if (!user.email) throw dmsRefusal('no_email', { user: user.user_id }, { email: 'not_registered' });
  if (user.password_hash) throw dmsRefusal('already_activated', { user: user.user_id }, { userId: 'already_activated' });
  let activation: ActivationMailOutcome;
  try {
    activation = await resendActivationLink(deps, user, da);
  } catch (error) {
    // The only thing resending refuses with 429: a link sent moments ago (the address is not to be flooded).
    if (error instanceof TooManyRequestsError) throw dmsRefusal('resend_too_soon', { seconds: error.retryAfterSeconds });
    return asDmsRefusal(error);
  }
  return { activation, user: await view(deps, da, user.user_id) };
}

/** Security notices to users, queued through the same outbox as activation links. */
function noticesOf(deps: DmsDependencies) {
  return createSecurityNotices({ outbox: deps.outbox, now: () => deps.clock.now() });
}

function refuseSelf(da: DelegatedAdministrator, user: UserRow, code: 'own_lock' | 'own_reset'): void {
  // A DA who locks out or resets themselves could no longer reach DMS to undo it.
  if (user.id === da.subject) throw dmsRefusal(code);
}

/**
 * Removes the user's second factor (lost phone, new email): their next login asks for the
 * password, an emailed code, and then a new method. Their password is unchanged.
 */
export async function resetFirmUserSecondFactor(deps: DmsDependencies, da: DelegatedAdministrator, userId: string): Promise<FirmUser> {
  const user = await findFirmUser(deps, da, userId);
  await assertResettable(deps, da, user);
  // Past the second-factor deadline (no live exception) the user sets up no new factor: their notice says so, and whom to ask.
  const deadline = (await deps.deadlines?.passedFor('secondFactor', user.id))?.at;
  const notice = deadline ? { detail: user.role === 'da' ? ('mail.notice.second_factor_reset.pastDeadlineDa' as const) : ('mail.notice.second_factor_reset.pastDeadline' as const), params: { deadline } } : undefined;
  await deps.queries.transaction(async (queries) => {
    const keys = await queries.webauthnCredentials.countForUser(user.id);
    await removeSecondFactors(queries, user.id);
    await queries.audit.record(auditEvent(da, 'second_factor.reset', 'success', user, { previous: user.second_factor, securityKeys: keys }));
    await revokeUserAccess({ queries, notices: noticesOf(deps) }, user, 'second_factor_reset', da, undefined, notice);
  });
  return view(deps, da, user.user_id);
}

async function assertResettable(deps: DmsDependencies, da: DelegatedAdministrator, user: UserRow): Promise<void> {
  refuseSelf(da, user, 'own_reset');
  // Something to reset: a code method, an authenticator being set up, a security key, recovery codes.
  const holds =
    user.second_factor !== null ||
    (await deps.queries.totpCredentials.findEnrolment(user.id)) !== undefined ||
    (await deps.queries.webauthnCredentials.countForUser(user.id)) > 0 ||
    (await deps.queries.recoveryCodes.countUnused(user.id)) > 0;
  if (!holds) {
    throw dmsRefusal('no_second_factor', { user: user.user_id }, { userId: 'no_second_factor' });
  }
}

/**
 * The user a reset or a lock would act on, refused exactly as the action itself would be,
 * changing nothing: for the page that asks the DA to confirm.
 */
export async function firmUserForAction(deps: DmsDependencies, da: DelegatedAdministrator, userId: string, action: 'reset' | 'lock'): Promise<FirmUser> {
  const user = await findFirmUser(deps, da, userId);
  if (action === 'reset') await assertResettable(deps, da, user);
  else refuseSelf(da, user, 'own_lock');
  return view(deps, da, user.user_id);
}

/**
 * The second-factor deadline, when it has passed for the user (no live `second_factor_deadline`
 * exception): a reset now would leave them with no second factor and no way to set up a new one
 * (src/reminders/deadline-doors.ts). The page confirming a reset says so.
 */
export async function secondFactorDeadlineAfterReset(deps: DmsDependencies, da: DelegatedAdministrator, userId: string): Promise<Date | undefined> {
  const user = await findFirmUser(deps, da, userId);
  return (await deps.deadlines?.passedFor('secondFactor', user.id))?.at;
}

/** An administrative lock: lasts until a DA or operator unlocks it. */
export async function lockFirmUser(deps: DmsDependencies, da: DelegatedAdministrator, userId: string): Promise<FirmUser> {
  const user = await findFirmUser(deps, da, userId);
  refuseSelf(da, user, 'own_lock');
  if (user.locked_until?.getTime() !== LOCKED_UNTIL_UNLOCKED.getTime()) {
    await deps.queries.transaction(async (queries) => {
      await queries.users.lock(user.id, LOCKED_UNTIL_UNLOCKED);
      await queries.audit.record(auditEvent(da, 'account.lock', 'success', user, { by: 'da' }));
      await revokeUserAccess({ queries, notices: noticesOf(deps) }, user, 'lock', da);
    });
  }
  return view(deps, da, user.user_id);
}

export async function unlockFirmUser(deps: DmsDependencies, da: DelegatedAdministrator, userId: string): Promise<FirmUser> {
  const user = await findFirmUser(deps, da, userId);
  if (isLocked(user, deps.clock.now()) || user.failed_attempts > 0) {
    await deps.queries.transaction(async (queries) => {
      await queries.users.clearFailures(user.id);
      await queries.audit.record(auditEvent(da, 'account.unlock', 'success', user, { by: 'da' }));
    });
  }
  return view(deps, da, user.user_id);
}

/**
 * A dated exception for one of the firm's users (src/directory/user-exceptions.ts), granted by
 * the DA — directly, or on approval of a change request (maker-checker). The user is told.
 */
export async function grantFirmUserException(deps: DmsDependencies, da: DelegatedAdministrator, userId: string, grant: ExceptionGrant): Promise<FirmUser> {
  const user = await findFirmUser(deps, da, userId);
  await grantUserException({ queries: deps.queries, notices: noticesOf(deps), clock: deps.clock }, { participantId: user.participant_id, userId: user.user_id }, grant, da);
  return view(deps, da, user.user_id);
}

export interface AuditQuery {
  userId?: string | undefined;
  type?: string | undefined;
  beforeId?: number | undefined;
  limit?: number | undefined;
}

export interface FirmAuditEvent {
  id: number;
  occurredAt: string;
  type: string;
  outcome: string;
  actor: string | null;
  userId: string | null;
  ip: string | null;
  details: Record<string, unknown>;
}

/** The audit trail of the DA's own participant, newest first. */
export async function firmAuditTrail(deps: DmsDependencies, da: DelegatedAdministrator, query: AuditQuery = {}): Promise<FirmAuditEvent[]> {
  const userId = query.userId?.trim() ? parseUserId(query.userId) : undefined;
  const type = query.type?.trim() || undefined;
  if (type && !/^[a-z_.]{1,64}$/.test(type)) throw dmsRefusal('invalid_event_type', {}, { type: 'invalid_event_type' });
  const limit = Math.min(Math.max(Math.trunc(query.limit ?? 100), 1), 500);
  const rows = await deps.queries.audit.list({ participantId: da.participantId, userId, type, beforeId: query.beforeId, limit });
  return rows.map((row: AuditRow) => ({
    id: Number(row.id),
    occurredAt: row.occurred_at.toISOString(),
    type: row.type,
    outcome: row.outcome,
    actor: row.actor,
    userId: row.user_id,
    ip: row.ip,
    details: row.details,
  }));
}

/** Records a DMS action that is not itself a change (e.g. an upload's summary). */
export async function auditDmsAction(deps: { queries: Pick<Queries, 'audit'> }, da: DelegatedAdministrator, type: string, outcome: 'success' | 'failure', details: Record<string, unknown>): Promise<void> {
  await deps.queries.audit.record(auditEvent(da, type, outcome, { participantId: da.participantId }, details));
}
