/**
 * Ending a user's access when what proved their identity changes or they are barred: a new
 * password, a reset or changed second factor, a lock, a disable. Whoever held a session or a
 * refresh token from before (perhaps the person the change is meant to shut out) must log in
 * again with the new credentials (ASVS V3.3.3, V3.3.1; NIST SP 800-63B §7.1).
 */
import type { Queries } from '../store/index.js';
import type { RevokedAccess } from '../store/user-access.js';
import { auditEvent, type Actor } from './actor.js';

export type RevocationCause = 'password_change' | 'second_factor_reset' | 'second_factor_change' | 'smartcard_unbind' | 'lock' | 'disable';

export async function revokeUserAccess(
  queries: Pick<Queries, 'userAccess' | 'audit'>,
  user: { id: string; participant_id: string; user_id: string },
  cause: RevocationCause,
  actor: Actor,
  keepInteraction?: string,
): Promise<RevokedAccess> {
  const revoked = await queries.userAccess.revokeAll(user.id, keepInteraction);
  const ended = Object.values(revoked.oidc).reduce((sum, count) => sum + count, 0) + revoked.dmsSessions + revoked.loginsInProgress + revoked.enrolmentSessions + revoked.emailCodes;
  // Recorded when it ended something: a first password or a lock of an idle account has nothing to end.
  if (ended > 0) await queries.audit.record(auditEvent(actor, 'account.access_revoked', 'success', user, { cause, ...revoked }));
  return revoked;
}
