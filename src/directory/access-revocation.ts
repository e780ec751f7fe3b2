/**
 * Ending a user's access when what proved their identity changes or they are barred: a new
 * password, a reset or changed second factor, a lock, a disable. Whoever held a session or a
 * refresh token from before (perhaps the person the change is meant to shut out) must log in
 * again with the new credentials (ASVS V3.3.3, V3.3.1; NIST SP 800-63B §7.1). The user is told
 * by email, so that a change they did not make does not go unnoticed (ASVS 2.2.3, 2.5.5).
 */
import type { NoticeContext, NoticeRecipient, SecurityNotices } from '../mail/security-notices.js';
import type { Queries } from '../store/index.js';
import type { KeptAccess, RevokedAccess } from '../store/user-access.js';
import { auditEvent, type Actor } from '../kernel/actor.js';

/** `sessions_ended`: the user's own "sign out everywhere else" on the security page. */
export type RevocationCause = 'password_change' | 'second_factor_reset' | 'second_factor_change' | 'smartcard_unbind' | 'lock' | 'disable' | 'sessions_ended';

export interface RevocationDependencies {
  /** In the transaction of the change that causes the revocation, so both commit together. */
  queries: Pick<Queries, 'userAccess' | 'audit' | 'jobs'>;
  /** Tells the user by email (when they have a designated address); absent where no mail can be sent. */
  notices?: SecurityNotices | undefined;
}

export async function revokeUserAccess(
  deps: RevocationDependencies,
  user: { id: string } & NoticeRecipient,
  cause: RevocationCause,
  actor: Actor,
  /** The login making the change (its interaction), or the security page's session and its login: they go on. */
  keep?: string | KeptAccess,
  /** A sentence the notice adds to its cause's own (a reset past the second-factor deadline: no new factor without an exception). */
  notice?: Pick<NoticeContext, 'detail' | 'params'>,
): Promise<RevokedAccess> {
  const revoked = await deps.queries.userAccess.revokeAll(user.id, keep);
  const ended =
    Object.values(revoked.oidc).reduce((sum, count) => sum + count, 0) + revoked.dmsSessions + revoked.accountSessions + revoked.loginsInProgress + revoked.enrolmentSessions + revoked.emailCodes;
  // Recorded when it ended something: a first password or a lock of an idle account has nothing to end.
  if (ended > 0) await deps.queries.audit.record(auditEvent(actor, 'account.access_revoked', 'success', user, { cause, ...revoked }));
  await deps.notices?.send(deps.queries, user, cause, { ...notice, by: actor.name, ip: actor.ip ?? null, sessionsEnded: (revoked.oidc['Session'] ?? 0) + revoked.dmsSessions + revoked.accountSessions > 0 });
  return revoked;
}
