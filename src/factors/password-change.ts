/**
 * The checks of a new password, wherever a user changes it (during a login, login/password-change.ts,
 * or on their security page, account/security-page.ts): the current password typed again
 * (ASVS 5.0 V6.2.3), the new one within the rules (NIST SP 800-63B §5.1.1.2, password.ts), typed twice the
 * same and not the current one; then its hash. Refusals are catalogue messages.
 *
 * What a wrong current password costs and what the change ends stay with each caller: during
 * a login it is that login's failed factor (counted, measured, and a lock ends the login) and
 * the login goes on; on the security page it counts towards the same lock, is audited as the
 * page's, and the page's own session goes on.
 */
import { passwordRefusal, type Translatable } from '../i18n/translate.js';
import { passwordProblemList, type PasswordHasher, type PasswordRules } from './password.js';

export interface PasswordChangeInput {
  current: string;
  password: string;
  confirmation: string;
}

export type PasswordChangeCheck = { kind: 'wrongCurrent' } | { kind: 'refused'; error: Translatable } | { kind: 'accepted'; hash: string };

export async function checkPasswordChange(
  services: { hasher: PasswordHasher; passwordRules: PasswordRules },
  user: { password_hash: string | null; user_id: string; participant_id: string },
  input: PasswordChangeInput,
): Promise<PasswordChangeCheck> {
  const current = user.password_hash ? await services.hasher.verify(user.password_hash, input.current) : false;
  if (!current) return { kind: 'wrongCurrent' };
  const problems = passwordProblemList(input.password, services.passwordRules, { userId: user.user_id, participantId: user.participant_id });
  const error: Translatable | undefined = problems.length
    ? passwordRefusal(problems)
    : input.password !== input.confirmation
      ? 'change.mismatch'
      : input.password === input.current
        ? 'change.same'
        : undefined;
  if (error) return { kind: 'refused', error };
  return { kind: 'accepted', hash: await services.hasher.hash(input.password) };
}
