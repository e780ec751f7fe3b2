/**
 * DMS in the browser (`/dms`): sign-in through the provider, the users of the DA's firm and
 * where each stands, one user's page with its actions, the CSV upload and the audit trail.
 * Every change is a POST with the session's CSRF token, answered with a redirect
 * (post/redirect/get) or, when it was refused, the same page with the reason.
 */
import Router from '@koa/router';
import type { Context } from 'koa';
import type { CsrfTokens } from '../interactions/csrf.js';
import type { Renderer } from '../http/render.js';
import { noStore } from '../http/security-headers.js';
import { pageLocale } from '../http/locale.js';
import { ForbiddenError, TooManyRequestsError, ValidationError } from '../errors.js';
import { READINESS_STATES } from '../store/users.js';
import {
  firmAuditTrail,
  getFirmUser,
  listFirmUsers,
  lockFirmUser,
  registerFirmUserEmail,
  resendFirmUserActivation,
  resetFirmUserSecondFactor,
  unlockFirmUser,
  type DmsDependencies,
  type FirmUser,
} from './administration.js';
import { registerEmailsFromCsv } from './bulk-registration.js';
import type { CsvLimits } from './csv-registrations.js';
import { csrfValid, dmsCookieOptions, dmsState, pendingCookie, requireDa, sessionCookie } from './http-session.js';
import type { DmsSignIn } from './sign-in.js';
import { readMultipartUpload } from './upload-body.js';
import { READINESS_COLUMNS, readinessReport, readinessReportCsv, readyPercent } from '../reports/readiness-report.js';

export interface DmsPageDependencies extends DmsDependencies {
  signIn: DmsSignIn;
  render: Renderer;
  csrf: CsrfTokens;
  csvLimits: CsvLimits;
  sessionMaxHours: number;
}

/** What `?done=` after a change says on the user's page (post/redirect/get). */
const NOTICES = new Set(['registered', 'changed', 'changed-activation', 'unchanged', 'activation-sent', 'second-factor-reset', 'locked', 'unlocked']);

/** Every notice and state a DMS page can show, for the catalogue check. */
export const DMS_MESSAGE_KEYS: readonly string[] = [...[...NOTICES].map((notice) => `dms.notice.${notice}`), ...READINESS_STATES.map((state) => `dms.state.${state}`)];

const single = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

export function dmsPageRoutes(deps: DmsPageDependencies): Router {
  const { render, csrf, signIn } = deps;
  const router = new Router({ prefix: '/dms' });
  router.use(noStore);

  const signedIn = requireDa(signIn, csrf, 'page');

  function page(ctx: Context, status: number, view: string, data: Record<string, unknown>) {
    const { da, csrf: token } = dmsState(ctx);
    ctx.status = status;
    ctx.type = 'html';
    ctx.body = render(view, { dms: { participantId: da.participantId, userId: da.userId, csrf: token }, ...data }, pageLocale(ctx));
  }

  function refuse(ctx: Context, status: number, message: string) {
    ctx.status = status;
    ctx.type = 'html';
    ctx.body = render('error', { title: 'error.notAccepted', message, requestId: ctx.state['requestId'] }, pageLocale(ctx));
  }

  /** Parses a form post: its CSRF token must be this session's. */
  function form(ctx: Context): Record<string, unknown> | undefined {
    const body = (ctx.request.body ?? {}) as Record<string, unknown>;
    if (!csrfValid(ctx, csrf, body['csrf'])) {
      refuse(ctx, 403, 'Your form expired. Go back, reload the page and try again.');
      return undefined;
    }
    return body;
  }

  // --- signing in and out ----------------------------------------------------------------

  router.get('/login', async (ctx) => {
    const { url, pending } = await signIn.begin(single(ctx.query['return']) ?? '/dms');
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
    await deps.queries.audit.record({
      type: 'dms.login',
      outcome: 'success',
      actor: `da:${user.participant_id}/${user.user_id}`,
      participantId: user.participant_id,
      userId: user.user_id,
      ip: ctx.ip,
      requestId: ctx.state['requestId'] as string,
    });
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
    page(ctx, 200, 'dms-users', {
      list,
      query,
      states: READINESS_STATES.map((id) => ({ id })),
      previousPage: list.page > 1 ? link(list.page - 1) : undefined,
      nextPage: list.page * list.pageSize < list.total ? link(list.page + 1) : undefined,
    });
  });

  async function userPage(ctx: Context, status: number, user: FirmUser, values: { notice?: string | undefined; error?: string; emailValue?: string } = {}) {
    page(ctx, status, 'dms-user', { user, self: user.userId === dmsState(ctx).da.userId, ...values });
  }

  router.get('/users/:userId', signedIn, async (ctx) => {
    const user = await getFirmUser(deps, dmsState(ctx).da, ctx.params['userId'] as string);
    const done = single(ctx.query['done']);
    await userPage(ctx, 200, user, { notice: done && NOTICES.has(done) ? `dms.notice.${done}` : undefined });
  });

  /**
   * Runs one action on a user and redirects to the user's page with a notice; an action the
   * rules refuse re-renders the page with the reason (and its 4xx status).
   */
  function userAction(action: (ctx: Context, da: ReturnType<typeof dmsState>['da'], userId: string, body: Record<string, unknown>) => Promise<string>) {
    return async (ctx: Context) => {
      const body = form(ctx);
      if (!body) return;
      const { da } = dmsState(ctx);
      const userId = ctx['params'].userId as string;
      try {
        const notice = await action(ctx, da, userId, body);
        ctx.status = 303;
        ctx.redirect(`/dms/users/${encodeURIComponent(userId.trim().toUpperCase())}?done=${notice}`);
      } catch (error) {
        if (!(error instanceof ValidationError || error instanceof TooManyRequestsError || error instanceof ForbiddenError)) throw error;
        if (error instanceof TooManyRequestsError) ctx.set('Retry-After', String(error.retryAfterSeconds));
        const user = await getFirmUser(deps, da, userId);
        await userPage(ctx, error.status, user, { error: error.message, emailValue: single(body['email']) ?? '' });
      }
    };
  }

  router.post(
    '/users/:userId/email',
    signedIn,
    userAction(async (_ctx, da, userId, body) => {
      const result = await registerFirmUserEmail(deps, da, userId, single(body['email']) ?? '');
      if (result.outcome === 'resent') return 'activation-sent';
      if (result.outcome === 'changed' && result.activation !== 'not_needed') return 'changed-activation';
      return result.outcome;
    }),
  );
  router.post(
    '/users/:userId/activation',
    signedIn,
    userAction(async (_ctx, da, userId) => {
      await resendFirmUserActivation(deps, da, userId);
      return 'activation-sent';
    }),
  );
  router.post(
    '/users/:userId/second-factor/reset',
    signedIn,
    userAction(async (_ctx, da, userId) => {
      await resetFirmUserSecondFactor(deps, da, userId);
      return 'second-factor-reset';
    }),
  );
  router.post(
    '/users/:userId/lock',
    signedIn,
    userAction(async (_ctx, da, userId) => {
      await lockFirmUser(deps, da, userId);
      return 'locked';
    }),
  );
  router.post(
    '/users/:userId/unlock',
    signedIn,
    userAction(async (_ctx, da, userId) => {
      await unlockFirmUser(deps, da, userId);
      return 'unlocked';
    }),
  );

  // --- CSV upload --------------------------------------------------------------------------

  router.get('/upload', signedIn, (ctx) => page(ctx, 200, 'dms-upload', { limits: deps.csvLimits }));

  router.post('/upload', signedIn, async (ctx) => {
    if (!ctx.is('multipart/form-data')) return refuse(ctx, 415, 'Upload the file with the form on the upload page.');
    // Read at most one byte over the limit, so that "too large" is told apart from "just fits".
    const upload = await readMultipartUpload(ctx.req, deps.csvLimits.maxBytes + 1);
    if (upload.ok && !csrfValid(ctx, csrf, upload.fields['csrf'])) return refuse(ctx, 403, 'Your form expired. Go back, reload the page and try again.');
    if (!upload.ok) return page(ctx, upload.status, 'dms-upload', { limits: deps.csvLimits, problem: upload.problem });
    const report = await registerEmailsFromCsv(deps, dmsState(ctx).da, upload.bytes, deps.csvLimits);
    if (!report.accepted) return page(ctx, report.status, 'dms-upload', { limits: deps.csvLimits, problem: report.problem });
    page(ctx, 200, 'dms-upload', { limits: deps.csvLimits, report });
  });

  // --- readiness ---------------------------------------------------------------------------

  /** The firm's row of the operators' migration readiness report. */
  router.get('/readiness', signedIn, async (ctx) => {
    const report = await readinessReport(deps.queries, { now: deps.clock.now(), participantId: dmsState(ctx).da.participantId });
    const [row] = report.participants;
    page(ctx, 200, 'dms-readiness', {
      windowDays: report.windowDays,
      generatedAt: report.generatedAt.toISOString(),
      readyPercent: row ? readyPercent(row) : '-',
      rows: READINESS_COLUMNS.map((column) => ({ key: column.key, value: row?.[column.key] ?? 0 })),
    });
  });

  router.get('/readiness.csv', signedIn, async (ctx) => {
    const { participantId } = dmsState(ctx).da;
    const report = await readinessReport(deps.queries, { now: deps.clock.now(), participantId });
    ctx.type = 'text/csv; charset=utf-8';
    ctx.attachment(`readiness-${participantId}-${report.generatedAt.toISOString().slice(0, 10)}.csv`);
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
    page(ctx, 200, 'dms-audit', {
      events,
      query,
      olderPage: events.length === limit && last ? `/dms/audit?${new URLSearchParams({ ...query, before: String(last.id) }).toString()}` : undefined,
    });
  });

  return router;
}
