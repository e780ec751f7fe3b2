/**
 * One-time codes sent to the user's designated email address: 6 digits, short-lived,
 * stored only as a keyed hash, valid for one login, accepted once, with a limited number
 * of attempts per code and of codes per user (so the address cannot be flooded).
 */
import { randomInt } from 'node:crypto';
import type { Clock } from '../clock.js';
import { bilingualMail } from '../mail/bilingual.js';
import type { Mailer } from '../mail/mailer.js';
import type { SecretBox } from '../secrets/secret-box.js';
import type { EmailOtpChallengeQueries } from '../store/email-otp-challenges.js';
import { hashId } from '../store/oidc-adapter.js';

export interface EmailOtpSettings {
  ttlSeconds: number;
  maxAttempts: number;
  resendIntervalSeconds: number;
  maxSendsPerWindow: number;
  windowSeconds: number;
}

export interface EmailOtpDependencies {
  challenges: EmailOtpChallengeQueries;
  box: SecretBox;
  mailer: Mailer;
  settings: EmailOtpSettings;
  clock: Clock;
}

export type SendOutcome = { sent: true } | { sent: false; reason: 'too_soon' | 'too_many'; retryAfterSeconds: number };
export type EmailOtpVerdict = 'accepted' | 'rejected' | 'expired' | 'exhausted';

const PURPOSE = 'email-otp';
// The code is hashed together with its login, so a code is worth nothing in another one.
const material = (interactionUid: string, code: string) => `${hashId(interactionUid)}:${code}`;

/** What the code is for, so the email says so: logging in, or finishing the set-up of a login. */
export type CodePurpose = 'login' | 'enrolment';

export async function sendEmailOtp(
  deps: EmailOtpDependencies,
  user: { id: string; email: string },
  interactionUid: string,
  purpose: CodePurpose = 'login',
): Promise<SendOutcome> {
  const now = deps.clock.now();
  const { settings } = deps;
  const recent = await deps.challenges.sentSince(user.id, new Date(now.getTime() - settings.windowSeconds * 1000));
  if (recent.length >= settings.maxSendsPerWindow) {
    const oldest = recent[recent.length - 1] as Date;
    return { sent: false, reason: 'too_many', retryAfterSeconds: Math.ceil((oldest.getTime() + settings.windowSeconds * 1000 - now.getTime()) / 1000) };
  }
  const latest = recent[0];
  if (latest && now.getTime() - latest.getTime() < settings.resendIntervalSeconds * 1000) {
    return { sent: false, reason: 'too_soon', retryAfterSeconds: Math.ceil((latest.getTime() + settings.resendIntervalSeconds * 1000 - now.getTime()) / 1000) };
  }

  const code = randomInt(0, 1_000_000).toString().padStart(6, '0');
  await deps.challenges.insert({
    user_id: user.id,
    interaction_hash: hashId(interactionUid),
    code_hash: deps.box.keyedHash(PURPOSE, material(interactionUid, code)),
    created_at: now,
    expires_at: new Date(now.getTime() + settings.ttlSeconds * 1000),
  });
  const minutes = Math.max(1, Math.round(settings.ttlSeconds / 60));
  await deps.mailer.send({
    kind: 'one-time-code',
    to: user.email,
    // The code stays out of the subject: subjects are logged and shown in notifications.
    ...bilingualMail(({ t }) => ({
      subject: t(`mail.code.${purpose}.subject`),
      lines: [t(`mail.code.${purpose}.text`, { code }), '', minutes === 1 ? t('mail.code.expiryOne') : t('mail.code.expiry', { minutes }), t(`mail.code.${purpose}.warning`)],
    })),
  });
  return { sent: true };
}

export async function hasOpenEmailOtp(deps: EmailOtpDependencies, userId: string, interactionUid: string): Promise<boolean> {
  return (await deps.challenges.findOpen(userId, hashId(interactionUid), deps.clock.now())) !== undefined;
}

export async function verifyEmailOtp(deps: EmailOtpDependencies, userId: string, interactionUid: string, code: string): Promise<EmailOtpVerdict> {
  const now = deps.clock.now();
  const challenge = await deps.challenges.findOpen(userId, hashId(interactionUid), now);
  if (!challenge) return 'expired';
  if (challenge.attempts >= deps.settings.maxAttempts) return 'exhausted';
  const candidate = code.replace(/\s/g, '');
  if (!/^\d{6}$/.test(candidate) || !deps.box.matchesKeyedHash(PURPOSE, material(interactionUid, candidate), challenge.code_hash)) {
    const attempts = await deps.challenges.recordWrongAttempt(challenge.id);
    return attempts >= deps.settings.maxAttempts ? 'exhausted' : 'rejected';
  }
  return (await deps.challenges.consume(challenge.id, now, deps.settings.maxAttempts)) ? 'accepted' : 'rejected';
}
