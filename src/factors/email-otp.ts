/**
 * One-time codes sent to the user's designated email address: 6 digits, short-lived,
 * stored only as a keyed hash, valid for one login, accepted once, with a limited number
 * of attempts per code and of codes per user (so the address cannot be flooded).
 *
 * The code and its mail are committed together (the mail goes through the outbox): when the
 * mail server is down, the code is sent as soon as it is back — if its login still waits.
 */
import { randomInt } from 'node:crypto';
import type { Clock } from '../kernel/clock.js';
import { bilingualMail } from '../mail/bilingual.js';
import type { MailOutbox } from '../mail/outbox.js';
import type { SecretBox } from '../secrets/secret-box.js';
import type { Queries } from '../store/index.js';
import { hashId } from '../kernel/hash-id.js';

export interface EmailOtpSettings {
  ttlSeconds: number;
  maxAttempts: number;
  resendIntervalSeconds: number;
  maxSendsPerWindow: number;
  windowSeconds: number;
}

export interface EmailOtpDependencies {
  queries: Pick<Queries, 'emailOtpChallenges' | 'transaction'>;
  box: SecretBox;
  outbox: MailOutbox;
  settings: EmailOtpSettings;
  clock: Clock;
  /** How long a page waits for the first attempt to send a code it just queued. */
  firstAttemptWaitMs: number;
}

/** A code queued for mailing (its mail job named), or why none was. */
export type SendOutcome = { queued: true; mailJobId: string } | { queued: false; reason: 'too_soon' | 'too_many'; retryAfterSeconds: number };
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
  const recent = await deps.queries.emailOtpChallenges.sentSince(user.id, new Date(now.getTime() - settings.windowSeconds * 1000));
  if (recent.length >= settings.maxSendsPerWindow) {
    const oldest = (recent[recent.length - 1] as { at: Date }).at;
    return { queued: false, reason: 'too_many', retryAfterSeconds: Math.ceil((oldest.getTime() + settings.windowSeconds * 1000 - now.getTime()) / 1000) };
  }
  // The interval holds back a new code while the last one may still be on its way or unread; a
  // code already used (the user had it: a login or an activation just finished with it) holds
  // back nothing, so a next login moments later — the security page's fresh login — gets one.
  const latest = recent.find((sent) => sent.open)?.at;
  if (latest && now.getTime() - latest.getTime() < settings.resendIntervalSeconds * 1000) {
    return { queued: false, reason: 'too_soon', retryAfterSeconds: Math.ceil((latest.getTime() + settings.resendIntervalSeconds * 1000 - now.getTime()) / 1000) };
  }

  const code = randomInt(0, 1_000_000).toString().padStart(6, '0');
  const minutes = Math.max(1, Math.round(settings.ttlSeconds / 60));
  const content = bilingualMail(({ t }) => ({
    // The code stays out of the subject: subjects are logged and shown in notifications.
    subject: t(`mail.code.${purpose}.subject`),
    lines: [t(`mail.code.${purpose}.text`, { code }), '', minutes === 1 ? t('mail.code.expiryOne') : t('mail.code.expiry', { minutes }), t(`mail.code.${purpose}.warning`)],
  }));
  const mailJobId = await deps.queries.transaction(async (queries) => {
    const challenge = await queries.emailOtpChallenges.insert({
      user_id: user.id,
      interaction_hash: hashId(interactionUid),
      code_hash: deps.box.keyedHash(PURPOSE, material(interactionUid, code)),
      created_at: now,
      expires_at: new Date(now.getTime() + settings.ttlSeconds * 1000),
    });
    // Sent only while the code can still be used: a mail server back after the login ended sends nothing.
    return deps.outbox.queue(queries.jobs, { kind: 'one-time-code', to: user.email, ...content }, { emailOtpChallenge: challenge });
  });
  return { queued: true, mailJobId };
}

/**
 * What the user can be told about a code just queued: it went out, it is still on its way
 * (being sent, perhaps by another node), or the mail server did not take it — in which case
 * the queue keeps trying while the code is valid, and the page says so instead of failing.
 */
export type CodeDelivery = 'sent' | 'sending' | 'mail_unavailable';

export async function codeDelivery(deps: Pick<EmailOtpDependencies, 'outbox' | 'firstAttemptWaitMs'>, mailJobId: string): Promise<CodeDelivery> {
  const attempt = await deps.outbox.firstAttempt(mailJobId, deps.firstAttemptWaitMs);
  if (attempt === 'sent') return 'sent';
  if (attempt === 'failed' || attempt === 'rejected') return 'mail_unavailable';
  return 'sending';
}

export async function hasOpenEmailOtp(deps: EmailOtpDependencies, userId: string, interactionUid: string): Promise<boolean> {
  return (await deps.queries.emailOtpChallenges.findOpen(userId, hashId(interactionUid), deps.clock.now())) !== undefined;
}

export async function verifyEmailOtp(deps: EmailOtpDependencies, userId: string, interactionUid: string, code: string): Promise<EmailOtpVerdict> {
  const now = deps.clock.now();
  const challenge = await deps.queries.emailOtpChallenges.findOpen(userId, hashId(interactionUid), now);
  if (!challenge) return 'expired';
  if (challenge.attempts >= deps.settings.maxAttempts) return 'exhausted';
  const candidate = code.replace(/\s/g, '');
  if (!/^\d{6}$/.test(candidate) || !deps.box.matchesKeyedHash(PURPOSE, material(interactionUid, candidate), challenge.code_hash)) {
    const attempts = await deps.queries.emailOtpChallenges.recordWrongAttempt(challenge.id);
    return attempts >= deps.settings.maxAttempts ? 'exhausted' : 'rejected';
  }
  return (await deps.queries.emailOtpChallenges.consume(challenge.id, now, deps.settings.maxAttempts)) ? 'accepted' : 'rejected';
}
