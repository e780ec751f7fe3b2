/**
 * Designated email addresses and the activation links sent to them.
 *
 * A link carries 256 random bits (NIST SP 800-63B §5.1.1.2 asks for at least 112 bits for
 * such secrets); only its SHA-256 is stored. It works once, until it expires
 * (`activation.ttlHours`), and only while it is the newest link and the address it was sent
 * to is still the user's designated email.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Clock } from '../clock.js';
import { auditEvent, type Actor } from '../directory/actor.js';
import { normaliseEmail } from '../directory/identifiers.js';
import { TooManyRequestsError, ValidationError } from '../errors.js';
import type { Mailer } from '../mail/mailer.js';
import { bilingualMail, type MailContent } from '../mail/bilingual.js';
import type { Logger } from '../observability/logger.js';
import type { PhasePolicy } from '../policy/phase-policy.js';
import type { ActivationTokenRow } from '../store/activation-tokens.js';
import type { Queries } from '../store/index.js';
import type { UserRow } from '../store/users.js';

export interface ActivationSettings {
  ttlHours: number;
  resendIntervalSeconds: number;
  enrolmentMinutes: number;
}

export interface ActivationDependencies {
  queries: Pick<Queries, 'users' | 'activationTokens' | 'audit'>;
  mailer: Mailer;
  clock: Clock;
  /** Links point at this server's public URL. */
  issuer: string;
  settings: ActivationSettings;
  /** Enrolment is open only in the phases that allow it. */
  policy: PhasePolicy;
  log: Logger;
}

const TOKEN = /^[A-Za-z0-9_-]{43}$/;

/** Whether `token` has the shape of an activation token at all (anything else is bad input, not a guess). */
export const isActivationTokenShaped = (token: string): boolean => TOKEN.test(token);

export function hashActivationToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export function activationUrl(issuer: string, token: string): string {
  // The token travels in the query string, which our request log never records (path only).
  return new URL(`/activate?token=${token}`, issuer).toString();
}

export type ActivationMailOutcome = { sent: true; expiresAt: Date } | { sent: false; reason: 'mail_failed' };

/**
 * Issues a new link for `user` (revoking earlier ones) and emails it. A mail failure is
 * reported, not thrown: the address is registered either way and the DA can resend.
 */
export async function sendActivationLink(deps: ActivationDependencies, user: UserRow, actor: Actor): Promise<ActivationMailOutcome> {
  const email = user.email as string;
  const token = randomBytes(32).toString('base64url');
  const now = deps.clock.now();
  const expiresAt = new Date(now.getTime() + deps.settings.ttlHours * 3600_000);
  await deps.queries.activationTokens.issue({ user_id: user.id, token_hash: hashActivationToken(token), email, created_at: now, expires_at: expiresAt });
  try {
    await deps.mailer.send({ kind: 'activation', to: email, ...activationMail(deps, user, token, expiresAt) });
  } catch (error) {
    deps.log.warn({ err: error, participantId: user.participant_id, userId: user.user_id }, 'activation email could not be sent');
    await deps.queries.audit.record(auditEvent(actor, 'activation.send', 'failure', user, { reason: 'mail_failed' }));
    return { sent: false, reason: 'mail_failed' };
  }
  await deps.queries.audit.record(auditEvent(actor, 'activation.send', 'success', user, { email, expiresAt: expiresAt.toISOString() }));
  return { sent: true, expiresAt };
}

function activationMail(deps: ActivationDependencies, user: UserRow, token: string, expiresAt: Date): MailContent {
  return bilingualMail(({ t, hkTime }) => ({
    subject: t('mail.activation.subject'),
    lines: [
      t('mail.greeting', { name: user.display_name }),
      '',
      t('mail.activation.intro', { user: user.user_id, participant: user.participant_id }),
      t('mail.activation.action'),
      '',
      activationUrl(deps.issuer, token),
      '',
      t('mail.activation.expiry', { expiry: hkTime(expiresAt) }),
      t('mail.activation.warning'),
    ],
  }));
}

export type RegistrationOutcome = 'registered' | 'changed' | 'unchanged';

export interface RegistrationResult {
  outcome: RegistrationOutcome;
  /** Whether an activation link went out: for users who have not activated yet. */
  activation: ActivationMailOutcome | 'not_needed';
}

/**
 * Registers or changes `user`'s designated email. A user who has not activated yet gets a
 * new activation link (the old one dies with the old address). A user who already has a
 * password keeps it: both addresses are told of the change, and email codes go to the new one.
 * The same address again changes nothing and sends nothing, so re-running an upload is harmless.
 */
export async function registerDesignatedEmail(deps: ActivationDependencies, user: UserRow, input: string, actor: Actor): Promise<RegistrationResult> {
  await deps.policy.assertEnrolmentOpen();
  const email = normaliseEmail(input);
  if (!email) throw new ValidationError('Invalid email address', { email: 'must be an address like name@example.com' });
  if (user.email === email) return { outcome: 'unchanged', activation: 'not_needed' };

  const previous = user.email;
  await deps.queries.users.setEmail(user.id, email);
  await deps.queries.activationTokens.revokeAll(user.id, deps.clock.now());
  const outcome: RegistrationOutcome = previous ? 'changed' : 'registered';
  await deps.queries.audit.record(auditEvent(actor, outcome === 'changed' ? 'email.change' : 'email.register', 'success', user, { email, ...(previous ? { previous } : {}) }));
  const updated: UserRow = { ...user, email };
  if (!user.password_hash) return { outcome, activation: await sendActivationLink(deps, updated, actor) };

  await notifyEmailChanged(deps, updated, previous);
  return { outcome, activation: 'not_needed' };
}

async function notifyEmailChanged(deps: ActivationDependencies, user: UserRow, previous: string | null): Promise<void> {
  const mail = (recipient: 'old' | 'new') =>
    bilingualMail(({ t }) => ({
      subject: t('mail.emailChange.subject'),
      lines: [
        t('mail.greeting', { name: user.display_name }),
        '',
        recipient === 'new'
          ? t('mail.emailChange.toNew', { user: user.user_id, participant: user.participant_id })
          : t('mail.emailChange.toOld', { user: user.user_id, participant: user.participant_id, email: user.email as string }),
        '',
        t('mail.emailChange.warning'),
      ],
    }));
  const recipients: Array<['old' | 'new', string]> = [['new', user.email as string]];
  if (previous) recipients.push(['old', previous]);
  for (const [recipient, to] of recipients) {
    try {
      await deps.mailer.send({ kind: 'email-change', to, ...mail(recipient) });
    } catch (error) {
      deps.log.warn({ err: error, participantId: user.participant_id, userId: user.user_id }, 'email change notice could not be sent');
    }
  }
}

/**
 * Sends a fresh link to a user who has not activated yet. Refused (429) within
 * `resendIntervalSeconds` of the last one, so the address cannot be flooded.
 */
export async function resendActivationLink(deps: ActivationDependencies, user: UserRow, actor: Actor): Promise<ActivationMailOutcome> {
  await deps.policy.assertEnrolmentOpen();
  if (!user.email) throw new ValidationError('This user has no designated email address yet: register one first.', { email: 'not registered' });
  if (user.password_hash) {
    throw new ValidationError('This user has already activated their login; an activation link is not needed.', { userId: 'already activated' });
  }
  const last = await deps.queries.activationTokens.latestSentAt(user.id);
  const now = deps.clock.now().getTime();
  const wait = last ? Math.ceil((last.getTime() + deps.settings.resendIntervalSeconds * 1000 - now) / 1000) : 0;
  if (wait > 0) throw new TooManyRequestsError(`An activation email was sent moments ago. Wait ${wait} seconds before sending another.`, wait);
  return sendActivationLink(deps, user, actor);
}

export type LinkState =
  | { state: 'valid'; token: ActivationTokenRow; user: UserRow }
  | { state: 'invalid' | 'used' | 'expired' | 'superseded' | 'unavailable' };

/** What a link (the raw token from the URL) is worth now. Looking does not use it up. */
export async function inspectActivationLink(deps: Pick<ActivationDependencies, 'queries' | 'clock'>, token: string): Promise<LinkState> {
  if (!TOKEN.test(token)) return { state: 'invalid' };
  const row = await deps.queries.activationTokens.findByHash(hashActivationToken(token));
  if (!row) return { state: 'invalid' };
  if (row.used_at) return { state: 'used' };
  if (row.revoked_at) return { state: 'superseded' };
  if (row.expires_at.getTime() <= deps.clock.now().getTime()) return { state: 'expired' };
  const user = await deps.queries.users.findBySubject(row.user_id);
  if (!user || user.email !== row.email) return { state: 'superseded' };
  if (user.status === 'disabled' || user.password_hash) return { state: 'unavailable' };
  return { state: 'valid', token: row, user };
}
