/**
 * Designated email addresses and the activation links sent to them.
 *
 * A link carries 256 random bits (NIST SP 800-63B §5.1.1.2 asks for at least 112 bits for
 * such secrets); only its SHA-256 is stored. It works once, until it expires
 * (`activation.ttlHours`), and only while it is the newest link and the address it was sent
 * to is still the user's designated email.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Clock } from '../kernel/clock.js';
import { auditEvent, type Actor } from '../kernel/actor.js';
import { normaliseEmail } from '../kernel/identifiers.js';
import { ForbiddenError, NotFoundError, TooManyRequestsError, ValidationError } from '../kernel/errors.js';
import { msg } from '../i18n/translate.js';
import type { MailOutbox } from '../mail/outbox.js';
import { activationMail, designatedEmailNotices } from '../mail/registration-mails.js';
import type { Logger } from '../observability/logger.js';
import type { PhasePolicy } from '../policy/phase-policy.js';
import type { ActivationTokenRow } from '../store/activation-tokens.js';
import type { Queries } from '../store/index.js';
import type { UserRow } from '../store/users.js';
import type { DeadlineEnforcement } from '../reminders/enforcement.js';
import { activationLinkClosed } from '../reminders/deadline-doors.js';

export interface ActivationSettings {
  ttlHours: number;
  resendIntervalSeconds: number;
  enrolmentMinutes: number;
}

export interface ActivationDependencies {
  queries: Pick<Queries, 'users' | 'activationTokens' | 'audit' | 'jobs' | 'transaction'>;
  /** Where the activation and notice mails are queued, with the change that causes them. */
  outbox: MailOutbox;
  clock: Clock;
  /** Links point at this server's public URL. */
  issuer: string;
  settings: ActivationSettings;
  /** Enrolment is open only in the phases that allow it. */
  policy: PhasePolicy;
  log: Logger;
  /** Past the email registration deadline a link no longer works, and none is issued (src/reminders/deadline-doors.ts). */
  deadlines?: DeadlineEnforcement;
}

/** The queries of one transaction: what the change and its mail are written with. */
type Transaction = Pick<Queries, 'users' | 'activationTokens' | 'audit' | 'jobs'>;

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

/**
 * Past `deadlines.emailRegistration` (and no live `activation_deadline` exception for the
 * user), a link for a user who has not activated is refused: nothing changed, nothing mailed.
 * The words are the operator's (they name the CLI's exception command); DMS words it for a DA.
 */
export class ActivationDeadlinePassedError extends ForbiddenError {
  override name = 'ActivationDeadlinePassedError';
  constructor(
    readonly deadline: Date,
    readonly user: UserRow,
  ) {
    const command = `ccass-auth user exception grant ${user.participant_id} ${user.user_id} --kind activation_deadline --until … --reason …`;
    super(msg('deadlines.link.refused', { user: user.user_id, participant: user.participant_id, deadline, command }));
  }
}

/** Throws ActivationDeadlinePassedError when no link may be issued to `user` now (before anything is changed). */
async function assertLinkAllowed(deps: Pick<ActivationDependencies, 'deadlines'>, user: UserRow): Promise<void> {
  const deadline = await activationLinkClosed(deps.deadlines, user);
  if (deadline) throw new ActivationDeadlinePassedError(deadline.at, user);
}

/** The refusal's audit record: who asked for a link for whom, and which deadline stopped it. */
export function deadlineRefusalEvent(error: ActivationDeadlinePassedError, actor: Actor) {
  return auditEvent(actor, 'activation.send', 'failure', error.user, { reason: 'deadline_passed', deadline: error.deadline.toISOString() });
}

/** Runs `change`; a refusal past the deadline is audited (after its transaction rolled back) and thrown on. */
export async function auditingDeadlineRefusal<T>(deps: Pick<ActivationDependencies, 'queries'>, actor: Actor, change: () => Promise<T>): Promise<T> {
  try {
    return await change();
  } catch (error) {
    if (error instanceof ActivationDeadlinePassedError) await deps.queries.audit.record(deadlineRefusalEvent(error, actor));
    throw error;
  }
}

/** A new link, committed with its mail (queued: the outbox sends it after the commit). */
export interface ActivationMailOutcome {
  queued: true;
  expiresAt: Date;
}

/**
 * Issues a new link for `user` (revoking earlier ones) and queues its mail, in `queries`'
 * transaction: the link, its mail and the audit record exist together or not at all.
 */
async function issueActivationLink(deps: ActivationDependencies, queries: Transaction, user: UserRow & { email: string }, actor: Actor): Promise<ActivationMailOutcome> {
  const token = randomBytes(32).toString('base64url');
  const now = deps.clock.now();
  const expiresAt = new Date(now.getTime() + deps.settings.ttlHours * 3600_000);
  const tokenId = await queries.activationTokens.issue({ user_id: user.id, token_hash: hashActivationToken(token), email: user.email, created_at: now, expires_at: expiresAt });
  // Sent only while the link still works: replaced before its mail went out, it is not sent.
  const mailJobId = await deps.outbox.queue(queries.jobs, { kind: 'activation', to: user.email, ...activationMail(user, { url: activationUrl(deps.issuer, token), expiresAt, dmsUrl: new URL('/dms', deps.issuer).toString() }) }, { activationToken: tokenId });
  await queries.activationTokens.setMailJob(tokenId, mailJobId);
  await queries.audit.record(auditEvent(actor, 'activation.send', 'success', user, { email: user.email, expiresAt: expiresAt.toISOString(), queued: true }));
  return { queued: true, expiresAt };
}

/**
 * What registering an address did: `registered` (a first address), `changed`, `unchanged`
 * (the same address, nothing to do), or `resent` (the same address, but the user had no live
 * link that was mailed — expired, or left by an older version — so a new one was sent).
 */
export type RegistrationOutcome = 'registered' | 'changed' | 'unchanged' | 'resent';

export interface RegistrationResult {
  outcome: RegistrationOutcome;
  /** A link queued for a user who has not activated yet, or none needed. */
  activation: ActivationMailOutcome | 'not_needed';
}

/** The designated email as typed, normalised; a ValidationError naming the field when it is no address. */
export function parseDesignatedEmail(input: string): string {
  const email = normaliseEmail(input);
  if (!email) throw new ValidationError('problem.emailInvalid', { email: 'must be an address like name@example.com' });
  return email;
}

/**
 * Registers or changes `user`'s designated email, in one transaction with everything it
 * causes. A user who has not activated yet gets a new activation link (the old one dies
 * with the old address). A user who already has a password keeps it: both addresses are
 * told of the change, and email codes go to the new one. The same address again changes
 * nothing and sends nothing — unless the user has no live, mailed link, which is then sent:
 * re-running an upload brings every row to the state it asks for, whatever happened before.
 */
export async function registerDesignatedEmail(deps: ActivationDependencies, user: UserRow, input: string, actor: Actor): Promise<RegistrationResult> {
  await deps.policy.assertEnrolmentOpen();
  const email = parseDesignatedEmail(input);
  return auditingDeadlineRefusal(deps, actor, () => deps.queries.transaction((queries) => applyDesignatedEmail(deps, queries, user.id, email, actor)));
}

/**
 * registerDesignatedEmail's change, in the caller's transaction (`email` already normalised).
 * Past the email registration deadline, a change that would issue a link throws
 * ActivationDeadlinePassedError before it writes anything: the caller's transaction can go on
 * (a CSV upload rejects that row) or roll back.
 */
export async function applyDesignatedEmail(deps: ActivationDependencies, queries: Transaction, userId: string, email: string, actor: Actor): Promise<RegistrationResult> {
  // Locked and read again inside the transaction: two DAs (or uploads) at once take turns.
  const user = await queries.users.findForUpdate(userId);
  if (!user) throw new NotFoundError('problem.userGone');
  const registered = { ...user, email };
  if (user.email === email) {
    if (user.password_hash) return { outcome: 'unchanged', activation: 'not_needed' };
    // The same address with a live link whose mail went out (or is still being tried): nothing to do.
    const live = await queries.activationTokens.findLive(user.id, deps.clock.now());
    const mailed = live?.email === email && (live.mailed_at !== null || (live.mail_job_id !== null && (await queries.jobs.pending('mail', live.mail_job_id))));
    if (mailed) return { outcome: 'unchanged', activation: 'not_needed' };
    await assertLinkAllowed(deps, user);
    return { outcome: 'resent', activation: await issueActivationLink(deps, queries, registered, actor) };
  }

  // A user who has not activated gets a new link with the new address: refused past the deadline, before anything changes.
  await assertLinkAllowed(deps, user);
  const previous = user.email;
  await queries.users.setEmail(user.id, email);
  await queries.activationTokens.revokeAll(user.id, deps.clock.now());
  const outcome: RegistrationOutcome = previous ? 'changed' : 'registered';
  await queries.audit.record(auditEvent(actor, outcome === 'changed' ? 'email.change' : 'email.register', 'success', user, { email, ...(previous ? { previous } : {}) }));
  if (!user.password_hash) return { outcome, activation: await issueActivationLink(deps, queries, registered, actor) };

  await queueEmailChangeNotices(deps, queries, registered, previous);
  return { outcome, activation: 'not_needed' };
}

async function queueEmailChangeNotices(deps: ActivationDependencies, queries: Transaction, user: UserRow & { email: string }, previous: string | null): Promise<void> {
  for (const { to, mail } of designatedEmailNotices(user, previous)) await deps.outbox.queue(queries.jobs, { kind: 'email-change', to, ...mail });
}

/**
 * Sends a fresh link to a user who has not activated yet. Refused (429) within
 * `resendIntervalSeconds` of the last one, so the address cannot be flooded.
 */
export async function resendActivationLink(deps: ActivationDependencies, user: UserRow, actor: Actor): Promise<ActivationMailOutcome> {
  await deps.policy.assertEnrolmentOpen();
  return auditingDeadlineRefusal(deps, actor, () => deps.queries.transaction(async (queries) => {
    const current = await queries.users.findForUpdate(user.id);
    if (!current) throw new NotFoundError('problem.userGone');
    const email = current.email;
    if (!email) throw new ValidationError('problem.noEmailYet', { email: 'not registered' });
    if (current.password_hash) {
      throw new ValidationError('problem.alreadyActive', { userId: 'already activated' });
    }
    const last = await queries.activationTokens.latestSentAt(current.id);
    const now = deps.clock.now().getTime();
    const wait = last ? Math.ceil((last.getTime() + deps.settings.resendIntervalSeconds * 1000 - now) / 1000) : 0;
    if (wait > 0) throw new TooManyRequestsError(msg('problem.activationTooSoon', { seconds: wait }), wait);
    await assertLinkAllowed(deps, current);
    return issueActivationLink(deps, queries, { ...current, email }, actor);
  }));
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
