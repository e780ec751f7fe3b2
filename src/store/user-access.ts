/**
 * Everything that lets a user in without logging in again, across the tables that hold it:
 * oidc-provider's sessions, grants, codes and tokens; DMS sessions; logins and activation
 * enrolments in progress; emailed codes not yet used.
 */
import type { Database } from './database.js';
import { hashId } from '../kernel/hash-id.js';
import { extendOidcSession, revokeOidcArtefactsOf } from './oidc-adapter.js';

export interface RevokedAccess {
  /** oidc-provider artefacts by model (Session, Grant, RefreshToken, AccessToken, ...). */
  oidc: Record<string, number>;
  dmsSessions: number;
  loginsInProgress: number;
  enrolmentSessions: number;
  emailCodes: number;
}

export function userAccessQueries(db: Database) {
  return {
    /**
     * Ends all of it for one user, in one transaction: nothing half-revoked if a statement
     * fails. `keepInteraction` spares the login that is making the change (a user changing
     * their own second factor while logging in).
     */
    async revokeAll(userId: string, keepInteraction?: string): Promise<RevokedAccess> {
      return db.transaction(async (trx) => ({
        oidc: await revokeOidcArtefactsOf(trx, userId, keepInteraction),
        dmsSessions: await trx('dms_sessions').where({ user_id: userId }).delete(),
        loginsInProgress: await trx('login_progress')
          .where({ user_id: userId })
          .modify((query) => {
            if (keepInteraction) query.whereNot({ interaction_hash: hashId(keepInteraction) });
          })
          .delete(),
        enrolmentSessions: await trx('enrolment_sessions').where({ user_id: userId }).delete(),
        // Marked used rather than deleted: they still count towards the user's send limits.
        emailCodes: await trx('email_otp_challenges').where({ user_id: userId }).whereNull('consumed_at').update({ consumed_at: trx.fn.now() }),
      }));
    },
    extendOidcSession: (sessionUid: string, expiresAt: Date) => extendOidcSession(db, sessionUid, expiresAt),
  };
}

export type UserAccessQueries = ReturnType<typeof userAccessQueries>;
