/**
 * The login pages oidc-provider sends the browser to (`/interaction/:uid`). Routes parse
 * and check the form, call the domain step with plain data, and either re-render the form
 * or hand the result back to oidc-provider, which redirects to the relying party.
 *
 * Nothing is trusted from the form but what the user typed: which interaction this is and
 * what it asked for come from oidc-provider's server-side state, found by the cookie.
 */
import Router from '@koa/router';
import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import { errors as oidcErrors } from 'oidc-provider';
import { z } from 'zod';
import type { PasswordHasher } from '../factors/password.js';
import type { Renderer } from '../http/render.js';
import { noStore } from '../http/security-headers.js';
import type { Logger } from '../observability/logger.js';
import { ACR, AMR } from '../oidc/assurance.js';
import type { Queries } from '../store/index.js';
import type { CsrfTokens } from './csrf.js';
import { authenticateWithPassword } from './password-login.js';

export interface InteractionDependencies {
  provider: Provider;
  queries: Queries;
  hasher: PasswordHasher;
  render: Renderer;
  csrf: CsrfTokens;
  log: Logger;
}

export const GENERIC_LOGIN_ERROR = 'The participant ID, user ID or password is not correct.';
const INCOMPLETE_LOGIN_ERROR = 'Enter your participant ID, user ID and password.';

const loginForm = z.object({
  csrf: z.string().max(200),
  participantId: z.string().max(64),
  userId: z.string().max(64),
  password: z.string().max(1024),
});

const csrfOnlyForm = z.object({ csrf: z.string().max(200) });

type InteractionDetails = Awaited<ReturnType<Provider['interactionDetails']>>;

export function interactionRoutes(deps: InteractionDependencies): Router {
  const { provider, render, csrf } = deps;
  const router = new Router({ prefix: '/interaction' });
  router.use(noStore);

  /** The interaction the browser's cookie points at, which must be the one in the URL. */
  async function loadInteraction(ctx: Context): Promise<InteractionDetails | undefined> {
    try {
      const details = await provider.interactionDetails(ctx.req, ctx.res);
      if (details.uid === ctx['params'].uid) return details;
    } catch (error) {
      if (!(error instanceof oidcErrors.SessionNotFound)) throw error;
    }
    ctx.status = 400;
    ctx.type = 'html';
    ctx.body = render('error', {
      title: 'Your login has expired',
      message:
        'This login page has expired or was opened in another browser. Go back to the application you were using and start the login again.',
      requestId: ctx.state['requestId'],
    });
    return undefined;
  }

  async function clientName(details: InteractionDetails): Promise<string> {
    const client = await provider.Client.find(String(details.params['client_id']));
    return client?.clientName ?? 'CCASS';
  }

  async function renderLogin(
    ctx: Context,
    details: InteractionDetails,
    values: { participantId?: string; userId?: string; error?: string } = {},
  ) {
    ctx.type = 'html';
    ctx.body = render('login', {
      uid: details.uid,
      csrf: csrf.issue(details.uid),
      clientName: await clientName(details),
      participantId: values.participantId ?? '',
      userId: values.userId ?? '',
      error: values.error,
    });
  }

  async function finish(ctx: Context, result: Parameters<Provider['interactionResult']>[2]) {
    const redirectTo = await provider.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: false });
    ctx.status = 303;
    ctx.redirect(redirectTo);
  }

  router.get('/:uid', async (ctx) => {
    const details = await loadInteraction(ctx);
    if (!details) return;
    if (details.prompt.name === 'login') {
      await renderLogin(ctx, details);
      return;
    }
    if (details.prompt.name === 'consent') {
      const missing = (details.prompt.details['missingOIDCScope'] as string[] | undefined) ?? [];
      ctx.type = 'html';
      ctx.body = render('consent', {
        uid: details.uid,
        csrf: csrf.issue(details.uid),
        clientName: await clientName(details),
        scopes: missing.filter((scope) => scope !== 'openid'),
      });
      return;
    }
    ctx.throw(400, `unsupported interaction prompt ${details.prompt.name}`);
  });

  router.post('/:uid/login', async (ctx) => {
    const details = await loadInteraction(ctx);
    if (!details) return;
    const parsed = loginForm.safeParse(ctx.request.body);
    if (!parsed.success || !csrf.verify(details.uid, parsed.data.csrf)) {
      ctx.status = parsed.success ? 403 : 400;
      const partial = (ctx.request.body ?? {}) as Record<string, unknown>;
      await renderLogin(ctx, details, {
        participantId: typeof partial['participantId'] === 'string' ? partial['participantId'].slice(0, 64) : '',
        userId: typeof partial['userId'] === 'string' ? partial['userId'].slice(0, 64) : '',
        error: parsed.success ? 'Your login form expired. Please enter your details again.' : INCOMPLETE_LOGIN_ERROR,
      });
      return;
    }
    if (details.prompt.name !== 'login') ctx.throw(400, 'this login step is already complete');

    const input = parsed.data;
    if (!input.participantId.trim() || !input.userId.trim() || !input.password) {
      ctx.status = 400;
      await renderLogin(ctx, details, { participantId: input.participantId, userId: input.userId, error: INCOMPLETE_LOGIN_ERROR });
      return;
    }

    const outcome = await authenticateWithPassword({ users: deps.queries.users, hasher: deps.hasher }, input);
    await deps.queries.audit.record({
      type: 'login.password',
      outcome: outcome.ok ? 'success' : 'failure',
      participantId: outcome.user?.participant_id ?? input.participantId.trim().slice(0, 64),
      userId: outcome.user?.user_id ?? input.userId.trim().slice(0, 64),
      clientId: String(details.params['client_id']),
      ip: ctx.ip,
      requestId: ctx.state['requestId'] as string,
      details: outcome.ok ? {} : { reason: outcome.reason },
    });
    if (!outcome.ok) {
      ctx.status = 401;
      await renderLogin(ctx, details, { participantId: input.participantId, userId: input.userId, error: GENERIC_LOGIN_ERROR });
      return;
    }
    await finish(ctx, {
      login: { accountId: outcome.user.id, acr: ACR.password, amr: [AMR.password], remember: true },
    });
  });

  router.post('/:uid/confirm', async (ctx) => {
    const details = await loadInteraction(ctx);
    if (!details) return;
    const parsed = csrfOnlyForm.safeParse(ctx.request.body);
    if (!parsed.success || !csrf.verify(details.uid, parsed.data.csrf)) return ctx.throw(403, 'Your form expired. Please start again.');
    const accountId = details.session?.accountId;
    if (details.prompt.name !== 'consent' || !accountId) return ctx.throw(400, 'nothing to confirm');

    const grant = details.grantId
      ? await provider.Grant.find(details.grantId)
      : new provider.Grant({ accountId, clientId: String(details.params['client_id']) });
    if (!grant) return ctx.throw(400, 'the grant for this request no longer exists');
    const missingScopes = details.prompt.details['missingOIDCScope'] as string[] | undefined;
    const missingClaims = details.prompt.details['missingOIDCClaims'] as string[] | undefined;
    if (missingScopes?.length) grant.addOIDCScope(missingScopes.join(' '));
    if (missingClaims?.length) grant.addOIDCClaims(missingClaims);
    const grantId = await grant.save();
    await finish(ctx, { consent: { grantId } });
  });

  router.post('/:uid/abort', async (ctx) => {
    const details = await loadInteraction(ctx);
    if (!details) return;
    const parsed = csrfOnlyForm.safeParse(ctx.request.body);
    if (!parsed.success || !csrf.verify(details.uid, parsed.data.csrf)) return ctx.throw(403, 'Your form expired. Please start again.');
    await finish(ctx, { error: 'access_denied', error_description: 'The user cancelled the login.' });
  });

  return router;
}
