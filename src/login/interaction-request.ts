/**
 * What every request of the login pages starts with: oidc-provider's interaction (the one the
 * browser's cookie points at, which must be the one in the URL), the request as plain data for
 * the use cases (client, what it accepts, the phase in force, where the request came from),
 * all loaded once; the checked form; and the one error path that renders every refusal.
 */
import type { Context, Middleware, Next } from 'koa';
import type Provider from 'oidc-provider';
import { errors as oidcErrors } from 'oidc-provider';
import type { z } from 'zod';
import type { RouterParameterMiddleware } from '@koa/router';
import { DMS_CLIENT_ID } from '../oidc/first-party-clients.js';
import { localeOf, pageLocale, preferUiLocales } from '../web/locale.js';
import type { Renderer } from '../web/render.js';
import type { CsrfTokens } from '../web/csrf.js';
import { clientRequirement } from '../oidc/acr-policy.js';
import { clientDisplayName } from '../oidc/clients.js';
import type { ProviderRef } from '../oidc/provider-host.js';
import type { PhasePolicy } from '../policy/phase-policy.js';
import type { Clock } from '../kernel/clock.js';
import { normaliseParticipantId, normaliseUserId } from '../kernel/identifiers.js';
import type { Queries } from '../store/index.js';
import type { ProgressLookahead } from '../store/login-progress.js';
import { refused, type CompletedLogin, type Login, type LoginRefusal, type LoginRequest, type ResultRow } from './login.js';
import { rowOfSave } from '../store/oidc-adapter.js';

export type InteractionDetails = Awaited<ReturnType<Provider['interactionDetails']>>;

/** A refusal on its way to the one place that renders it (refusalPages). */
export class RefusedPage extends Error {
  constructor(readonly refusal: LoginRefusal) {
    super(refusal.title);
  }
}

/** A post for a login that has no proven password (any more): back to its first page. */
export class BackToStart extends Error {}

/** What a request of this router works on, loaded once (oidc-provider's interaction, the request as plain data, the login). */
export interface Loaded {
  details: InteractionDetails;
  request: LoginRequest;
  clientName: string;
  login?: Login | undefined;
  /** The login's progress, read with the interaction: for the request's first look at its login (findLogin). */
  progress: ProgressLookahead;
}

export const loaded = (ctx: Context) => ctx.state['interaction'] as Loaded;

/** The one error path: every refusal of every step is rendered here. */
export function refusalPages(render: Renderer): Middleware {
  return async (ctx: Context, next: Next) => {
    try {
      await next();
    } catch (error) {
      if (error instanceof BackToStart) {
        ctx.status = 303;
        return ctx.redirect(`/interaction/${loaded(ctx).details.uid}`);
      }
      if (!(error instanceof RefusedPage)) throw error;
      ctx.status = error.refusal.status;
      ctx.type = 'html';
      ctx.body = render('error', { title: error.refusal.title, message: error.refusal.message, requestId: ctx.state['requestId'] as string }, pageLocale(ctx));
    }
  };
}

/** Loads the interaction of `/:uid` and the request as plain data, once per request. */
export function loadInteraction(deps: { provider: ProviderRef; policy: PhasePolicy; queries: Queries; clock: Clock }): RouterParameterMiddleware {
  return async (uid, ctx, next) => {
    let details: InteractionDetails | undefined;
    // Nearly every login request asks for its login's progress next: it comes in the same
    // statement, and so does the user a password form names (the password step's next read).
    const progress = deps.queries.loginProgress.lookahead(deps.clock.now(), namedUser(ctx));
    try {
      details = await progress.during(() => deps.provider.current().interactionDetails(ctx.req, ctx.res));
    } catch (error) {
      if (!(error instanceof oidcErrors.SessionNotFound)) throw error;
    }
    // The interaction the browser's cookie points at must be the one in the URL.
    if (!details || details.uid !== uid) throw new RefusedPage(refused(400, 'login.error.expiredTitle', 'login.error.expired'));
    preferUiLocales(ctx, details.params['ui_locales']);
    const clientId = String(details.params['client_id']);
    const [client, policy] = await Promise.all([deps.provider.current().Client.find(clientId), deps.policy.current()]);
    const requirement = clientRequirement(details.params, client, clientId === DMS_CLIENT_ID);
    const request: LoginRequest = { uid, clientId, requirement, policy, origin: { ip: ctx.ip, requestId: ctx.state['requestId'] as string } };
    ctx.state['interaction'] = { details, request, clientName: client ? clientDisplayName(client, localeOf(ctx)) : 'CCASS', progress } satisfies Loaded;
    return next();
  };
}

/** The user a posted password form names (its IDs normalised), if it names one. */
function namedUser(ctx: Context): { participantId: string; userId: string } | undefined {
  if (ctx.method !== 'POST') return undefined;
  const body = (ctx.request.body ?? {}) as Record<string, unknown>;
  const participantId = typeof body['participantId'] === 'string' ? normaliseParticipantId(body['participantId']) : undefined;
  const userId = typeof body['userId'] === 'string' ? normaliseUserId(body['userId']) : undefined;
  return participantId && userId ? { participantId, userId } : undefined;
}

/** The checked form of a request (its CSRF token is the one of its interaction), or a refusal. */
export function checkedForm(csrf: CsrfTokens) {
  return function form<T extends { csrf: string }>(ctx: Context, schema: z.ZodType<T>): T {
    const parsed = schema.safeParse(ctx.request.body);
    if (!parsed.success) throw new RefusedPage(refused(400, 'error.notAccepted', 'form.incomplete'));
    if (!csrf.verify(loaded(ctx).details.uid, parsed.data.csrf)) throw new RefusedPage(refused(403, 'error.notAccepted', 'form.expired'));
    return parsed.data;
  };
}

/** A completed login as oidc-provider's interaction result. */
export const loginResult = (completed: CompletedLogin): InteractionDetails['result'] => ({
  login: { accountId: completed.accountId, acr: completed.acr, amr: completed.amr, remember: true },
});

/** Saves a result on the interaction this request loaded (what provider.interactionResult does). */
export async function saveResult(ctx: Context, result: InteractionDetails['result']): Promise<void> {
  const { details } = loaded(ctx);
  details.result = result;
  await details.save(details.exp - Math.floor(Date.now() / 1000));
}

/** Back to oidc-provider, which resumes from the interaction's result. */
export function resumeProvider(ctx: Context): void {
  ctx.status = 303;
  ctx.redirect(loaded(ctx).details.returnTo);
}

export async function finishInteraction(ctx: Context, result: InteractionDetails['result']): Promise<void> {
  await saveResult(ctx, result);
  resumeProvider(ctx);
}

/** A completed login's result as a row, for the statement that completes the login to write (ResultRow). */
export const resultRow =
  (ctx: Context): ResultRow =>
  (completed) =>
    rowOfSave(() => saveResult(ctx, loginResult(completed)));
