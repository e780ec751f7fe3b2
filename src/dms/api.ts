/**
 * DMS as a JSON API (`/dms/api`), the same functions as the pages, for the DA's scripts and
 * tools. It uses the DMS session cookie; every state-changing call must carry the session's
 * CSRF token in `X-CSRF-Token` (from `GET /dms/api/session`). Errors are always JSON:
 * `{ error, reason, message, fields? }` with a 4xx status: `error` and `reason` are codes for
 * scripts, `fields` names the inputs at fault with codes, `message` is for the person reading
 * it, in the request's language (Accept-Language, or the language chosen on the pages).
 * Nothing changes on a 4xx. A success that leaves something the DA must act on carries a
 * `warning`: `{ code, deadline?, message }`, `message` in the request's language as above (a
 * second-factor reset past the second-factor deadline: `second_factor_deadline_passed`).
 */
import Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import { z } from 'zod';
import { readinessReport } from '../reports/readiness-report.js';
import { deadlinesJson } from '../reminders/calendar.js';
import { TooManyRequestsError } from '../kernel/errors.js';
import { parseHongKongTime } from '../kernel/hong-kong-time.js';
import type { CsrfTokens } from '../web/csrf.js';
import { noStore } from '../web/security-headers.js';
import {
  firmAuditTrail,
  getFirmUser,
  grantFirmUserException,
  listFirmUsers,
  lockFirmUser,
  registerFirmUserEmail,
  resendFirmUserActivation,
  resetFirmUserSecondFactor,
  secondFactorDeadlineAfterReset,
  unlockFirmUser,
  type DmsDependencies,
} from './administration.js';
import { registerEmailsFromCsv } from './bulk-registration.js';
import { decideChangeRequest, getChangeRequest, listChangeRequests, needsChecker, proposeCsvUpload, proposeExceptionGrant, proposeUserChange, type ChangeRequestView, type MakerCheckerDependencies } from './change-requests.js';
import { effectWords, previewRowWords } from './change-request-words.js';
import type { CsvLimits } from './csv-registrations.js';
import { csrfValid, dmsState, requireDa } from './http-session.js';
import type { DmsSignIn } from './sign-in.js';
import { readRawUpload } from './upload-body.js';
import { localeOf } from '../web/locale.js';
import { translator, type MessageKey, type Translatable } from '../i18n/translate.js';
import { csvFileProblemMessage, rowProblemMessage, uploadProblemMessage } from './messages.js';
import { refusalFields, refusalOf, requestRefusal } from './refusals.js';

export interface DmsApiDependencies extends DmsDependencies, MakerCheckerDependencies {
  signIn: DmsSignIn;
  csrf: CsrfTokens;
  csvLimits: CsvLimits;
}

const ERROR_CODES: Record<number, string> = {
  400: 'invalid_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  409: 'conflict',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  422: 'unprocessable_content',
  429: 'too_many_requests',
};

/** A refused request as JSON: its codes, and its reason in the request's language. */
function problem(ctx: Context, refusal: { code: string; reason: Translatable; status: number }, fields?: Record<string, string>) {
  ctx.status = refusal.status;
  ctx.body = { error: ERROR_CODES[refusal.status] ?? 'invalid_request', reason: refusal.code, message: translator(localeOf(ctx))(refusal.reason), ...(fields ? { fields } : {}) };
}

/** Domain and client errors as JSON; anything else goes on to the app's handler (a logged 500). */
const jsonErrors: Middleware = async (ctx, next) => {
  try {
    await next();
  } catch (caught) {
    const refusal = refusalOf(caught);
    if (refusal) {
      if (caught instanceof TooManyRequestsError) ctx.set('Retry-After', String(caught.retryAfterSeconds));
      return problem(ctx, refusal, refusalFields(caught));
    }
    const status = (caught as { status?: number }).status;
    if (status && status >= 400 && status < 500) return problem(ctx, { ...requestRefusal('bad_request'), status });
    throw caught;
  }
};

const emailBody = z.object({ email: z.string().max(320), reason: z.string().max(2000).optional() }).strict();
/** The optional body of an action that may wait for a second DA: why (shown to the checker). */
const reasonBody = z.object({ reason: z.string().max(2000).optional() }).strict();
/** A dated exception: `until` in Hong Kong time as the CLI takes it ("2026-12-31T18:00"), or ISO 8601 with its offset. */
const exceptionBody = z.object({ kind: z.string().max(64), until: z.string().max(40), reason: z.string().max(2000) }).strict();
const exceptionEnd = (value: string): Date => parseHongKongTime(value) ?? (/(Z|[+-]\d{2}:\d{2})$/.test(value) ? new Date(value) : new Date(Number.NaN));

export function dmsApiRoutes(deps: DmsApiDependencies): Router {
  const router = new Router({ prefix: '/dms/api', sensitive: true });
  router.use(noStore);
  router.use(jsonErrors);
  router.use(requireDa(deps.signIn, deps.csrf, 'api'));
  // Reads are safe; every other method must prove it comes from a page or script holding the token.
  router.use(async (ctx, next) => {
    if (ctx.method !== 'GET' && ctx.method !== 'HEAD' && !csrfValid(ctx, deps.csrf, ctx.get('x-csrf-token'))) {
      return problem(ctx, requestRefusal('csrf_header'));
    }
    await next();
  });

  const da = (ctx: Context) => dmsState(ctx).da;
  const userId = (ctx: Context) => ctx['params'].userId as string;
  const number = (value: unknown) => (typeof value === 'string' && /^\d{1,9}$/.test(value) ? Number(value) : undefined);
  const text = (value: unknown) => (typeof value === 'string' ? value : undefined);

  router.get('/session', (ctx) => {
    const { da: admin, csrf } = dmsState(ctx);
    ctx.body = { participantId: admin.participantId, userId: admin.userId, csrfToken: csrf };
  });

  router.get('/users', async (ctx) => {
    ctx.body = await listFirmUsers(deps, da(ctx), {
      search: text(ctx.query['search']),
      state: text(ctx.query['state']),
      page: number(ctx.query['page']),
      pageSize: number(ctx.query['pageSize']),
    });
  });

  router.get('/users/:userId', async (ctx) => {
    ctx.body = await getFirmUser(deps, da(ctx), userId(ctx));
  });

  /** A request recorded instead of the change (maker-checker): 202, nothing done yet. */
  const pending = (ctx: Context, request: ChangeRequestView) => {
    ctx.status = 202;
    ctx.body = { changeRequest: described(ctx, request) };
  };
  /**
   * Past the second-factor deadline (no live exception for the user) a reset leaves the user no
   * way to set up a new second factor: as the pages warn, the answer says so — a code, the
   * deadline, and the words in the request's language.
   */
  const resetWarning = (ctx: Context, key: MessageKey, user: string, deadline: Date) => ({
    warning: { code: 'second_factor_deadline_passed', deadline: deadline.toISOString(), message: translator(localeOf(ctx))({ key, params: { user, deadline } }) },
  });
  const described = (ctx: Context, request: ChangeRequestView) => {
    const t = translator(localeOf(ctx));
    return {
      ...request,
      description: t(effectWords(request.effect, request)),
      ...(request.secondFactorDeadline && request.userId ? resetWarning(ctx, 'approvals.warning.resetPastDeadline', request.userId, new Date(request.secondFactorDeadline)) : {}),
      ...(request.effect.action === 'csv_upload' ? { rows: request.effect.rows.map((row) => ({ ...row, result: t(previewRowWords(row).result), problems: row.problems.map((item) => t(rowProblemMessage(item))), problemCodes: row.problems })) } : {}),
    };
  };
  const reasonOf = (ctx: Context): string | undefined | false => {
    const body: unknown = ctx.request.body;
    if (body === undefined || (typeof body === 'object' && body !== null && Object.keys(body).length === 0)) return undefined;
    const parsed = reasonBody.safeParse(body);
    return parsed.success ? parsed.data.reason : false;
  };
  /** An action on one user that may need a checker: recorded as a request, or done now. */
  const userChange = (action: 'second_factor_reset' | 'lock' | 'unlock', direct: (ctx: Context) => Promise<unknown>) => async (ctx: Context) => {
    const reason = reasonOf(ctx);
    if (reason === false) return problem(ctx, requestRefusal('json_body'), { reason: 'invalid_reason' });
    if (await needsChecker(deps, da(ctx), action)) return pending(ctx, await proposeUserChange(deps, da(ctx), { action, userId: userId(ctx), reason }));
    ctx.body = await direct(ctx);
  };

  router.put('/users/:userId/email', async (ctx) => {
    const parsed = emailBody.safeParse(ctx.request.body);
    if (!parsed.success) return problem(ctx, requestRefusal('json_body'), { email: 'required' });
    if (await needsChecker(deps, da(ctx), 'email')) return pending(ctx, await proposeUserChange(deps, da(ctx), { action: 'email', userId: userId(ctx), email: parsed.data.email, reason: parsed.data.reason }));
    const result = await registerFirmUserEmail(deps, da(ctx), userId(ctx), parsed.data.email);
    ctx.body = result;
  });

  router.post('/users/:userId/activation', async (ctx) => {
    ctx.body = await resendFirmUserActivation(deps, da(ctx), userId(ctx));
  });

  router.post('/users/:userId/exceptions', async (ctx) => {
    const parsed = exceptionBody.safeParse(ctx.request.body);
    if (!parsed.success) return problem(ctx, requestRefusal('json_body'), { kind: 'required', until: 'required', reason: 'required' });
    const grant = { kind: parsed.data.kind, until: exceptionEnd(parsed.data.until), reason: parsed.data.reason };
    if (await needsChecker(deps, da(ctx), 'exception_grant')) return pending(ctx, await proposeExceptionGrant(deps, da(ctx), userId(ctx), grant));
    ctx.body = await grantFirmUserException(deps, da(ctx), userId(ctx), grant);
  });

  router.post(
    '/users/:userId/second-factor/reset',
    userChange('second_factor_reset', async (ctx) => {
      const user = await resetFirmUserSecondFactor(deps, da(ctx), userId(ctx));
      const deadline = await secondFactorDeadlineAfterReset(deps, da(ctx), user.userId);
      return { ...user, ...(deadline ? resetWarning(ctx, 'dms.api.warning.second_factor_deadline_passed', user.userId, deadline) : {}) };
    }),
  );
  router.post('/users/:userId/lock', userChange('lock', (ctx) => lockFirmUser(deps, da(ctx), userId(ctx))));
  router.post('/users/:userId/unlock', userChange('unlock', (ctx) => unlockFirmUser(deps, da(ctx), userId(ctx))));

  router.post('/uploads', async (ctx) => {
    if (!ctx.is('text/csv')) return problem(ctx, requestRefusal('csv_body'));
    const upload = await readRawUpload(ctx.req, deps.csvLimits.maxBytes + 1);
    if (!upload.ok) return problem(ctx, { code: upload.problem.code, reason: uploadProblemMessage(upload.problem), status: upload.status });
    // Why (maker-checker): in the query, the body being the file.
    if (await needsChecker(deps, da(ctx), 'csv_upload')) {
      const proposed = await proposeCsvUpload(deps, da(ctx), upload.bytes, deps.csvLimits, text(ctx.query['reason']));
      if (!proposed.accepted) return problem(ctx, { code: proposed.problem.code, reason: csvFileProblemMessage(proposed.problem), status: proposed.status });
      return pending(ctx, proposed.request);
    }
    const report = await registerEmailsFromCsv(deps, da(ctx), upload.bytes, deps.csvLimits);
    if (!report.accepted) return problem(ctx, { code: report.problem.code, reason: csvFileProblemMessage(report.problem), status: report.status });
    // Each row's problems as codes with their values (`problemCodes`) and in the reader's language (`problems`), as the upload page shows them.
    const t = translator(localeOf(ctx));
    ctx.body = {
      ...report,
      rows: report.rows.map((row) => ({ ...row, problems: row.problems.map((item) => t(rowProblemMessage(item))), problemCodes: row.problems })),
    };
  });

  // --- maker-checker: the firm's change requests, and another DA's decision ---------------

  router.get('/change-requests', async (ctx) => {
    ctx.body = { changeRequests: (await listChangeRequests(deps, da(ctx))).map((request) => described(ctx, request)) };
  });
  router.get('/change-requests/:id', async (ctx) => {
    ctx.body = described(ctx, await getChangeRequest(deps, da(ctx), ctx.params['id'] as string));
  });
  router.post('/change-requests/:id/approve', async (ctx) => {
    ctx.body = described(ctx, await decideChangeRequest(deps, da(ctx), ctx.params['id'] as string, 'approve'));
  });
  router.post('/change-requests/:id/reject', async (ctx) => {
    ctx.body = described(ctx, await decideChangeRequest(deps, da(ctx), ctx.params['id'] as string, 'reject'));
  });

  router.get('/readiness', async (ctx) => {
    const now = deps.clock.now();
    const report = await readinessReport(deps.queries, { now, participantId: da(ctx).participantId });
    // The deadlines as GET /status gives them: ISO instants, passed or not.
    ctx.body = { generatedAt: report.generatedAt, windowDays: report.windowDays, ...report.participants[0], deadlines: deadlinesJson(deps.deadlines?.calendar?.deadlines ?? [], now) };
  });

  router.get('/audit', async (ctx) => {
    ctx.body = {
      events: await firmAuditTrail(deps, da(ctx), {
        userId: text(ctx.query['userId']),
        type: text(ctx.query['type']),
        beforeId: number(ctx.query['before']),
        limit: number(ctx.query['limit']),
      }),
    };
  });

  return router;
}
