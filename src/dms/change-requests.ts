/**
 * Maker-checker for a DA's actions (policy/maker-checker.ts). A governed action in a firm with
 * two or more active DAs is not done: it is recorded as a pending request holding exactly what
 * it will do (for a CSV upload, the row-by-row preview the maker saw) and a fingerprint of the
 * users it was computed from. Another DA of the same firm approves it — applying that effect
 * through the same use cases as a direct action, in one transaction with the decision and the
 * audit records — or rejects it. Refused: the maker's own approval (`own_request`), a request
 * decided already, an expired one (`request_expired`, recorded), and one whose users changed
 * since (`request_stale`, recorded, nothing applied); an approval that a deadline now stops (an
 * address or upload proposed before the email registration deadline: no link) is recorded
 * `deadline_passed` with that deadline, nothing applied. A request of another firm is not found.
 * Its mails (src/mail/change-request-mails.ts) are queued in the same transactions: to each
 * other active DA of the firm when it is made, to the maker when an outcome is recorded. The
 * request's expiry is a job created with it, due when it expires (recordExpiry): it records the
 * expiry and tells the maker, unless a DA decided the request first (or found it expired).
 */
import { createHash, randomUUID } from 'node:crypto';
import { cleanExceptionReason, grantProblems, type ExceptionGrant } from '../directory/user-exceptions.js';
import { msg, type MessageKey } from '../i18n/translate.js';
import { ValidationError } from '../kernel/errors.js';
import { EXCEPTION_MAX_DAYS } from '../policy/user-exception-kinds.js';
import type { RowProblem } from '../directory/csv-problems.js';
import { auditEvent } from '../kernel/actor.js';
import { isPlainText, normaliseEmail } from '../kernel/identifiers.js';
import { makerCheckerVerdict, type ChangeRequestAction, type MakerCheckerSettings } from '../policy/maker-checker.js';
import type { ChangeRequestListing, ChangeRequestOutcome, ChangeRequestRow, FirmUserState } from '../store/change-requests.js';
import type { Queries } from '../store/index.js';
import type { MailOutbox } from '../mail/outbox.js';
import type { Clock } from '../kernel/clock.js';
import {
  assertEnrolmentOpen,
  firmUserForAction,
  findFirmUser,
  grantFirmUserException,
  lockFirmUser,
  registerFirmUserEmail,
  resetFirmUserSecondFactor,
  unlockFirmUser,
  type DelegatedAdministrator,
  type DmsDependencies,
} from './administration.js';
import { applyEmailRegistrations, checkEmailCsv, type UploadReport } from './bulk-registration.js';
import { activationLinkClosed } from '../reminders/deadline-doors.js';
import { changeDecisionMail, changeRequestMail, type DecisionInMail } from '../mail/change-request-mails.js';
import type { CsvLimits } from './csv-registrations.js';
import { activationDeadlineRefusal, dmsRefusal, refusalOf } from './refusals.js';

export type { ChangeRequestAction } from '../policy/maker-checker.js';

export interface MakerCheckerDependencies extends DmsDependencies {
  makerChecker: MakerCheckerSettings;
}

/** What an upload's row will do when approved: as the preview showed it. */
export type PreviewOutcome = 'registered' | 'changed' | 'unchanged' | 'rejected';

export interface PreviewRow {
  line: number;
  userId: string | null;
  /** The address the row registers (absent on a rejected row). */
  email?: string;
  /** The address it replaces, on a changed row. */
  previous?: string;
  outcome: PreviewOutcome;
  problems: RowProblem[];
}

/** Exactly what a request does once approved, as plain data. */
export type ChangeEffect =
  | { action: 'email'; userId: string; email: string; previous: string | null }
  | { action: 'second_factor_reset'; userId: string }
  | { action: 'lock'; userId: string }
  | { action: 'unlock'; userId: string }
  | { action: 'exception_grant'; userId: string; kind: string; until: string; why: string }
  | { action: 'csv_upload'; bytes: number; rows: PreviewRow[]; summary: Record<PreviewOutcome, number> };

export type ChangeRequestStatus = 'pending' | ChangeRequestOutcome;

/** A request as DMS shows it (never the internal subjects): the API's JSON, the page's data. */
export interface ChangeRequestView {
  id: string;
  action: ChangeRequestAction;
  status: ChangeRequestStatus;
  userId: string | null;
  effect: ChangeEffect;
  maker: string;
  reason: string | null;
  createdAt: string;
  expiresAt: string;
  decidedBy: string | null;
  decidedAt: string | null;
  /** With `deadline_passed`: the deadline that stopped it (ISO). */
  deadline?: string;
  /**
   * A pending second-factor reset of a user past the second-factor deadline (no live exception):
   * that deadline (ISO) — once reset, the user cannot set up a new second factor.
   */
  secondFactorDeadline?: string;
}

export const REASON_MAX_LENGTH = 500;

/** The maker's optional reason: plain text on one line (spaces collapsed), at most 500 characters. */
export function cleanReason(input: unknown): string | null {
  if (input === undefined || input === null) return null;
  if (typeof input !== 'string') throw dmsRefusal('invalid_reason', {}, { reason: 'invalid_reason' });
  const text = input.replace(/[\r\n\t]+/g, ' ').replace(/\s+/g, ' ').trim();
  if (!text) return null;
  if (!isPlainText(text) || text.length > REASON_MAX_LENGTH) throw dmsRefusal('invalid_reason', {}, { reason: 'invalid_reason' });
  return text;
}

function statusOf(row: ChangeRequestRow, now: Date): ChangeRequestStatus {
  return row.outcome ?? (now.getTime() >= row.expires_at.getTime() ? 'expired' : 'pending');
}

function present(row: ChangeRequestListing, now: Date): ChangeRequestView {
  const effect = row.effect as ChangeEffect;
  return {
    id: String(row.id),
    action: row.action as ChangeRequestAction,
    status: statusOf(row, now),
    userId: row.target_login,
    effect,
    maker: row.maker_login,
    reason: row.reason,
    createdAt: row.created_at.toISOString(),
    expiresAt: row.expires_at.toISOString(),
    decidedBy: row.checker_login,
    decidedAt: row.decided_at ? row.decided_at.toISOString() : null,
    ...(row.outcome === 'deadline_passed' && row.outcome_deadline ? { deadline: row.outcome_deadline.toISOString() } : {}),
  };
}

/** The second-factor deadline, when it has passed for the user a reset would leave without a factor (no live exception). */
async function resetDeadline(deps: Pick<MakerCheckerDependencies, 'deadlines'>, action: string, targetUserId: string | null): Promise<Date | undefined> {
  if (action !== 'second_factor_reset' || !targetUserId) return undefined;
  return (await deps.deadlines?.passedFor('secondFactor', targetUserId))?.at;
}

/** A request as DMS shows it, with what a pending reset would now leave its user without (the second-factor deadline). */
async function view(deps: MakerCheckerDependencies, row: ChangeRequestListing, now: Date): Promise<ChangeRequestView> {
  const request = present(row, now);
  const deadline = request.status === 'pending' ? await resetDeadline(deps, row.action, row.target_user_id) : undefined;
  return deadline ? { ...request, secondFactorDeadline: deadline.toISOString() } : request;
}

/**
 * What decides whether a pending request still means what it meant: per user named, what
 * governs who can log in (address, status, role, password, second factor, lock). A missing
 * user counts too: one created meanwhile makes a rejected CSV row stale. Failed attempts alone
 * do not (a mistyped password must not void a pending change); for a reset, what it removes does.
 */
async function fingerprint(queries: Queries, participantId: string, userIds: readonly string[], action: ChangeRequestAction, options: { lock: boolean; now: Date }): Promise<string> {
  const ids = [...new Set(userIds)].sort();
  const users = new Map((await queries.changeRequests.firmUsers(participantId, ids, { lock: options.lock })).map((user) => [user.user_id, user]));
  const state: unknown[] = [action];
  for (const userId of ids) {
    const user: FirmUserState | undefined = users.get(userId);
    if (!user) {
      state.push([userId, null]);
      continue;
    }
    const facts: unknown[] = [userId, user.id, user.email, user.status, user.role, user.password_hash !== null, user.password_changed_at?.toISOString() ?? null, user.second_factor, user.locked_until?.toISOString() ?? null];
    if (action === 'second_factor_reset') {
      facts.push(
        (await queries.totpCredentials.findEnrolment(user.id)) !== undefined,
        await queries.webauthnCredentials.countForUser(user.id),
        await queries.recoveryCodes.countUnused(user.id),
      );
    }
    if (action === 'unlock') facts.push(user.failed_attempts > 0);
    // A grant replaces the user's exception of its kind: the one in force when it was proposed is part of what the checker approves.
    if (action === 'exception_grant') facts.push((await queries.userExceptions.liveForUser(user.id, options.now)).map((row) => [row.kind, row.until.toISOString(), row.reason]));
    state.push(facts);
  }
  return createHash('sha256').update(JSON.stringify(state)).digest('hex');
}

function usersOf(effect: ChangeEffect): string[] {
  if (effect.action !== 'csv_upload') return [effect.userId];
  return effect.rows.flatMap((row) => (row.userId && (row.outcome !== 'rejected' || row.problems.every((problem) => problem.code === 'no_such_user')) ? [row.userId] : []));
}

/**
 * Whether `action` by `da` must wait for a checker: true, false (do it now), or refused with
 * `second_da_needed` when the firm has one active DA and no exemption.
 */
export async function needsChecker(deps: MakerCheckerDependencies, da: DelegatedAdministrator, action: ChangeRequestAction): Promise<boolean> {
  if (!deps.makerChecker.actions.includes(action)) return false;
  const [activeDas, participant] = await Promise.all([deps.queries.changeRequests.activeDaCount(da.participantId), deps.queries.participants.findById(da.participantId)]);
  const verdict = makerCheckerVerdict(deps.makerChecker, action, { activeDas, soleDaExempt: participant?.sole_da_exempt ?? false });
  if (verdict === 'refused') throw dmsRefusal('second_da_needed');
  return verdict === 'checker';
}

async function record(deps: MakerCheckerDependencies, da: DelegatedAdministrator, effect: ChangeEffect, targetUserId: string | null, reason: string | null): Promise<ChangeRequestView> {
  const now = deps.clock.now();
  const id = await deps.queries.transaction(async (queries) => {
    const row = await queries.changeRequests.insert({
      participantId: da.participantId,
      action: effect.action,
      targetUserId,
      effect,
      fingerprint: await fingerprint(queries, da.participantId, usersOf(effect), effect.action, { lock: true, now }),
      makerId: da.subject,
      reason,
      createdAt: now,
      expiresAt: new Date(now.getTime() + deps.makerChecker.requestTtlHours * 3600_000),
    });
    const target = effect.action === 'csv_upload' ? { participantId: da.participantId } : { participantId: da.participantId, userId: effect.userId };
    await queries.audit.record(auditEvent(da, 'change_request.create', 'success', target, { request: String(row.id), action: effect.action, ...(reason ? { reason } : {}) }));
    // The checkers hear of it with the request itself: no request without its mails, no mail for a request that rolled back.
    const secondFactorDeadline = await resetDeadline(deps, effect.action, targetUserId);
    const request = { id: String(row.id), participantId: da.participantId, maker: da.userId, effect, createdAt: row.created_at, expiresAt: row.expires_at, secondFactorDeadline };
    for (const checker of await queries.changeRequests.checkersToTell(da.participantId, da.subject)) {
      await deps.outbox.queue(queries.jobs, { kind: 'change-request', to: checker.email, ...changeRequestMail(checker, request, approvalsUrl(deps.issuer)) });
    }
    // Its expiry, due when it expires: recorded then (and the maker told) whether or not anybody opens DMS.
    await queries.jobs.send('change_request_expiry', { participantId: da.participantId, request: String(row.id) } satisfies ExpiryJob, { id: randomUUID(), startAfter: row.expires_at });
    return String(row.id);
  });
  return getChangeRequest(deps, da, id);
}

/** A single user's action as a pending request: refused now exactly as the action itself would be. */
export async function proposeUserChange(
  deps: MakerCheckerDependencies,
  da: DelegatedAdministrator,
  request: { action: Exclude<ChangeRequestAction, 'csv_upload' | 'exception_grant'>; userId: string; email?: string; reason?: unknown },
): Promise<ChangeRequestView> {
  const reason = cleanReason(request.reason);
  let effect: ChangeEffect;
  let user;
  if (request.action === 'email') {
    user = await findFirmUser(deps, da, request.userId);
    await assertEnrolmentOpen(deps);
    const email = normaliseEmail(request.email ?? '');
    if (!email) throw dmsRefusal('invalid_email', {}, { email: 'invalid_email' });
    // Past the email registration deadline, an address for a user who has not activated would mail a link: refused now, as on approval.
    const deadline = await activationLinkClosed(deps.deadlines, user);
    if (deadline) {
      await deps.queries.audit.record(auditEvent(da, 'activation.send', 'failure', user, { reason: 'deadline_passed', deadline: deadline.at.toISOString() }));
      throw activationDeadlineRefusal(user.user_id, deadline.at);
    }
    effect = { action: 'email', userId: user.user_id, email, previous: user.email };
  } else {
    if (request.action === 'unlock') user = await findFirmUser(deps, da, request.userId);
    else await firmUserForAction(deps, da, request.userId, request.action === 'lock' ? 'lock' : 'reset');
    user ??= await findFirmUser(deps, da, request.userId);
    effect = { action: request.action, userId: user.user_id };
  }
  return record(deps, da, effect, user.id, reason);
}

/**
 * A DA's grant of a dated exception as a pending request: the grant is checked now (kind, end,
 * reason) exactly as it will be on approval, when the clock is read again.
 */
export async function proposeExceptionGrant(deps: MakerCheckerDependencies, da: DelegatedAdministrator, userIdInput: string, grant: ExceptionGrant): Promise<ChangeRequestView> {
  const user = await findFirmUser(deps, da, userIdInput);
  const problems = grantProblems(grant, deps.clock.now());
  const first = Object.values(problems)[0];
  if (first) throw new ValidationError(first === 'exception_until_too_far' ? msg('exceptions.untilTooFar', { days: EXCEPTION_MAX_DAYS }) : (`exceptions.rule.${first}` as MessageKey), problems);
  const why = cleanExceptionReason(grant.reason) as string;
  return record(deps, da, { action: 'exception_grant', userId: user.user_id, kind: grant.kind, until: grant.until.toISOString(), why }, user.id, why);
}

/** A CSV upload as a pending request holding its row-by-row preview; a file refused whole is refused now, and records nothing. */
export async function proposeCsvUpload(
  deps: MakerCheckerDependencies,
  da: DelegatedAdministrator,
  bytes: Uint8Array,
  limits: CsvLimits,
  reasonInput?: unknown,
): Promise<{ accepted: true; request: ChangeRequestView } | Extract<UploadReport, { accepted: false }>> {
  const reason = cleanReason(reasonInput);
  const parsed = await checkEmailCsv(deps, da, bytes, limits);
  if (!parsed.ok) return { accepted: false, status: parsed.status, problem: parsed.problem };
  const users = new Map((await deps.queries.changeRequests.firmUsers(da.participantId, parsed.rows.map((row) => row.userId), { lock: false })).map((user) => [user.user_id, user]));
  const rows: PreviewRow[] = parsed.rejected.map((row) => ({ line: row.line, userId: row.userId, outcome: 'rejected', problems: row.problems }));
  let deadline;
  for (const row of parsed.rows) {
    const user = users.get(row.userId);
    if (!user) rows.push({ line: row.line, userId: row.userId, outcome: 'rejected', problems: [{ code: 'no_such_user', user: row.userId, participant: da.participantId }] });
    else if (user.email === row.email) rows.push({ line: row.line, userId: row.userId, email: row.email, outcome: 'unchanged', problems: [] });
    else if ((deadline = await activationLinkClosed(deps.deadlines, user))) {
      // A new address for a user who has not activated mails a link: past the deadline, the preview rejects the row as applying it would.
      rows.push({ line: row.line, userId: row.userId, outcome: 'rejected', problems: [{ code: 'activation_deadline_passed', deadline: deadline.at.toISOString() }] });
    } else rows.push({ line: row.line, userId: row.userId, email: row.email, ...(user.email ? { previous: user.email } : {}), outcome: user.email ? 'changed' : 'registered', problems: [] });
  }
  rows.sort((a, b) => a.line - b.line);
  const summary: Record<PreviewOutcome, number> = { registered: 0, changed: 0, unchanged: 0, rejected: 0 };
  for (const row of rows) summary[row.outcome] += 1;
  return { accepted: true, request: await record(deps, da, { action: 'csv_upload', bytes: bytes.length, rows, summary }, null, reason) };
}

const REQUEST_ID = /^[1-9]\d{0,17}$/;

/** Where a request's mails send its DAs: the approvals page, on this server's public URL. */
const approvalsUrl = (issuer: string): string => new URL('/dms/approvals', issuer).toString();

/** Queues the maker's mail of `outcome` on `queries` (the transaction recording it); nobody is mailed when the maker is no longer an active DA with an address. */
async function tellMaker(deps: Pick<MakerCheckerDependencies, 'outbox' | 'issuer'>, queries: Pick<Queries, 'changeRequests' | 'jobs'>, row: ChangeRequestRow, decision: DecisionInMail): Promise<void> {
  const maker = await queries.changeRequests.makerToTell(row.participant_id, row.maker_id);
  if (!maker) return;
  const request = { id: String(row.id), participantId: row.participant_id, maker: maker.user_id, effect: row.effect as ChangeEffect, createdAt: row.created_at, expiresAt: row.expires_at };
  await deps.outbox.queue(queries.jobs, { kind: 'change-decision', to: maker.email, ...changeDecisionMail(maker, request, decision, approvalsUrl(deps.issuer)) });
}

export async function getChangeRequest(deps: MakerCheckerDependencies, da: DelegatedAdministrator, id: string): Promise<ChangeRequestView> {
  const row = REQUEST_ID.test(id) ? await deps.queries.changeRequests.find(da.participantId, id) : undefined;
  if (!row) throw dmsRefusal('no_such_request');
  return view(deps, row, deps.clock.now());
}

/** The firm's requests: pending first (oldest first), then the latest decided or expired. */
export async function listChangeRequests(deps: MakerCheckerDependencies, da: DelegatedAdministrator): Promise<ChangeRequestView[]> {
  const now = deps.clock.now();
  return Promise.all((await deps.queries.changeRequests.list(da.participantId)).map((row) => view(deps, row, now)));
}

/** Thrown inside an approved upload's savepoint to roll its rows back (apply, csv_upload). */
class UploadBlocked extends Error {}

/** The previewed effect, applied through the same use cases as the direct action, by the checker. */
async function apply(deps: MakerCheckerDependencies, checker: DelegatedAdministrator, effect: ChangeEffect): Promise<void> {
  switch (effect.action) {
    case 'email':
      await registerFirmUserEmail(deps, checker, effect.userId, effect.email);
      return;
    case 'second_factor_reset':
      await resetFirmUserSecondFactor(deps, checker, effect.userId);
      return;
    case 'lock':
      await lockFirmUser(deps, checker, effect.userId);
      return;
    case 'unlock':
      await unlockFirmUser(deps, checker, effect.userId);
      return;
    case 'exception_grant':
      await grantFirmUserException(deps, checker, effect.userId, { kind: effect.kind, until: new Date(effect.until), reason: effect.why });
      return;
    case 'csv_upload': {
      // As a direct upload: no addresses registered while enrolment is closed (an operator's pin meanwhile).
      await assertEnrolmentOpen(deps);
      const registration = (row: PreviewRow) => ({ line: row.line, userId: row.userId as string, email: row.email as string });
      const applicable = effect.rows.filter((row) => row.outcome !== 'rejected' && row.userId && row.email);
      // Exactly the preview: a row previewed as already so is not applied (which could mail a new link).
      const rows = applicable.filter((row) => row.outcome !== 'unchanged').map(registration);
      const unchanged = applicable.filter((row) => row.outcome === 'unchanged').map(registration);
      const rejected = effect.rows.filter((row) => row.outcome === 'rejected').map((row) => ({ line: row.line, userId: row.userId, problems: row.problems }));
      // Exactly the preview or nothing: a row previewed as applied that the email registration deadline now refuses (it passed, or
      // an exception ended, since) leaves the whole upload unapplied (its savepoint rolled back), the refusals audited, and the
      // approval refused with the deadline — not "approved and applied" with that row's link never sent.
      const previewed = new Set(rows.map((row) => row.line));
      let blocked: Array<{ userId: string; deadline: string }> = [];
      await deps.queries
        .transaction(async (queries) => {
          const report = await applyEmailRegistrations({ ...deps, queries }, checker, { rows, rejected, unchanged }, effect.bytes);
          if (!report.accepted) return;
          blocked = report.rows.flatMap((row) => {
            const problem = row.problems.find((candidate) => candidate.code === 'activation_deadline_passed');
            return previewed.has(row.line) && row.userId && problem ? [{ userId: row.userId, deadline: problem.deadline }] : [];
          });
          if (blocked.length) throw new UploadBlocked();
        })
        .catch((error: unknown) => {
          if (!(error instanceof UploadBlocked)) throw error;
        });
      const [first] = blocked;
      if (!first) return;
      for (const row of blocked) {
        await deps.queries.audit.record(auditEvent(checker, 'activation.send', 'failure', { participantId: checker.participantId, userId: row.userId }, { reason: 'deadline_passed', deadline: row.deadline }));
      }
      throw activationDeadlineRefusal(blocked.map((row) => row.userId).join(', '), new Date(first.deadline));
    }
  }
}

export type Decision = 'approve' | 'reject';

/**
 * A different DA's decision on a pending request. Approval re-reads (and locks) the users the
 * request names; if their fingerprint moved, the request is recorded stale and nothing applied.
 * The change, the mails it causes, the decision and both audit records commit together.
 */
export async function decideChangeRequest(deps: MakerCheckerDependencies, checker: DelegatedAdministrator, id: string, decision: Decision): Promise<ChangeRequestView> {
  if (!REQUEST_ID.test(id)) throw dmsRefusal('no_such_request');
  const settled = await deps.queries.transaction(async (queries) => {
    const within: MakerCheckerDependencies = { ...deps, queries };
    const row = await queries.changeRequests.findForUpdate(checker.participantId, id);
    if (!row) throw dmsRefusal('no_such_request');
    if (row.outcome) throw dmsRefusal('request_decided');
    // The four eyes: whoever proposed a change is not the one who lets it through (nor turns it down).
    if (row.maker_id === checker.subject) throw dmsRefusal('own_request');
    const now = deps.clock.now();
    const effect = row.effect as ChangeEffect;
    const target = effect.action === 'csv_upload' ? { participantId: checker.participantId } : { participantId: checker.participantId, userId: effect.userId };
    const maker = (await queries.changeRequests.find(checker.participantId, id))?.maker_login;
    const details = { request: String(row.id), action: row.action, maker };
    let outcome: ChangeRequestOutcome;
    /** The email registration deadline, when it stopped the approval (the link it would have sent). */
    let blocked: (Error & { deadline: Date }) | undefined;
    if (now.getTime() >= row.expires_at.getTime()) outcome = 'expired';
    else if (decision === 'reject') outcome = 'rejected';
    else if ((await fingerprint(queries, checker.participantId, usersOf(effect), effect.action, { lock: true, now })) !== row.fingerprint) outcome = 'stale';
    else {
      try {
        await apply(within, checker, effect);
        outcome = 'approved';
      } catch (error) {
        // Proposed before the email registration deadline (or while an exception lasted), approved after it: the link is
        // refused before anything changed (audited by the use case). The request can no longer be applied: recorded as not
        // applied because the deadline had passed (its own outcome, with the deadline: the user did not change), and the
        // maker told — not left pending with the refusal rolled back.
        if (refusalOf(error)?.code !== 'activation_deadline_passed' || !((error as { deadline?: unknown }).deadline instanceof Date)) throw error;
        blocked = error as Error & { deadline: Date };
        outcome = 'deadline_passed';
      }
    }
    await queries.changeRequests.decide(row.id, { outcome, decidedBy: checker.subject, at: now, deadline: blocked?.deadline });
    // Audited as before: a request the deadline stopped is `change_request.stale` with `because: deadline_passed` and the deadline.
    const type = { approved: 'change_request.approve', rejected: 'change_request.reject', expired: 'change_request.expire', stale: 'change_request.stale', deadline_passed: 'change_request.stale' }[outcome];
    const because = blocked ? { because: 'deadline_passed', deadline: blocked.deadline.toISOString() } : {};
    await queries.audit.record(auditEvent(checker, type, outcome === 'approved' || outcome === 'rejected' ? 'success' : 'failure', target, { ...details, ...because }));
    // The maker hears of the outcome in the transaction that records it (an expiry too, when a checker finds it before its job).
    await tellMaker(deps, queries, row, { outcome, checker: checker.userId, at: now, deadline: blocked?.deadline });
    return { outcome, blocked };
  });
  // Recorded and committed first: an expired, stale or deadline-stopped request stays so, and changed nothing.
  if (settled.blocked) throw settled.blocked;
  if (settled.outcome === 'expired') throw dmsRefusal('request_expired');
  if (settled.outcome === 'stale') throw dmsRefusal('request_stale');
  return getChangeRequest(deps, checker, id);
}

/** What a request's expiry job carries: which request (no secret, nothing personal). */
export interface ExpiryJob {
  participantId: string;
  request: string;
}

export interface ExpiryDependencies {
  queries: Pick<Queries, 'changeRequests' | 'audit' | 'jobs' | 'transaction'>;
  outbox: MailOutbox;
  clock: Clock;
  issuer: string;
}

/** Who records an expiry nobody decided: the audit trail's "system". */
const EXPIRY_ACTOR = { name: 'system:maker-checker' };

/**
 * A request's expiry job, run when it is due: records the request expired (audited, with the
 * maker's mail) if nobody decided it; a request decided meanwhile, or already recorded expired
 * by a DA who tried to decide it, is left as it is. A job run before this node's clock reaches
 * the expiry (clocks a little apart) fails, and the queue's retry runs it again later.
 */
export async function recordExpiry(deps: ExpiryDependencies, job: ExpiryJob): Promise<'expired' | 'decided'> {
  if (!REQUEST_ID.test(job.request)) return 'decided';
  return deps.queries.transaction(async (queries) => {
    const row = await queries.changeRequests.findForUpdate(job.participantId, job.request);
    if (!row || row.outcome) return 'decided';
    const now = deps.clock.now();
    // Due by the database's clock, not yet by this node's: failed, so that the queue runs it again a little later.
    if (now.getTime() < row.expires_at.getTime()) throw new Error(`change request ${row.id} does not expire until ${row.expires_at.toISOString()}`);
    await queries.changeRequests.decide(row.id, { outcome: 'expired', decidedBy: null, at: now });
    const effect = row.effect as ChangeEffect;
    const target = effect.action === 'csv_upload' ? { participantId: row.participant_id } : { participantId: row.participant_id, userId: effect.userId };
    const maker = (await queries.changeRequests.find(row.participant_id, job.request))?.maker_login;
    await queries.audit.record(auditEvent(EXPIRY_ACTOR, 'change_request.expire', 'failure', target, { request: String(row.id), action: row.action, maker }));
    await tellMaker(deps, queries, row, { outcome: 'expired', checker: null, at: now });
    return 'expired';
  });
}
