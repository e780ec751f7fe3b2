/**
 * The password step of a login. Whatever went wrong, the caller gets one generic failure
 * to show; the precise reason is for the audit trail only. Every path runs exactly one
 * argon2 verification, so the response time does not reveal whether a user exists, is
 * disabled, locked or has no password yet.
 */
import type { Clock } from '../kernel/clock.js';
import { normaliseParticipantId, normaliseUserId } from '../kernel/identifiers.js';
import type { PasswordHasher } from '../factors/password.js';
import { isLocked, lockEndsAt, type LockoutPolicy } from '../policy/lockout.js';
import type { ProgressLookahead } from '../store/login-progress.js';
import type { UserQueries, UserRow } from '../store/users.js';

export interface PasswordLoginInput {
  participantId: string;
  userId: string;
  password: string;
}

export type PasswordFailureReason = 'unknown_user' | 'no_password' | 'wrong_password' | 'disabled' | 'locked';

export type PasswordLoginOutcome =
  | { ok: true; user: UserRow }
  /** `countable`: a wrong password of an account that can lock (the others are counted as nothing). */
  | { ok: false; reason: PasswordFailureReason; user?: UserRow; countable: boolean };

export interface PasswordLoginDependencies {
  users: UserQueries;
  hasher: PasswordHasher;
  clock: Clock;
  lockout: LockoutPolicy;
}

/**
 * Checks the password; records nothing of a failure — the caller records it with
 * recordPasswordFailure, in one transaction with its audit record and what a lock ends.
 */
export async function authenticateWithPassword(deps: PasswordLoginDependencies, input: PasswordLoginInput, ahead?: ProgressLookahead): Promise<PasswordLoginOutcome> {
  const participantId = normaliseParticipantId(input.participantId);
  const userId = normaliseUserId(input.userId);
  // The user named may have come with the request's interaction lookup (ProgressLookahead).
  const known = participantId && userId ? ahead?.takeCandidate(participantId, userId) : undefined;
  const user = participantId && userId ? (known ? known.user : await deps.users.findByLogin(participantId, userId)) : undefined;
  const now = deps.clock.now();
  const fail = (reason: PasswordFailureReason, countable: boolean): PasswordLoginOutcome => ({ ok: false, reason, ...(user ? { user } : {}), countable });

  if (!user || !user.password_hash) {
    await deps.hasher.verifyAgainstDummy(input.password);
    return fail(user ? 'no_password' : 'unknown_user', false);
  }
  const matches = await deps.hasher.verify(user.password_hash, input.password);
  // Checked after the password so that these accounts answer exactly like a wrong password.
  if (isLocked(user, now)) return fail('locked', false);
  if (!matches) return fail('wrong_password', true);
  if (user.status !== 'active') return fail('disabled', false);

  if (deps.hasher.needsRehash(user.password_hash)) {
    // The configured cost went up since this hash was made: upgrade it while we hold the password.
    await deps.users.replacePasswordHash(user.id, user.password_hash, await deps.hasher.hash(input.password));
  }
  return { ok: true, user };
}

/**
 * Every failure ends here: one counting statement, whether or not there is anything to count
 * (so no failure takes longer than another); true when this failure locked the account.
 */
export async function recordPasswordFailure(deps: Pick<PasswordLoginDependencies, 'users' | 'clock' | 'lockout'>, outcome: Extract<PasswordLoginOutcome, { ok: false }>): Promise<boolean> {
  const { locked } = await deps.users.recordFailure(outcome.user?.id, deps.lockout.threshold, lockEndsAt(deps.lockout, outcome.user?.lockout_count ?? 0, deps.clock.now()), outcome.countable);
  return locked;
}
