/**
 * DMS in the browser (`/dms`): sign-in through the provider, the users of the DA's firm and
 * where each stands, one user's page with its actions, the CSV upload and the audit trail.
 * Every change is a POST with the session's CSRF token, answered with a redirect
 * (post/redirect/get) or, when it was refused, the same page with the reason; a change that
 * a click must not make by itself (a reset, a lock) is asked for on a page that says what
 * will happen. Every page is in the reader's language, with the switch to the other one.
 */
import Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import type { CsrfTokens } from '../web/csrf.js';
import type { Renderer } from '../web/render.js';
import { noStore } from '../web/security-headers.js';
import { localeOf, pageLocale, type PageLocale } from '../web/locale.js';
import { TooManyRequestsError } from '../kernel/errors.js';
import type { MessageKey, Translatable } from '../i18n/translate.js';
import { auditEvent } from '../kernel/actor.js';
import { formatHongKongTime, parseHongKongTime } from '../kernel/hong-kong-time.js';
import { exceptionKinds as exceptionKindIds } from '../policy/user-exception-kinds.js';
import { READINESS_STATES } from '../store/users.js';
import {
  daActor,
  firmAuditTrail,
  firmUserForAction,
  getFirmUser,
  grantFirmUserException,
  listFirmUsers,
  lockFirmUser,
  registerFirmUserEmail,
  resendFirmUserActivation,
  resetFirmUserSecondFactor,
  secondFactorDeadlineAfterReset,
  unlockFirmUser,
  type DelegatedAdministrator,
  type DmsDependencies,
  type FirmUser,
} from './administration.js';
import { AUDIT_EVENT_WORDS, auditEventView, eventWords, phaseWords } from './audit-words.js';
import { registerEmailsFromCsv, type UploadReport } from './bulk-registration.js';
import { decideChangeRequest, getChangeRequest, listChangeRequests, needsChecker, proposeCsvUpload, proposeExceptionGrant, proposeUserChange, type ChangeRequestAction, type ChangeRequestView, type MakerCheckerDependencies } from './change-requests.js';
import { ACTION_WORDS, effectWords, previewRowWords, statusWords } from './change-request-words.js';
import type { CsvLimits } from './csv-registrations.js';
import { csrfValid, dmsCookieOptions, dmsState, pendingCookie, requireDa, sessionCookie } from './http-session.js';
import { csvFileProblemMessage, ROW_OUTCOME_WORDS, rowProblemMessage, uploadProblemMessage } from './messages.js';
import { refusalOf, requestRefusal, type DmsRefusal } from './refusals.js';
import type { DmsSignIn } from './sign-in.js';
import { readMultipartUpload } from './upload-body.js';
import type { Views } from '../web/views.js';
import type { ChangeRequestSummaryView, DmsFrame, DmsViews, UploadView, UserView } from './views.js';
import { exceptionsOfUser } from '../directory/user-exceptions.js';
import { READINESS_COLUMNS, readinessReport, readinessReportCsv, readyPercent } from '../reports/readiness-report.js';
import { readinessDeadlines } from './readiness-deadlines.js';
import { securityFacts } from '../account/security-page.js';

export interface DmsPageDependencies extends DmsDependencies, MakerCheckerDependencies {
  signIn: DmsSignIn;
  render: Renderer;
  csrf: CsrfTokens;
  csvLimits: CsvLimits;
  sessionMaxHours: number;
}

/** What `?done=` after a change says on the user's page (post/redirect/get). */
const NOTICES = ['registered', 'registered-active', 'changed', 'changed-activation', 'unchanged', 'activation-sent', 'second-factor-reset', 'second-factor-reset-past-deadline', 'locked', 'unlocked', 'exception-granted'] as const;
type Notice = (typeof NOTICES)[number];
const isNotice = (value: unknown): value is Notice => (NOTICES as readonly unknown[]).includes(value);

/** What `?done=` says on a change request's page (maker-checker). */
const REQUEST_NOTICES = ['proposed', 'approved', 'rejected'] as const;
type RequestNotice = (typeof REQUEST_NOTICES)[number];
const isRequestNotice = (value: unknown): value is RequestNotice => (REQUEST_NOTICES as readonly unknown[]).includes(value);

/** Every notice and state a DMS page can show, for the catalogue check. */
export const DMS_MESSAGE_KEYS: readonly MessageKey[] = [
  ...NOTICES.map((notice) => `dms.notice.${notice}` as const),
  ...READINESS_STATES.map((state) => `dms.state.${state}` as const),
  ...REQUEST_NOTICES.map((notice) => `approvals.notice.${notice}` as const),
];

/** The actions that are asked for on a page of their own first. */
const CONFIRMED = {
  'second-factor/reset': { action: 'reset', title: 'dms.confirm.reset.title', what: 'dms.confirm.reset.what', submit: 'dms.confirm.reset.submit' },
  lock: { action: 'lock', title: 'dms.confirm.lock.title', what: 'dms.confirm.lock.what', submit: 'dms.confirm.lock.submit' },
} as const;

type SignedInView = Exclude<keyof DmsViews, 'dms-logged-out'>;

const single = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
const userPath = (userId: string) => `/dms/users/${encodeURIComponent(userId.trim().toUpperCase())}`;

/** Where `?lang=` leads on a page answering a form post: back to the page the form belongs to. */
function languageOf(ctx: Context, formPage?: string): PageLocale {
  const page = pageLocale(ctx);
  if (!formPage) return page;
  return { ...page, switchHref: `${formPage}?${new URLSearchParams({ lang: page.locale === 'en' ? 'zh-Hant' : 'en' }).toString()}` };
}

export function dmsPageRoutes(deps: DmsPageDependencies): Router {
  const { render, csrf, signIn } = deps;
  const router = new Router({ prefix: '/dms', sensitive: true });
  router.use(noStore);
  router.use(refusalsAsPages);

  const signedIn = requireDa(signIn, csrf, 'page');

  function frame(ctx: Context): DmsFrame {
    const { da, csrf: token } = dmsState(ctx);
    return { dms: { participantId: da.participantId, userId: da.userId, csrf: token } };
  }

  /** A signed-in page; `formPage` when it answers a form post. */
  function page<V extends SignedInView>(ctx: Context, status: number, view: V, data: Omit<DmsViews[V], 'dms'>, formPage?: string) {
    ctx.status = status;
    ctx.type = 'html';
    // Views extends DmsViews: the same type, which the compiler cannot see through a generic key.
    ctx.body = render(view, { ...frame(ctx), ...data } as Views[V], languageOf(ctx, formPage));
  }

  /** An error page for a refusal; one of signing in offers to open DMS again. */
  function refuse(ctx: Context, refusal: DmsRefusal) {
    const signingIn = ['sign_in_lost', 'sign_in_expired', 'sign_in_cancelled', 'sign_in_failed', 'two_factor_needed', 'no_dms_access'].includes(refusal.code);
    const signedInNow = Boolean(ctx.state['dms']);
    ctx.status = refusal.status;
    ctx.type = 'html';
    ctx.body = render(
      'error',
      {
        title: signingIn ? 'dms.error.signInTitle' : 'error.notAccepted',
        message: refusal.reason,
        requestId: ctx.state['requestId'] as string | undefined,
        links: signingIn ? [{ href: '/dms', label: 'dms.error.openAgain' }] : signedInNow ? [{ href: '/dms', label: 'dms.error.toUsers' }] : undefined,
      },
      // The callback's URL holds a used code: the switch opens DMS again instead.
      languageOf(ctx, ctx.method !== 'GET' || ctx.path === '/dms/callback' ? '/dms' : undefined),
    );
  }

  /** Whatever a DMS page refuses (a user not found, a sign-in that failed) is a page in the reader's language. */
  async function refusalsAsPages(ctx: Context, next: () => Promise<unknown>) {
    try {
      await next();
    } catch (error) {
      const refusal = refusalOf(error);
      if (!refusal) throw error;
      if (error instanceof TooManyRequestsError) ctx.set('Retry-After', String(error.retryAfterSeconds));
      refuse(ctx, refusal);
    }
  }

  /** Parses a form post: its CSRF token must be this session's. */
  function form(ctx: Context): Record<string, unknown> | undefined {
    const body = (ctx.request.body ?? {}) as Record<string, unknown>;
    if (!csrfValid(ctx, csrf, body['csrf'])) {
      refuse(ctx, requestRefusal('form_expired'));
      return undefined;
    }
    return body;
  }

  // --- signing in and out ----------------------------------------------------------------

  router.get('/login', async (ctx) => {
    const { url, pending } = await signIn.begin(single(ctx.query['return']) ?? '/dms');
    // The provider's login pages are in the language DMS was in.
    url.searchParams.set('ui_locales', localeOf(ctx));
    ctx.cookies.set(pendingCookie(ctx), pending, dmsCookieOptions(ctx, 15 * 60_000));
    ctx.status = 303;
    ctx.redirect(url.toString());
  });

  router.get('/callback', async (ctx) => {
    const pending = ctx.cookies.get(pendingCookie(ctx), { signed: true });
    ctx.cookies.set(pendingCookie(ctx), null, dmsCookieOptions(ctx));
    const callbackUrl = new URL(ctx.originalUrl, deps.issuer);
    const { user, returnTo } = await signIn.complete(callbackUrl, pending);
    const session = await signIn.openSession(user);
    ctx.cookies.set(sessionCookie(ctx), session, dmsCookieOptions(ctx, deps.sessionMaxHours * 3600_000));
    await deps.queries.audit.record(auditEvent(daActor(user, { ip: ctx.ip, requestId: ctx.state['requestId'] as string }), 'dms.login', 'success', user));
    ctx.status = 303;
    ctx.redirect(returnTo);
  });

  router.post('/logout', signedIn, async (ctx) => {
    if (!form(ctx)) return;
    await signIn.end(dmsState(ctx).session);
    ctx.cookies.set(sessionCookie(ctx), null, dmsCookieOptions(ctx));
    ctx.status = 303;
    // Also end the login at the provider, so the next DMS visit asks for the password again.
    ctx.redirect(signIn.endSessionUrl().toString());
  });

  router.get('/logged-out', (ctx) => {
    ctx.type = 'html';
    ctx.body = render('dms-logged-out', {}, pageLocale(ctx));
  });

  // --- users -----------------------------------------------------------------------------

  router.get('/', signedIn, async (ctx) => {
    const query = { q: single(ctx.query['q']) ?? '', state: single(ctx.query['state']) ?? '' };
    const pageNumber = Number(single(ctx.query['page']) ?? '1') || 1;
    const list = await listFirmUsers(deps, dmsState(ctx).da, { search: query.q, state: query.state || undefined, page: pageNumber });
    const link = (target: number) => `/dms?${new URLSearchParams({ ...query, page: String(target) }).toString()}`;
    const filtered = Boolean(query.q || query.state);
    const count: Translatable =
      list.total === 1 ? (filtered ? 'dms.users.countOneMatching' : 'dms.users.countOne') : { key: filtered ? 'dms.users.countMatching' : 'dms.users.count', params: { count: list.total } };
    page(ctx, 200, 'dms-users', {
      list,
      query,
      count,
      states: READINESS_STATES.map((id) => ({ id, label: `dms.state.${id}` as const })),
      previousPage: list.page > 1 ? link(list.page - 1) : undefined,
      nextPage: list.page * list.pageSize < list.total ? link(list.page + 1) : undefined,
    });
  });

  function userPage(
    ctx: Context,
    status: number,
    user: FirmUser,
    values: { notice?: Translatable | undefined; error?: Translatable; emailValue?: string; security?: UserView['security']; exceptions?: UserView['exceptions'] } = {},
  ) {
    const exceptionKinds = exceptionKindIds.map((id) => ({ id, label: `exceptions.kind.${id}` as const }));
    page(ctx, status, 'dms-user', { user, self: user.userId === dmsState(ctx).da.userId, exceptionKinds, ...values }, ctx.method === 'GET' ? undefined : userPath(user.userId));
  }

  router.get('/users/:userId', signedIn, async (ctx) => {
    const { da } = dmsState(ctx);
    const user = await getFirmUser(deps, da, ctx.params['userId'] as string);
    const done = single(ctx.query['done']);
    // What the user sees on their own security page, read-only: keys, recovery codes left, sessions.
    const row = await deps.queries.users.findByLogin(da.participantId, user.userId);
    const exceptions = row ? (await exceptionsOfUser(deps, row)).map((exception) => ({ kind: `exceptions.kind.${exception.kind}` as const, until: exception.until, reason: exception.reason })) : [];
    userPage(ctx, 200, user, { notice: isNotice(done) ? `dms.notice.${done}` : undefined, security: row ? await securityFacts(deps.queries, row) : undefined, exceptions });
  });

  /**
   * Runs `work` for the user of the URL; a refusal of the rules shows the user's page with
   * the reason (and its 4xx status). A user who is not the DA's to see is a page of its own.
   */
  function onUserPage(work: (ctx: Context, da: DelegatedAdministrator, userId: string) => Promise<void>, emailValue?: (ctx: Context) => string): Middleware {
    return async (ctx) => {
      const { da } = dmsState(ctx);
      const userId = ctx['params'].userId as string;
      try {
        await work(ctx, da, userId);
      } catch (error) {
        const refusal = refusalOf(error);
        if (!refusal || refusal.status === 404) throw error;
        if (error instanceof TooManyRequestsError) ctx.set('Retry-After', String(error.retryAfterSeconds));
        const user = await getFirmUser(deps, da, userId);
        userPage(ctx, refusal.status, user, { error: refusal.reason, ...(emailValue ? { emailValue: emailValue(ctx) } : {}) });
      }
    };
  }

  /**
   * A change to a user, answered with a redirect to the user's page and the notice it earned —
   * or, when it needs a second DA (`governed`), recorded as a request and answered with its page.
   */
  function userAction(action: (da: DelegatedAdministrator, userId: string, body: Record<string, unknown>) => Promise<Notice>, governed?: Exclude<ChangeRequestAction, 'csv_upload' | 'exception_grant'>) {
    return onUserPage(
      async (ctx, da, userId) => {
        const body = form(ctx);
        if (!body) return;
        if (governed && (await needsChecker(deps, da, governed))) {
          const request = await proposeUserChange(deps, da, { action: governed, userId, email: single(body['email']) ?? '', reason: single(body['reason']) });
          ctx.status = 303;
          ctx.redirect(`/dms/approvals/${request.id}?done=proposed`);
          return;
        }
        const notice = await action(da, userId, body);
        ctx.status = 303;
        ctx.redirect(`${userPath(userId)}?done=${notice}`);
      },
      (ctx) => single((ctx.request.body as Record<string, unknown> | undefined)?.['email']) ?? '',
    );
  }

  router.post(
    '/users/:userId/email',
    signedIn,
    userAction(async (da, userId, body) => {
      const result = await registerFirmUserEmail(deps, da, userId, single(body['email']) ?? '');
      // Say what happened: a link on its way, or (the user has set up their login) only notices.
      if (result.outcome === 'resent') return 'activation-sent';
      if (result.outcome === 'registered') return result.activation === 'not_needed' ? 'registered-active' : 'registered';
      if (result.outcome === 'changed') return result.activation === 'not_needed' ? 'changed' : 'changed-activation';
      return 'unchanged';
    }, 'email'),
  );
  router.post(
    '/users/:userId/activation',
    signedIn,
    userAction(async (da, userId) => {
      await resendFirmUserActivation(deps, da, userId);
      return 'activation-sent';
    }),
  );

  // A reset or a lock ends the user's sessions at once: the button leads to a page that says so, whose form does it.
  for (const [path, confirm] of Object.entries(CONFIRMED)) {
    router.get(
      `/users/:userId/${path}`,
      signedIn,
      onUserPage(async (ctx, da, userId) => {
        const user = await firmUserForAction(deps, da, userId, confirm.action);
        const asksReason = deps.makerChecker.actions.includes(confirm.action === 'reset' ? 'second_factor_reset' : 'lock');
        // Past the second-factor deadline a reset user sets up no new factor without an exception: the DA is told before, not promised a new set-up.
        const deadline = confirm.action === 'reset' ? await secondFactorDeadlineAfterReset(deps, da, user.userId) : undefined;
        const effect: Translatable = deadline ? { key: 'dms.confirm.reset.whatPastDeadline', params: { user: user.userId, deadline } } : { key: confirm.what, params: { user: user.userId } };
        const what: Translatable = [effect, ...(user.email ? [{ key: 'dms.confirm.told' as const, params: { email: user.email } }] : [])];
        page(ctx, 200, 'dms-confirm', {
          user,
          title: { key: confirm.title, params: { user: user.userId } },
          what,
          submit: confirm.submit,
          action: `${userPath(user.userId)}/${path}`,
          asksReason,
        });
      }),
    );
  }
  router.post(
    '/users/:userId/second-factor/reset',
    signedIn,
    userAction(async (da, userId) => {
      await resetFirmUserSecondFactor(deps, da, userId);
      // Not "they will set up a new one" when, past the deadline and without an exception, they cannot.
      return (await secondFactorDeadlineAfterReset(deps, da, userId)) ? 'second-factor-reset-past-deadline' : 'second-factor-reset';
    }, 'second_factor_reset'),
  );
  router.post(
    '/users/:userId/lock',
    signedIn,
    userAction(async (da, userId) => {
      await lockFirmUser(deps, da, userId);
      return 'locked';
    }, 'lock'),
  );
  router.post(
    '/users/:userId/unlock',
    signedIn,
    userAction(async (da, userId) => {
      await unlockFirmUser(deps, da, userId);
      return 'unlocked';
    }, 'unlock'),
  );

  // A dated exception for the user (src/directory/user-exceptions.ts), given directly or, under maker-checker, proposed.
  router.post(
    '/users/:userId/exceptions',
    signedIn,
    onUserPage(async (ctx, da, userId) => {
      const body = form(ctx);
      if (!body) return;
      const grant = { kind: single(body['kind']) ?? '', until: parseHongKongTime(single(body['until']) ?? '') ?? new Date(Number.NaN), reason: single(body['reason']) ?? '' };
      if (await needsChecker(deps, da, 'exception_grant')) {
        const request = await proposeExceptionGrant(deps, da, userId, grant);
        ctx.status = 303;
        ctx.redirect(`/dms/approvals/${request.id}?done=proposed`);
        return;
      }
      await grantFirmUserException(deps, da, userId, grant);
      ctx.status = 303;
      ctx.redirect(`${userPath(userId)}?done=exception-granted`);
    }),
  );

  // --- CSV upload --------------------------------------------------------------------------

  const uploadAsksReason = deps.makerChecker.actions.includes('csv_upload');
  router.get('/upload', signedIn, (ctx) => page(ctx, 200, 'dms-upload', { limits: deps.csvLimits, asksReason: uploadAsksReason }));

  router.post('/upload', signedIn, async (ctx) => {
    const answer = (status: number, data: Omit<UploadView, 'dms' | 'limits'>) => page(ctx, status, 'dms-upload', { limits: deps.csvLimits, asksReason: uploadAsksReason, ...data }, '/dms/upload');
    if (!ctx.is('multipart/form-data')) return refuse(ctx, requestRefusal('multipart_body'));
    // Read at most one byte over the limit, so that "too large" is told apart from "just fits".
    const upload = await readMultipartUpload(ctx.req, deps.csvLimits.maxBytes + 1);
    if (upload.ok && !csrfValid(ctx, csrf, upload.fields['csrf'])) return refuse(ctx, requestRefusal('form_expired'));
    if (!upload.ok) return answer(upload.status, { problem: uploadProblemMessage(upload.problem) });
    let report: UploadReport;
    try {
      const { da } = dmsState(ctx);
      // With maker-checker, the upload waits with its row-by-row preview on a page of its own.
      if (await needsChecker(deps, da, 'csv_upload')) {
        const proposed = await proposeCsvUpload(deps, da, upload.bytes, deps.csvLimits, upload.fields['reason']);
        if (!proposed.accepted) return answer(proposed.status, { problem: csvFileProblemMessage(proposed.problem) });
        ctx.status = 303;
        ctx.redirect(`/dms/approvals/${proposed.request.id}?done=proposed`);
        return;
      }
      report = await registerEmailsFromCsv(deps, da, upload.bytes, deps.csvLimits);
    } catch (error) {
      const refusal = refusalOf(error);
      if (!refusal) throw error;
      return answer(refusal.status, { problem: refusal.reason });
    }
    if (!report.accepted) return answer(report.status, { problem: csvFileProblemMessage(report.problem) });
    answer(200, {
      report: {
        summary: report.summary,
        rows: report.rows.map((row) => ({
          line: row.line,
          userId: row.userId,
          result: ROW_OUTCOME_WORDS[row.outcome],
          activation: row.outcome === 'rejected' ? 'dms.audit.none' : row.activationQueued ? 'dms.upload.activationQueued' : 'dms.upload.noActivation',
          problems: row.problems.map(rowProblemMessage),
        })),
      },
    });
  });

  // --- maker-checker: the firm's change requests ---------------------------------------------

  const summary = (request: ChangeRequestView): ChangeRequestSummaryView => ({
    id: request.id,
    action: ACTION_WORDS[request.action],
    what: effectWords(request.effect, request),
    maker: request.maker,
    createdAt: new Date(request.createdAt),
    status: statusWords(request),
    pending: request.status === 'pending',
  });

  router.get('/approvals', signedIn, async (ctx) => {
    page(ctx, 200, 'dms-approvals', { requests: (await listChangeRequests(deps, dmsState(ctx).da)).map(summary) });
  });

  function approvalPage(ctx: Context, status: number, request: ChangeRequestView, values: { notice?: Translatable | undefined; error?: Translatable | undefined; warning?: Translatable | undefined } = {}) {
    page(
      ctx,
      status,
      'dms-approval',
      {
        request: {
          ...summary(request),
          userId: request.userId,
          reason: request.reason,
          expiresAt: new Date(request.expiresAt),
          decidedBy: request.decidedBy,
          decidedAt: request.decidedAt ? new Date(request.decidedAt) : null,
        },
        own: request.maker === dmsState(ctx).da.userId,
        rows: request.effect.action === 'csv_upload' ? request.effect.rows.map(previewRowWords) : undefined,
        ...values,
      },
      ctx.method === 'GET' ? undefined : `/dms/approvals/${request.id}`,
    );
  }

  /** A pending reset of a user past the second-factor deadline (no live exception): the checker is told it leaves them no way to set up a new factor. */
  async function requestWarning(da: DelegatedAdministrator, request: ChangeRequestView): Promise<Translatable | undefined> {
    if (request.status !== 'pending' || request.effect.action !== 'second_factor_reset') return undefined;
    // A user gone since the request was made is no warning (the approval itself says so).
    const deadline = await secondFactorDeadlineAfterReset(deps, da, request.effect.userId).catch((error: unknown) => {
      if (refusalOf(error)) return undefined;
      throw error;
    });
    return deadline ? { key: 'approvals.warning.resetPastDeadline', params: { user: request.effect.userId, deadline } } : undefined;
  }

  router.get('/approvals/:id', signedIn, async (ctx) => {
    const { da } = dmsState(ctx);
    const request = await getChangeRequest(deps, da, ctx.params['id'] as string);
    const done = single(ctx.query['done']);
    approvalPage(ctx, 200, request, { notice: isRequestNotice(done) ? `approvals.notice.${done}` : undefined, warning: await requestWarning(da, request) });
  });

  // A decision is a form post with the session's token; refused (own, stale, expired, decided): the request's page with the reason.
  for (const decision of ['approve', 'reject'] as const) {
    router.post(`/approvals/:id/${decision}`, signedIn, async (ctx) => {
      if (!form(ctx)) return;
      const { da } = dmsState(ctx);
      const id = ctx.params['id'] as string;
      try {
        await decideChangeRequest(deps, da, id, decision);
      } catch (error) {
        const refusal = refusalOf(error);
        if (!refusal || refusal.status === 404) throw error;
        const request = await getChangeRequest(deps, da, id);
        return approvalPage(ctx, refusal.status, request, { error: refusal.reason, warning: await requestWarning(da, request) });
      }
      ctx.status = 303;
      ctx.redirect(`/dms/approvals/${id}?done=${decision === 'approve' ? 'approved' : 'rejected'}`);
    });
  }

  // --- readiness ---------------------------------------------------------------------------

  /** How many of the firm's users without a security key the readiness page lists by name. */
  const WITHOUT_KEY_LIMIT = 200;

  /** The firm's row of the operators' migration readiness report, and the phase it prepares for. */
  router.get('/readiness', signedIn, async (ctx) => {
    const { participantId } = dmsState(ctx).da;
    const now = deps.clock.now();
    const [report, policy, withoutKey, counts] = await Promise.all([
      readinessReport(deps.queries, { now, participantId }),
      deps.policy.current(),
      deps.queries.readinessReport.withoutSecurityKey(participantId, { now, limit: WITHOUT_KEY_LIMIT }),
      deps.queries.users.readinessCounts(participantId, now),
    ]);
    const [row] = report.participants;
    page(ctx, 200, 'dms-readiness', {
      windowDays: report.windowDays,
      generatedAt: report.generatedAt,
      readyPercent: row ? readyPercent(row) : '-',
      phase: phaseWords(policy.phase),
      next: policy.next ? { phase: phaseWords(policy.next.phase), at: policy.next.at } : undefined,
      cutOffPhase: phaseWords('2fa-only'),
      // The deadlines, and which of them each not-ready count concerns.
      ...readinessDeadlines(deps.deadlines?.calendar, counts, now),
      rows: READINESS_COLUMNS.map((column) => ({ label: `dms.readiness.${column.key}` as const, value: row?.[column.key] ?? 0 })),
      withoutKey: {
        caption: withoutKey.total === 1 ? 'dms.readiness.noKeyCaptionOne' : { key: 'dms.readiness.noKeyCaption', params: { count: withoutKey.total } },
        more: withoutKey.total > withoutKey.rows.length ? { key: 'dms.readiness.noKeyMore', params: { shown: withoutKey.rows.length } } : undefined,
        users: withoutKey.rows.map((user) => ({
          userId: user.user_id,
          displayName: user.display_name,
          state: user.readiness,
          lastSmartcardLoginAt: user.last_smartcard_login_at,
        })),
      },
      exceptions: (report.exceptions ?? []).map((exception) => ({ userId: exception.userId, kind: `exceptions.kind.${exception.kind}` as const, until: exception.until, reason: exception.reason })),
    });
  });

  router.get('/readiness.csv', signedIn, async (ctx) => {
    const { participantId } = dmsState(ctx).da;
    const report = await readinessReport(deps.queries, { now: deps.clock.now(), participantId });
    ctx.type = 'text/csv; charset=utf-8';
    // Named by the day in Hong Kong, where the DA is (at 07:00 there it is still yesterday in UTC).
    ctx.attachment(`readiness-${participantId}-${formatHongKongTime(report.generatedAt).slice(0, 10)}.csv`);
    ctx.body = readinessReportCsv(report);
  });

  // --- audit -------------------------------------------------------------------------------

  router.get('/audit', signedIn, async (ctx) => {
    const query = { user: single(ctx.query['user']) ?? '', type: single(ctx.query['type']) ?? '' };
    const before = Number(single(ctx.query['before']));
    const limit = 100;
    const events = await firmAuditTrail(deps, dmsState(ctx).da, {
      userId: query.user || undefined,
      type: query.type || undefined,
      beforeId: Number.isSafeInteger(before) && before > 0 ? before : undefined,
      limit,
    });
    const last = events[events.length - 1];
    const types = Object.entries(AUDIT_EVENT_WORDS).map(([id, label]) => ({ id, label: label as Translatable }));
    if (query.type && !Object.hasOwn(AUDIT_EVENT_WORDS, query.type)) types.push({ id: query.type, label: eventWords(query.type) });
    page(ctx, 200, 'dms-audit', {
      events: events.map(auditEventView),
      query,
      types,
      olderPage: events.length === limit && last ? `/dms/audit?${new URLSearchParams({ ...query, before: String(last.id) }).toString()}` : undefined,
    });
  });

  return router;
}
