/**
 * The composition root: builds every part from the configuration and a database, wires
 * them together, and returns the Koa app. `main.ts` adds listening and shutdown; tests
 * call `buildServer` directly with their own database, clock and mailer.
 */
import type Koa from 'koa';
import type Provider from 'oidc-provider';
import { systemClock, type Clock } from './clock.js';
import type { Config } from './config/schema.js';
import type { ActivationDependencies } from './enrolment/activation-links.js';
import type { EmailOtpDependencies } from './factors/email-otp.js';
import { createPasswordHasher, type PasswordHasher } from './factors/password.js';
import type { TotpDependencies } from './factors/totp-service.js';
import { createApp } from './http/app.js';
import { createSmartcardTrustStore } from './factors/smartcard-trust.js';
import { certificateSource } from './interactions/client-certificate.js';
import type { SmartcardLogin } from './login/routes.js';
import { createRenderer } from './http/render.js';
import { createMailer, type Mailer } from './mail/mailer.js';
import { mailDelivery } from './mail/delivery.js';
import { createMailOutbox, type MailOutbox } from './mail/outbox.js';
import { startJobQueue, type JobQueue } from './jobs/queue.js';
import type { Logger } from './observability/logger.js';
import { countEmail, createMetrics, type Metrics } from './observability/metrics.js';
import { createLifecycle, type Lifecycle } from './observability/lifecycle.js';
import { loadProviderKeys, type ProviderKeys } from './oidc/keys.js';
import { createProvider } from './oidc/provider.js';
import { createProviderHost, type ProviderHost } from './oidc/provider-host.js';
import { loadSecretBox } from './secrets/load.js';
import type { SecretBox } from './secrets/secret-box.js';
import type { Database } from './store/database.js';
import { createPhasePolicy, type PhasePolicy } from './policy/phase-policy.js';
import { createQueries, type Queries } from './store/index.js';
import { purgeExpiredOidcPayloads } from './store/oidc-adapter.js';
import { postgresRateLimits, purgeExpiredRateLimits } from './store/rate-limits.js';
import { NO_RATE_LIMITS, type RateLimits } from './policy/rate-limits.js';

export interface Server {
  app: Koa;
  /** This node's oidc-provider instance now (replaced when signing keys rotate). */
  readonly provider: Provider;
  /** Holds the provider; `refresh()` picks up rotated signing keys at once instead of at the next poll. */
  providers: ProviderHost;
  queries: Queries;
  hasher: PasswordHasher;
  keys: ProviderKeys;
  box: SecretBox;
  totp: TotpDependencies;
  emailOtp: EmailOtpDependencies;
  /** What registering emails and sending activation links needs (also used by the CLI and tests). */
  activation: ActivationDependencies & { queries: Queries };
  /** The durable job queue this node creates jobs in and runs them from (mail). */
  jobs: JobQueue;
  /** Where every mail is queued, with the change that causes it. */
  outbox: MailOutbox;
  /** The migration phase in force, from configuration and the operator's controls in PostgreSQL. */
  policy: PhasePolicy;
  smartcard: SmartcardLogin | undefined;
  metrics: Metrics;
  limits: RateLimits;
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
  const issuer = new URL(config.issuer);
  const tlsOrigin = smartcard.tls && `https://${issuer.hostname}:${smartcard.tls.port}`;
  return {
    trust: createSmartcardTrustStore({ caFile: smartcard.caFile as string, crlFiles: smartcard.crlFiles, requireCrl: smartcard.requireCrl }, log),
    certificateOf: certificateSource({ tls: Boolean(smartcard.tls), proxy: smartcard.proxy }),
    loginOrigin: new URL(smartcard.loginUrl ?? tlsOrigin ?? issuer.origin).origin,
  };
}

export async function buildServer(config: Config, db: Database, log: Logger, options: ServerOptions = {}): Promise<Server> {
  const clock = options.clock ?? systemClock;
  const jobs = await startJobQueue(db, log, config.jobs, { workers: options.workers ?? true });
  const queries = createQueries(db, jobs);
  const hasher = createPasswordHasher(config.password.argon2);
  const render = createRenderer();
  const box = await loadSecretBox(config, db);
  const keys = await loadProviderKeys(config, db, box);
  const policy = createPhasePolicy(config.phases, queries.phaseControls, clock);
  const metrics = createMetrics({ policy, db, queries, clock });
  const mailer = options.mailer ?? createMailer(config.smtp, log);
  const outbox = createMailOutbox(box);
  const totp: TotpDependencies = {
    credentials: queries.totpCredentials,
    box,
    parameters: { algorithm: config.totp.algorithm, digits: config.totp.digits, period: config.totp.period, window: config.totp.window },
    issuer: config.totp.issuer,
    clock,
  };
  const emailOtp: EmailOtpDependencies = { queries, box, outbox, settings: config.emailOtp, clock, firstAttemptWaitMs: config.smtp.firstAttemptWaitMs };
  const activation: ActivationDependencies & { queries: Queries } = {
    queries,
    outbox,
    clock,
    issuer: config.issuer,
    settings: config.activation,
    policy,
    log,
  };
  const smartcard = config.smartcard.caFile ? smartcardLogin(config, log) : undefined;
  const providers = await createProviderHost(
    keys.signing,
    (jwks) => createProvider({ config, db, queries, jwks, cookieKeys: keys.cookieKeys, render, log, policy }),
    log,
  );
  const limits = config.rateLimits.enabled ? postgresRateLimits(db, { ipv6PrefixLength: config.rateLimits.ipv6PrefixLength, limits: config.rateLimits }) : NO_RATE_LIMITS;
  const lifecycle = createLifecycle();
  const app = createApp({
    config,
    db,
    queries,
    provider: providers,
    hasher,
    render,
    cookieKeys: keys.cookieKeys,
    log,
    clock,
    totp,
    emailOtp,
    activation,
    box,
    policy,
    smartcard,
    metrics,
    limits,
    lifecycle,
  });

  if (options.workers ?? true) {
    // Mail queued by any node (or the CLI) is sent by whichever node's worker fetches it first.
    await jobs.work('mail', mailDelivery({ queries, mailer, outbox, clock, log, messageIdHost: new URL(config.issuer).hostname, count: countEmail(metrics) }));
  }

  let purgeTimer: NodeJS.Timeout | undefined;
  if (config.database.purgeIntervalSeconds > 0) {
    purgeTimer = setInterval(() => {
      const now = clock.now();
      Promise.all([
        purgeExpiredOidcPayloads(db),
        queries.loginProgress.purgeExpired(now),
        queries.enrolmentSessions.purgeExpired(now),
        queries.dmsSessions.purgeExpired(now, new Date(now.getTime() - config.dms.sessionIdleMinutes * 60_000)),
        purgeExpiredRateLimits(db),
      ]).then(
        ([artefacts, logins, enrolments, dmsSessions, rateLimits]) =>
          (artefacts || logins || enrolments || dmsSessions || rateLimits) && log.debug({ artefacts, logins, enrolments, dmsSessions, rateLimits }, 'purged expired state'),
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
    app,
    get provider() {
      return providers.current();
    },
    providers,
    queries,
    hasher,
    keys,
    box,
    totp,
    emailOtp,
    activation,
    jobs,
    outbox,
    policy,
    smartcard,
    metrics,
    limits,
    lifecycle,
    stop: async () => {
      clearInterval(purgeTimer);
      clearInterval(keysTimer);
      await jobs.stop();
      if (!options.mailer) mailer.close();
    },
  };
}
