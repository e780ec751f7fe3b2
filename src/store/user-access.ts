/**
 * Everything that lets a user in without logging in again, across the tables that hold it:
 * oidc-provider's sessions, grants, codes and tokens; DMS and security-page sessions; logins
 * and activation enrolments in progress; emailed codes not yet used.
 */
import type { Database } from './database.js';
import { hashId } from '../kernel/hash-id.js';
import { endOidcSession, extendOidcSession, oidcSessionsOf, oidcSessionUidOf, revokeOidcArtefactsOf, type OidcSessionSummary } from './oidc-adapter.js';
import type { JobQueue } from '../jobs/queue.js';
import { backchannelLogoutJobId, logoutsOfEnded, type EndedArtefact } from '../oidc/backchannel-logout.js';

export interface RevokedAccess {
  /** oidc-provider artefacts by model (Session, Grant, RefreshToken, AccessToken, ...). */
  oidc: Record<string, number>;
  dmsSessions: number;
  accountSessions: number;
  loginsInProgress: number;
  enrolmentSessions: number;
  emailCodes: number;
}

/**
 * What a revocation spares: the login making the change (its interaction), or — on the
 * security page — the page's own session and the provider session of the login that opened it.
 */
export interface KeptAccess {
  interaction?: string | undefined;
  oidcSessionUid?: string | undefined;
  /** The hash of the security-page session's cookie value. */
  accountSession?: string | undefined;
}

/** A provider session as its owner sees it, with the address of the login that opened it when the audit trail has it. */
export interface UserSession extends OidcSessionSummary {
  ip: string | null;
}

/** Who hears of ended sessions by back-channel logout: the clients that registered a backchannel_logout_uri. */
export interface BackchannelLogoutSettings {
  queue: JobQueue | undefined;
  clients: ReadonlySet<string>;
}

/**
 * One back-channel logout job per (client with a URI, login) ended — a session, or the live
 * tokens of one that outlived it — on `trx`: created if and only if the ending commits
 * (Back-Channel Logout 1.0 §2.5; see src/oidc/backchannel-logout.ts).
 */
async function announceEnded(trx: Database, backchannel: BackchannelLogoutSettings | undefined, ended: EndedArtefact[]): Promise<void> {
  const logouts = logoutsOfEnded(ended).filter((logout) => backchannel?.clients.has(logout.clientId));
  if (!logouts.length) return;
  if (!backchannel?.queue) throw new Error('no job queue in this process: ending a session of a back-channel logout client needs one');
  for (const logout of logouts) await backchannel.queue.send(trx, 'backchannel_logout', logout, { id: backchannelLogoutJobId(logout) });
}

export function userAccessQueries(db: Database, backchannel?: BackchannelLogoutSettings) {
  return {
    /**
     * Ends all of it for one user, in one transaction: nothing half-revoked if a statement
     * fails. `keep` spares the login that is making the change (a bare string: its
     * interaction, as for a user changing their own second factor while logging in).
     */
    async revokeAll(userId: string, keep?: string | KeptAccess): Promise<RevokedAccess> {
      const kept: KeptAccess = typeof keep === 'string' ? { interaction: keep } : (keep ?? {});
      const ended: EndedArtefact[] = [];
      return db.transaction(async (trx) => ({
        oidc: await revokeOidcArtefactsOf(trx, userId, { interaction: kept.interaction, sessionUid: kept.oidcSessionUid }, ended).then(async (counts) => {
          await announceEnded(trx, backchannel, ended);
          return counts;
        }),
        dmsSessions: await trx('dms_sessions').where({ user_id: userId }).delete(),
        accountSessions: await trx('account_sessions')
          .where({ user_id: userId })
          .modify((query) => {
            if (kept.accountSession) query.whereNot({ id_hash: kept.accountSession });
          })
          .delete(),
        loginsInProgress: await trx('login_progress')
          .where({ user_id: userId })
          .modify((query) => {
            if (kept.interaction) query.whereNot({ interaction_hash: hashId(kept.interaction) });
          })
          .delete(),
        enrolmentSessions: await trx('enrolment_sessions').where({ user_id: userId }).delete(),
        // Marked used rather than deleted: they still count towards the user's send limits.
        emailCodes: await trx('email_otp_challenges').where({ user_id: userId }).whereNull('consumed_at').update({ consumed_at: trx.fn.now() }),
      }));
    },
    extendOidcSession: (sessionUid: string, expiresAt: Date) => extendOidcSession(db, sessionUid, expiresAt),

    /**
     * The user's live provider sessions. The address is that of the last successful login of
     * the user recorded in the ten minutes before the session's login time (the session is
     * written when the browser returns from the login's last step), else unknown.
     */
    async sessionsOf(user: { id: string; participant_id: string; user_id: string }): Promise<UserSession[]> {
      const sessions = await oidcSessionsOf(db, user.id);
      const logins = sessions.length
        ? ((await db('audit_events')
            .where({ type: 'login', outcome: 'success', participant_id: user.participant_id, user_id: user.user_id })
            .andWhere('occurred_at', '>', new Date(Math.min(...sessions.map((session) => session.loginAt?.getTime() ?? Date.now())) - 10 * 60_000))
            .orderBy('occurred_at', 'desc')
            .select('ip', 'occurred_at')) as { ip: string | null; occurred_at: Date }[])
        : [];
      return sessions.map((session) => {
        const at = session.loginAt?.getTime();
        const login = at === undefined ? undefined : logins.find((row) => row.occurred_at.getTime() <= at + 2000 && row.occurred_at.getTime() > at - 10 * 60_000);
        return { ...session, ip: login?.ip ?? null };
      });
    },
    /** Ends one of the user's provider sessions and what was issued in it; undefined when the user has no such session. */
    async endOidcSession(userId: string, sessionUid: string): Promise<Record<string, number> | undefined> {
      const ended: EndedArtefact[] = [];
      return db.transaction(async (trx) => {
        const counts = await endOidcSession(trx, userId, sessionUid, ended);
        await announceEnded(trx, backchannel, ended);
        return counts;
      });
    },
    /** Which of the user's provider sessions a browser's session cookie (its value, the session id) names. */
    oidcSessionUidOf: (userId: string, sessionId: string) => oidcSessionUidOf(db, sessionId, userId),
  };
}

export type UserAccessQueries = ReturnType<typeof userAccessQueries>;
