/**
 * Accounts as oidc-provider sees them: `sub` is the user's opaque UUID (stable across
 * renames), and claims are read fresh from the database each time, so a disabled user's
 * tokens stop yielding claims and refresh fails.
 */
import type { Account } from 'oidc-provider';
import type { KeptAccount } from '../store/oidc-adapter.js';
import type { UserQueries } from '../store/users.js';

/**
 * Claims by scope. `acr`, `amr` and `auth_time` sit under `openid` so that every ID token
 * says how and when the user authenticated; oidc-provider otherwise adds them only when
 * the relying party asks for them one by one.
 */
export const CLAIMS_BY_SCOPE = {
  openid: ['sub', 'participant_id', 'user_id', 'acr', 'amr', 'auth_time'],
  profile: ['name'],
  email: ['email'],
};

/**
 * `kept`: the user as the request's token, code or interaction lookup already read it (the
 * adapter brings it along, store/oidc-adapter.ts), else it is read now.
 */
export async function findAccount(users: UserQueries, subject: string, kept?: (id: string) => KeptAccount | undefined): Promise<Account | undefined> {
  const user = kept?.(subject) ?? (await users.findBySubject(subject));
  if (!user || user.status !== 'active') return undefined;
  return {
    accountId: user.id,
    claims: async () => ({
      sub: user.id,
      participant_id: user.participant_id,
      user_id: user.user_id,
      name: user.display_name,
      ...(user.email ? { email: user.email } : {}),
    }),
  };
}
