/**
 * The service's parts, built once from the configuration and a database: the server builds
 * its web app on them, the CLI runs its commands on them, tests use the server's. Everything
 * a use case needs is a field here, so no module threads its own bag of dependencies.
 */
import { systemClock, type Clock } from '../kernel/clock.js';
import type { Config } from '../config/schema.js';
import type { ActivationDependencies } from '../enrolment/activation-links.js';
import type { EmailOtpDependencies } from '../factors/email-otp.js';
import { createPasswordHasher, type PasswordHasher } from '../factors/password.js';
import type { RecoveryCodeDependencies } from '../factors/recovery-codes.js';
import type { TotpDependencies } from '../factors/totp-service.js';
import { webauthnSettings, type WebauthnDependencies } from '../factors/webauthn.js';
import { smartcardLoginOrigin } from './smartcard-listener.js';
import { startJobQueue, type JobQueue } from '../jobs/queue.js';
import { createMailOutbox, type MailOutbox } from '../mail/outbox.js';
import { createSecurityNotices, type SecurityNotices } from '../mail/security-notices.js';
import type { Logger } from '../observability/logger.js';
import { createMetrics, type Metrics } from '../observability/metrics.js';
import { createPhasePolicy, type PhasePolicy } from '../policy/phase-policy.js';
import { NO_RATE_LIMITS, type RateLimits } from '../policy/rate-limits.js';
import { loadSecretBox } from '../secrets/load.js';
import type { SecretBox } from '../secrets/secret-box.js';
import type { Database } from '../store/database.js';
import { createQueries, type Queries } from '../store/index.js';
import { postgresRateLimits } from '../store/rate-limits.js';
import { deadlineCalendar } from '../reminders/calendar.js';
import { configuredDeadlines } from '../reminders/due-causes.js';
import { deadlineEnforcement, type DeadlineEnforcement } from '../reminders/enforcement.js';
import type { ExceptionLookup } from '../reminders/exceptions.js';
import type { ReminderDependencies } from '../reminders/tick.js';

export interface Services {
  config: Config;
  db: Database;
  log: Logger;
  clock: Clock;
  /** The durable job queue: this process creates jobs in it, and (a server node) runs them. */
  jobs: JobQueue;
  queries: Queries;
  hasher: PasswordHasher;
  box: SecretBox;
  /** Where every mail is queued, with the change that causes it. */
  outbox: MailOutbox;
  /** The security notices a change sends its user (queued with it). */
  notices: SecurityNotices;
  /** The migration phase in force, from configuration and the operator's controls in PostgreSQL. */
  policy: PhasePolicy;
  metrics: Metrics;
  /** Per-address limits on guessing and on mail sent. */
  limits: RateLimits;
  totp: TotpDependencies;
  emailOtp: EmailOtpDependencies;
  /** Security keys and passkeys: their settings (RP ID, origins) and where credentials and challenges are kept. */
  webauthn: WebauthnDependencies;
  recoveryCodes: RecoveryCodeDependencies;
  /** What registering emails and sending activation links needs. */
  activation: ActivationDependencies & { queries: Queries };
  /** The reminders before the deadlines (a tick of them: src/reminders/tick.ts). */
  reminders: ReminderDependencies;
  /** What a passed deadline stops, per user. */
  deadlines: DeadlineEnforcement;
  /** Stops the job queue (this process's workers); the caller owns the database pool. */
  stop(): Promise<void>;
}

export interface ServiceOptions {
  clock?: Clock;
  /** Whether this process runs jobs (a server node) or only creates them (the CLI). */
  workers: boolean;
}

export async function buildServices(config: Config, db: Database, log: Logger, options: ServiceOptions): Promise<Services> {
  const clock = options.clock ?? systemClock;
  const jobs = await startJobQueue(db, log, config.jobs, { workers: options.workers });
  const queries = createQueries(db, jobs, {
    backchannelLogoutClients: new Set(config.oidc.clients.filter((client) => client.backchannel_logout_uri).map((client) => client.client_id)),
  });
  const box = await loadSecretBox(config, db);
  const policy = createPhasePolicy(config.phases, queries.phaseControls, clock);
  const outbox = createMailOutbox(box, () => clock.now());
  const deadlines = configuredDeadlines(config);
  // Per-user exceptions lift a deadline for one user (src/store/user-exceptions.ts).
  const exceptions: ExceptionLookup = queries.userExceptions;
  const calendar = deadlineCalendar(config);
  const enforcement = deadlineEnforcement(deadlines, clock, exceptions, calendar);
  let metrics: Metrics | undefined;
  const totp: TotpDependencies = {
    credentials: queries.totpCredentials,
    box,
    parameters: { algorithm: config.totp.algorithm, digits: config.totp.digits, period: config.totp.period, window: config.totp.window },
    issuer: config.totp.issuer,
    clock,
  };
  return {
    config,
    db,
    log,
    clock,
    jobs,
    queries,
    hasher: createPasswordHasher(config.password.argon2),
    box,
    outbox,
    notices: createSecurityNotices({ outbox, now: () => clock.now() }),
    policy,
    // Made when first asked for (the server, at once): the CLI never needs them.
    get metrics() {
      return (metrics ??= createMetrics({ policy, db, queries, clock }));
    },
    limits: config.rateLimits.enabled ? postgresRateLimits(db, { ipv6PrefixLength: config.rateLimits.ipv6PrefixLength, limits: config.rateLimits }) : NO_RATE_LIMITS,
    totp,
    emailOtp: { queries, box, outbox, settings: config.emailOtp, clock, firstAttemptWaitMs: config.smtp.firstAttemptWaitMs },
    webauthn: {
      credentials: queries.webauthnCredentials,
      challenges: queries.webauthnChallenges,
      // The smartcard login's origin too: a user who logs in with the card may register a key right there.
      settings: webauthnSettings(config, config.smartcard.caFile ? [smartcardLoginOrigin(config)] : []),
      clock,
    },
    recoveryCodes: { codes: queries.recoveryCodes, box, clock },
    activation: { queries, outbox, clock, issuer: config.issuer, settings: config.activation, policy, log, deadlines: enforcement },
    reminders: { queries, outbox, clock, log, issuer: config.issuer, deadlines, settings: config.reminders, exceptions },
    deadlines: enforcement,
    stop: () => jobs.stop(),
  };
}
