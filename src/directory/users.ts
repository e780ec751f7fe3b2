/**
 * Operator functions on users: add, set a password, list, disable and enable. They take
 * plain data and the query modules, so the CLI and DMS call the same code. A refusal is a
 * domain error whose reason is a catalogue message; the fields it names carry codes
 * (`invalid_participant_id`, `invalid_user_id`, `display_name_<problem>`, `invalid_email`,
 * `formula_email`).
 */
import { ConflictError, NotFoundError, ValidationError } from '../kernel/errors.js';
import { msg } from '../i18n/translate.js';
import type { DisplayNameProblem } from './csv-problems.js';
import type { Actor } from '../kernel/actor.js';
import type { SecurityNotices } from '../mail/security-notices.js';
import { revokeUserAccess } from './access-revocation.js';
import { assertAcceptablePassword, type PasswordHasher, type PasswordRules } from '../factors/password.js';
import type { Queries } from '../store/index.js';
import type { CodeMethod, UserRow, UserStatus } from '../store/users.js';
import { emailProblem, isPlainText, normaliseEmail, normaliseParticipantId, normaliseUserId } from '../kernel/identifiers.js';

type DirectoryQueries = Pick<Queries, 'participants' | 'users' | 'audit' | 'userAccess' | 'jobs' | 'transaction'>;

export interface UserRef {
  participantId: string;
  userId: string;
}

export interface NewUser extends UserRef {
  displayName: string;
  email?: string | undefined;
}

/** What callers may see of a user: never the password hash. */
export interface UserSummary {
  subject: string;
  participantId: string;
  userId: string;
  displayName: string;
  email: string | null;
  role: 'user' | 'da';
  status: UserStatus;
  hasPassword: boolean;
  secondFactor: CodeMethod | null;
  lockedUntil: Date | null;
}

export function summariseUser(row: UserRow): UserSummary {
  return {
    subject: row.id,
    participantId: row.participant_id,
    userId: row.user_id,
    displayName: row.display_name,
    email: row.email,
    role: row.role,
    status: row.status,
    hasPassword: row.password_hash !== null,
    secondFactor: row.second_factor,
    lockedUntil: row.locked_until,
  };
}

function parseRef(ref: UserRef): { participantId: string; userId: string } {
  const participantId = normaliseParticipantId(ref.participantId);
  const userId = normaliseUserId(ref.userId);
  const fields: Record<string, string> = {};
  if (!participantId) fields['participantId'] = 'invalid_participant_id';
  if (!userId) fields['userId'] = 'invalid_user_id';
  if (!participantId || !userId) throw new ValidationError(!participantId ? 'directory.participantIdRule' : 'directory.userIdRule', fields);
  return { participantId, userId };
}

async function findUser(queries: DirectoryQueries, ref: UserRef): Promise<UserRow> {
  const { participantId, userId } = parseRef(ref);
  const user = await queries.users.findByLogin(participantId, userId);
  if (!user) throw new NotFoundError(msg('directory.noSuchUser', { user: userId, participant: participantId }));
  return user;
}

/** What is wrong with a display name (words: `csv.row.display_name.<problem>`); undefined when it is fine. */
export function displayNameProblem(name: string): DisplayNameProblem | undefined {
  if (!isPlainText(name)) return 'bad_text';
  if (name.length < 1 || name.length > 200) return 'length';
  // Names are exported in reports that people open in spreadsheets (OWASP "CSV injection").
  if (/^[=+\-@]/.test(name)) return 'formula';
  return undefined;
}

export async function addUser(queries: DirectoryQueries, input: NewUser, actor: Actor): Promise<UserSummary> {
  const fields: Record<string, string> = {};
  let ref: { participantId: string; userId: string } | undefined;
  try {
    ref = parseRef(input);
  } catch (error) {
    Object.assign(fields, (error as ValidationError).fields);
  }
  const displayName = input.displayName.trim();
  const nameProblem = displayNameProblem(displayName);
  if (nameProblem) fields['displayName'] = `display_name_${nameProblem}`;
  let email: string | null = null;
  if (input.email !== undefined && input.email.trim() !== '') {
    email = normaliseEmail(input.email) ?? null;
    if (!email) fields['email'] = emailProblem(input.email) === 'formula' ? 'formula_email' : 'invalid_email';
  }
  if (!ref || Object.keys(fields).length) throw new ValidationError(nameProblem ? `csv.row.display_name.${nameProblem}` : 'directory.invalidUser', fields);

  if (!(await queries.participants.findById(ref.participantId))) {
    throw new NotFoundError(msg('problem.participantUnknown', { participant: ref.participantId }));
  }
  const row = await queries.users.insert({
    participant_id: ref.participantId,
    user_id: ref.userId,
    display_name: displayName,
    email,
  });
  if (!row) throw new ConflictError(msg('directory.userExists', { user: ref.userId, participant: ref.participantId }));
  await queries.audit.record({
    type: 'user.add',
    outcome: 'success',
    actor: actor.name,
    participantId: ref.participantId,
    userId: ref.userId,
  });
  return summariseUser(row);
}

export async function setUserPassword(
  deps: { queries: DirectoryQueries; hasher: PasswordHasher; rules: PasswordRules; notices?: SecurityNotices | undefined },
  ref: UserRef,
  password: string,
  actor: Actor,
): Promise<void> {
  const user = await findUser(deps.queries, ref);
  assertAcceptablePassword(password, deps.rules, { userId: user.user_id, participantId: user.participant_id });
  const hash = await deps.hasher.hash(password);
  await deps.queries.transaction(async (queries) => {
    await queries.users.setPasswordHash(user.id, hash);
    await queries.audit.record({
      type: 'user.password.set',
      outcome: 'success',
      actor: actor.name,
      participantId: user.participant_id,
      userId: user.user_id,
    });
    // A first password (set up by an operator) changes nothing anyone held; a replacement does.
    if (user.password_hash) await revokeUserAccess({ queries, notices: deps.notices }, user, 'password_change', actor);
  });
}

export async function setUserEnabled(queries: DirectoryQueries, ref: UserRef, enabled: boolean, actor: Actor, notices?: SecurityNotices): Promise<UserSummary> {
  const user = await findUser(queries, ref);
  // Enabling a user who never set a password leaves them pending: they still cannot log in.
  const status: UserStatus = enabled ? (user.password_hash ? 'active' : 'pending') : 'disabled';
  await queries.transaction(async (within) => {
    await within.users.setStatus(user.id, status);
    await within.audit.record({
      type: enabled ? 'user.enable' : 'user.disable',
      outcome: 'success',
      actor: actor.name,
      participantId: user.participant_id,
      userId: user.user_id,
    });
    if (!enabled && user.status !== 'disabled') await revokeUserAccess({ queries: within, notices }, user, 'disable', actor);
  });
  return { ...summariseUser(user), status };
}

/** Lifts a lock caused by failed attempts, and clears the failure count. */
export async function unlockUser(queries: DirectoryQueries, ref: UserRef, actor: Actor): Promise<UserSummary> {
  const user = await findUser(queries, ref);
  await queries.transaction(async (within) => {
    await within.users.clearFailures(user.id);
    await within.audit.record({ type: 'account.unlock', outcome: 'success', actor: actor.name, participantId: user.participant_id, userId: user.user_id });
  });
  return summariseUser({ ...user, failed_attempts: 0, locked_until: null });
}

export async function listUsers(queries: DirectoryQueries, filter: { participantId?: string | undefined } = {}): Promise<UserSummary[]> {
  let participantId: string | undefined;
  if (filter.participantId !== undefined) {
    participantId = normaliseParticipantId(filter.participantId);
    if (!participantId) throw new ValidationError('directory.participantIdRule', { participantId: 'invalid_participant_id' });
  }
  const rows = await queries.users.list(participantId ? { participantId } : {});
  return rows.map(summariseUser);
}
