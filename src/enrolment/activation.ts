/**
 * A user's own activation: set a password through the emailed link, then enrol a second
 * factor. Setting the password uses the link up and opens a short enrolment session
 * (`activation.enrolmentMinutes`) in which the user picks an authenticator app or email codes.
 * If the user walks away after the password, the next login asks for the second factor.
 */
import { createHash, randomBytes } from 'node:crypto';
import { auditEvent, userActor } from '../kernel/actor.js';
import { ValidationError } from '../kernel/errors.js';
import { assertAcceptablePassword, type PasswordHasher, type PasswordRules } from '../factors/password.js';
import type { Queries } from '../store/index.js';
import type { UserRow } from '../store/users.js';
import { inspectActivationLink, type ActivationDependencies, type LinkState } from './activation-links.js';

export interface PasswordSetting {
  hasher: PasswordHasher;
  rules: PasswordRules;
}

export interface RequestOrigin {
  ip?: string;
  requestId?: string;
}

export type ActivationOutcome =
  | { ok: true; user: UserRow; enrolmentSession: string }
  | { ok: false; link: Exclude<LinkState['state'], 'valid'> }
  /** Past the email registration deadline (and no live exception): the link no longer works. */
  | { ok: false; pastDeadline: Date; user: UserRow };

export function hashEnrolmentSession(id: string): string {
  return createHash('sha256').update(`enrolment:${id}`).digest('hex');
}

/**
 * Sets the password of the link's user. Password problems are a ValidationError (the link
 * stays usable); a link that is no longer valid is an outcome, so the page can say why.
 */
export async function activateWithPassword(
  deps: ActivationDependencies & { queries: ActivationDependencies['queries'] & Pick<Queries, 'enrolmentSessions'> } & PasswordSetting,
  input: { token: string; password: string; confirmation: string },
  origin: RequestOrigin,
): Promise<ActivationOutcome> {
  await deps.policy.assertEnrolmentOpen();
  const link = await inspectActivationLink(deps, input.token);
  if (link.state !== 'valid') return { ok: false, link: link.state };
  const { user } = link;
  const deadline = await deps.deadlines?.passedFor('emailRegistration', user.id);
  if (deadline) return { ok: false, pastDeadline: deadline.at, user };

  assertAcceptablePassword(input.password, deps.rules, { userId: user.user_id, participantId: user.participant_id });
  if (input.password !== input.confirmation) {
    throw new ValidationError('activate.mismatch', { confirmation: 'does not match' });
  }
  // Hash first (slow), then claim the link: of two concurrent submissions only one wins.
  const hash = await deps.hasher.hash(input.password);
  const now = deps.clock.now();
  const session = randomBytes(32).toString('base64url');
  // The link used up, the password, its record and the enrolment session: together or not at all.
  const claimed = await deps.queries.transaction(async (queries) => {
    if (!(await queries.activationTokens.consume(link.token.id, now))) return false;
    await queries.users.setPasswordHash(user.id, hash);
    await queries.audit.record(auditEvent(userActor(user, origin), 'activation.password', 'success', user));
    await queries.enrolmentSessions.create({
      id_hash: hashEnrolmentSession(session),
      user_id: user.id,
      created_at: now,
      expires_at: new Date(now.getTime() + deps.settings.enrolmentMinutes * 60_000),
    });
    return true;
  });
  if (!claimed) return { ok: false, link: 'used' };
  return { ok: true, user: { ...user, status: 'active' }, enrolmentSession: session };
}

/** The user of a live enrolment session (from its cookie value), if it is still usable. */
export async function enrolmentSessionUser(
  deps: { queries: Pick<Queries, 'enrolmentSessions' | 'users'>; clock: { now(): Date } },
  session: string | undefined,
): Promise<UserRow | undefined> {
  if (!session || !/^[A-Za-z0-9_-]{43}$/.test(session)) return undefined;
  const userId = await deps.queries.enrolmentSessions.findUser(hashEnrolmentSession(session), deps.clock.now());
  const user = userId ? await deps.queries.users.findBySubject(userId) : undefined;
  return user && user.status === 'active' ? user : undefined;
}

export async function finishEnrolmentSession(queries: Pick<Queries, 'enrolmentSessions'>, session: string): Promise<void> {
  await queries.enrolmentSessions.finish(hashEnrolmentSession(session));
}
