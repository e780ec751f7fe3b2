import { hashId } from '../kernel/hash-id.js';
import type { Database } from './database.js';

export type CeremonyPurpose = 'registration' | 'authentication';

/**
 * WebAuthn challenges, stored as hashes: a challenge is issued for one user, one purpose and
 * one binding (the interaction or security-page session that asked for it), and consumed by
 * deleting it, so it is used once whichever node finishes the ceremony.
 */
export function webauthnChallengeQueries(db: Database) {
  return {
    async issue(challenge: { challenge: string; userId: string; purpose: CeremonyPurpose; binding: string; expiresAt: Date }): Promise<void> {
      await db('webauthn_challenges').insert({
        challenge_hash: hashId(challenge.challenge),
        user_id: challenge.userId,
        purpose: challenge.purpose,
        binding_hash: hashId(challenge.binding),
        expires_at: challenge.expiresAt,
      });
    },
    /** True once for a live challenge issued for exactly this user, purpose and binding; it is gone afterwards either way. */
    async consume(challenge: { challenge: string; userId: string; purpose: CeremonyPurpose; binding: string; now: Date }): Promise<boolean> {
      const [deleted] = await db('webauthn_challenges')
        .where({ challenge_hash: hashId(challenge.challenge) })
        .delete()
        .returning(['user_id', 'purpose', 'binding_hash', 'expires_at']);
      if (!deleted) return false;
      return deleted.user_id === challenge.userId && deleted.purpose === challenge.purpose && deleted.binding_hash === hashId(challenge.binding) && new Date(deleted.expires_at) > challenge.now;
    },
    async purgeExpired(now: Date): Promise<number> {
      return db('webauthn_challenges').where('expires_at', '<=', now).delete();
    },
  };
}

export type WebauthnChallengeQueries = ReturnType<typeof webauthnChallengeQueries>;
