/**
 * OpenID Connect Back-Channel Logout 1.0, delivered through the durable job queue rather than
 * by oidc-provider's POST within the logout request: a relying party that is down when the
 * user logs out (or is disabled) still hears of it when it is back, from whichever node is
 * alive. A job is created in the transaction of what ends the session, one per (client,
 * session) — its id is derived from both, so a session ended twice (RP-initiated logout and a
 * revocation racing) is announced once.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Job } from 'pg-boss';
import type Provider from 'oidc-provider';
import type { Logger } from '../observability/logger.js';
import type { ProviderRef } from './provider-host.js';

export interface BackchannelLogoutJob {
  clientId: string;
  /** The account (the `sub` of the client's ID tokens). */
  sub: string;
  /** The client's session id (the `sid` of its ID tokens), when the session is known. */
  sid?: string | undefined;
}

/** A deterministic UUID per (client, sid or sub): a second job for the same ending is not made. */
export function backchannelLogoutJobId(job: BackchannelLogoutJob): string {
  const hex = createHash('sha256').update(`backchannel-logout\0${job.clientId}\0${job.sid ?? `sub:${job.sub}`}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/**
 * What a revocation deleted that a relying party may still be acting on: provider sessions,
 * and live tokens — an offline_access refresh token outlives the session it was issued in,
 * and the relying party's own session with it.
 */
export interface EndedArtefact {
  model: string;
  payload: { accountId?: unknown; authorizations?: unknown; clientId?: unknown; sid?: unknown };
}

/**
 * The (client, sid) pairs to announce for what ended: each authorization of an ended session,
 * and the login (the `sid` it was issued with) of each live token. Once each: a session and
 * its tokens name the same login, and the job id is derived from it.
 */
export function logoutsOfEnded(ended: EndedArtefact[]): BackchannelLogoutJob[] {
  const logouts = new Map<string, BackchannelLogoutJob>();
  const add = (logout: BackchannelLogoutJob) => logouts.set(backchannelLogoutJobId(logout), logout);
  for (const { model, payload } of ended) {
    if (typeof payload.accountId !== 'string') continue;
    if (model === 'Session' && payload.authorizations && typeof payload.authorizations === 'object') {
      for (const [clientId, authorization] of Object.entries(payload.authorizations as Record<string, { sid?: unknown }>)) {
        add({ clientId, sub: payload.accountId, ...(typeof authorization.sid === 'string' ? { sid: authorization.sid } : {}) });
      }
    } else if (model !== 'Session' && typeof payload.clientId === 'string' && typeof payload.sid === 'string') {
      add({ clientId: payload.clientId, sub: payload.accountId, sid: payload.sid });
    }
  }
  return [...logouts.values()];
}

const LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout';

/**
 * The logout token, built and signed as oidc-provider's own Client#backchannelLogout builds it
 * (§2.4: iss, aud, iat, exp, jti, events, sub and, when the client requires it, sid; no nonce).
 */
async function logoutTokenFor(provider: Provider, client: InstanceType<Provider['Client']>, job: BackchannelLogoutJob): Promise<string> {
  const token = new provider.IdToken({ sub: job.sub }, { client, ctx: undefined } as never) as InstanceType<Provider['IdToken']> & { mask: object; set(key: string, value: unknown): void };
  token.mask = { sub: null };
  token.set('events', { [LOGOUT_EVENT]: {} });
  token.set('jti', randomUUID());
  if (client.backchannelLogoutSessionRequired && job.sid) token.set('sid', job.sid);
  return (token as unknown as { issue(options: { use: string }): Promise<string> }).issue({ use: 'logout' });
}

/** The worker: POSTs the logout token; anything but 200/204 (§2.8) fails the job, which is retried. */
export function backchannelLogoutDelivery(providers: ProviderRef, log: Logger, options: { timeoutMs?: number } = {}) {
  return async (job: Job<BackchannelLogoutJob>): Promise<void> => {
    const provider = providers.current();
    const client = await provider.Client.find(job.data.clientId);
    // A client removed from the configuration since, or one that no longer registers a URI.
    if (!client?.backchannelLogoutUri) return;
    const response = await fetch(client.backchannelLogoutUri, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ logout_token: await logoutTokenFor(provider, client, job.data) }),
      signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
    });
    await response.body?.cancel();
    if (response.status !== 200 && response.status !== 204) {
      log.info({ client: job.data.clientId, status: response.status, retry: job.retryCount }, 'back-channel logout refused; will retry');
      throw new Error(`back-channel logout to ${job.data.clientId}: HTTP ${response.status}`);
    }
    log.info({ client: job.data.clientId, retry: job.retryCount }, 'back-channel logout delivered');
  };
}
