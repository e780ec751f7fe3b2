/**
 * The password step of a login. Whatever went wrong, the caller gets one generic failure
 * to show; the precise reason is for the audit trail only. Every path runs exactly one
 * argon2 verification, so the response time does not reveal whether a user exists, is
 * disabled, locked or has no password yet.
 */
import type { Clock } from '../clock.js';
import { normaliseParticipantId, normaliseUserId } from '../directory/identifiers.js';
import type { PasswordHasher } from '../factors/password.js';
import { afterFailure, isLocked, type LockoutPolicy } from '../policy/lockout.js';
import type { UserQueries, UserRow } from '../store/users.js';

export interface PasswordLoginInput {
  participantId: string;
  userId: string;
  password: string;
}

export type PasswordFailureReason = 'unknown_user' | 'no_password' | 'wrong_password' | 'disabled' | 'locked';

export type PasswordLoginOutcome =
  | { ok: true; user: UserRow }
  | { ok: false; reason: PasswordFailureReason; user?: UserRow; lockedNow?: boolean };

export interface PasswordLoginDependencies {
  users: UserQueries;
  hasher: PasswordHasher;
  clock: Clock;
  lockout: LockoutPolicy;
}

export async function authenticateWithPassword(deps: PasswordLoginDependencies, input: PasswordLoginInput): Promise<PasswordLoginOutcome> {
  const participantId = normaliseParticipantId(input.participantId);
  const userId = normaliseUserId(input.userId);
  const user = participantId && userId ? await deps.users.findByLogin(participantId, userId) : undefined;

  if (!user) {
    await deps.hasher.verifyAgainstDummy(input.password);
    return { ok: false, reason: 'unknown_user' };
  }
  if (!user.password_hash) {
    await deps.hasher.verifyAgainstDummy(input.password);
    return { ok: false, reason: 'no_password', user };
  }
  const matches = await deps.hasher.verify(user.password_hash, input.password);
  // Checked after the password so that these accounts answer exactly like a wrong password.
  if (isLocked(user, deps.clock.now())) return { ok: false, reason: 'locked', user };
  if (!matches) {
    const now = deps.clock.now();
    const counted = await deps.users.recordFailure(user.id, (current) => afterFailure(deps.lockout, current, now));
    return { ok: false, reason: 'wrong_password', user, lockedNow: counted?.lockedNow ?? false };
  }
  if (user.status !== 'active') return { ok: false, reason: 'disabled', user };

  if (deps.hasher.needsRehash(user.password_hash)) {
    // The configured cost went up since this hash was made: upgrade it while we hold the password.
    await deps.users.replacePasswordHash(user.id, user.password_hash, await deps.hasher.hash(input.password));
  }
  return { ok: true, user };
}
