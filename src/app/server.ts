/**
 * The composition root of a server node: the services (services.ts), and on them the signing
 * keys, oidc-provider, the Koa app, this node's mail worker and its timers. `main.ts` adds
 * listening and shutdown; tests call `buildServer` directly with their own database, clock and mailer.
 */
import type Koa from 'koa';
import type Provider from 'oidc-provider';
import type { Clock } from '../kernel/clock.js';
import type { Config } from '../config/schema.js';
import { createSmartcardTrustStore } from '../factors/smartcard-trust.js';
import { smartcardLoginOrigin } from './smartcard-listener.js';
import type { SmartcardLogin } from '../login/routes.js';
import { mailDelivery } from '../mail/delivery.js';
import { createMailer, type Mailer } from '../mail/mailer.js';
import type { Logger } from '../observability/logger.js';
import { createLifecycle, type Lifecycle } from '../observability/lifecycle.js';
import { countEmail } from '../observability/metrics.js';
import { loadProviderKeys, type ProviderKeys } from '../oidc/keys.js';
import { createProvider } from '../oidc/provider.js';
import { createProviderHost, type ProviderHost } from '../oidc/provider-host.js';
import type { Database } from '../store/database.js';
import { purgeExpiredOidcPayloads } from '../store/oidc-adapter.js';
import { ACCOUNT_SESSION_IDLE_MINUTES } from '../account/sign-in.js';
import { purgeExpiredRateLimits } from '../store/rate-limits.js';
import { certificateSource } from '../web/client-certificate.js';
import { createRenderer } from '../web/render.js';
import { createApp } from './app.js';
import { buildServices, type Services } from './services.js';
import { backchannelLogoutDelivery } from '../oidc/backchannel-logout.js';
import { runReminderTick } from '../reminders/tick.js';
import { recordExpiry, type ExpiryJob } from '../dms/change-requests.js';

export interface Server extends Services {
  app: Koa;
  /** This node's oidc-provider instance now (replaced when signing keys rotate). */
  readonly provider: Provider;
  /** Holds the provider; `refresh()` picks up rotated signing keys at once instead of at the next poll. */
  providers: ProviderHost;
  keys: ProviderKeys;
  smartcard: SmartcardLogin | undefined;
  /** Draining (shutting down) or not; readiness reports it. */
  lifecycle: Lifecycle;
  /** Stops background work (timers, this node's job workers) and the mailer; the caller owns the database pool. */
  stop(): Promise<void>;
}

export interface ServerOptions {
  clock?: Clock;
  mailer?: Mailer;
  /** Whether this node runs jobs (send mail); default true. A node that does not still queues them. */
  workers?: boolean;
}

/** Smartcard login as configured: trust material from files, certificates from TLS or the proxy. */
function smartcardLogin(config: Config, log: Logger): SmartcardLogin {
  const { smartcard } = config;
  return {
    trust: createSmartcardTrustStore({ caFile: smartcard.caFile as string, crlFiles: smartcard.crlFiles, requireCrl: smartcard.requireCrl }, log),
    certificateOf: certificateSource({ tls: Boolean(smartcard.tls), proxy: smartcard.proxy }),
    loginOrigin: smartcardLoginOrigin(config),
  };
}

export async function buildServer(config: Config, db: Database, log: Logger, options: ServerOptions = {}): Promise<Server> {
  const services = await buildServices(config, db, log, { ...(options.clock ? { clock: options.clock } : {}), workers: options.workers ?? true });
  const { clock, queries, box, policy, metrics, outbox } = services;
  const render = createRenderer();
  const keys = await loadProviderKeys(config, db, box);
  const mailer = options.mailer ?? createMailer(config.smtp, log);
  const smartcard = config.smartcard.caFile ? smartcardLogin(config, log) : undefined;
  const providers = await createProviderHost(
    keys.signing,
    (jwks) => createProvider({ config, db, queries, jwks, cookieKeys: keys.cookieKeys, render, log, policy, clock }),
    log,
  );
  const lifecycle = createLifecycle();
  const app = createApp(services, { provider: providers, render, cookieKeys: keys.cookieKeys, smartcard, lifecycle });

  if (options.workers ?? true) {
    // Mail queued by any node (or the CLI) is sent by whichever node's worker fetches it first.
    await services.jobs.work('mail', mailDelivery({ queries, mailer, outbox, clock, log, messageIdHost: new URL(config.issuer).hostname, count: countEmail(metrics) }));
    await services.jobs.work('backchannel_logout', backchannelLogoutDelivery(providers, log));
    // The reminders' cron tick: whichever node fetches it queues the reminders due (once each, see tick.ts).
    await services.jobs.work('reminders_tick', async () => {
      await runReminderTick(services.reminders);
    });
    // A change request's expiry, due when it expires: recorded, and its maker told (src/dms/change-requests.ts).
    await services.jobs.work<ExpiryJob>('change_request_expiry', async (job) => {
      await recordExpiry({ queries, outbox, clock, issuer: config.issuer }, job.data);
    });
  }

  let purgeTimer: NodeJS.Timeout | undefined;
  if (config.database.purgeIntervalSeconds > 0) {
    purgeTimer = setInterval(() => {
      const now = clock.now();
      Promise.all([
        purgeExpiredOidcPayloads(db),
        queries.loginProgress.purgeExpired(now),
        queries.webauthnChallenges.purgeExpired(now),
        queries.enrolmentSessions.purgeExpired(now),
        queries.dmsSessions.purgeExpired(now, new Date(now.getTime() - config.dms.sessionIdleMinutes * 60_000)),
        purgeExpiredRateLimits(db),
        queries.accountSessions.purgeExpired(now, new Date(now.getTime() - ACCOUNT_SESSION_IDLE_MINUTES * 60_000)),
      ]).then(
        ([artefacts, logins, enrolments, dmsSessions, rateLimits, accountSessions]) =>
          (artefacts || logins || enrolments || dmsSessions || rateLimits || accountSessions) &&
          log.debug({ artefacts, logins, enrolments, dmsSessions, rateLimits, accountSessions }, 'purged expired state'),
        (error: unknown) => log.warn({ err: error }, 'purging expired login state failed'),
      );
    }, config.database.purgeIntervalSeconds * 1000);
    purgeTimer.unref();
  }

  // Signing keys in the database can rotate: every node picks up a change within refreshSeconds.
  let keysTimer: NodeJS.Timeout | undefined;
  if (keys.signing.kind === 'database') {
    keysTimer = setInterval(() => {
      providers.refresh().catch((error: unknown) => log.warn({ err: error }, 'checking the signing keys failed; the current ones stay in use'));
    }, config.oidc.keys.refreshSeconds * 1000);
    keysTimer.unref();
  }

  return {
    ...services,
    app,
    get provider() {
      return providers.current();
    },
    providers,
    keys,
    smartcard,
    lifecycle,
    stop: async () => {
      clearInterval(purgeTimer);
      clearInterval(keysTimer);
      await services.stop();
      if (!options.mailer) mailer.close();
    },
  };
}
