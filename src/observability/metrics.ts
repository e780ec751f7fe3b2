/**
 * Prometheus metrics (`GET /metrics`), one registry per server.
 *
 * Counters count what this node did (logins, failures, locks, emails, limits); Prometheus
 * sums them over nodes. Gauges that describe shared state (the phase, the users' progress
 * towards 2FA) are read from PostgreSQL when scraped, so every node reports the same value:
 * aggregate those with max(), not sum(). Labels come from fixed lists, never from input.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Clock } from '../kernel/clock.js';
import type { MailKind } from '../mail/mailer.js';
import { PHASES } from '../policy/phases.js';
import type { PhasePolicy } from '../policy/phase-policy.js';
import { readinessReport } from '../reports/readiness-report.js';
import type { Database } from '../store/database.js';
import type { ReadinessReportQueries } from '../store/readiness-report.js';
import type { JobQueries } from '../store/jobs.js';

export interface Metrics {
  registry: Registry;
  /** Completed and refused logins by method (password+otp, smartcard), outcome and phase. */
  logins: Counter<'method' | 'outcome' | 'phase'>;
  /** Wrong or replayed one-time codes, by method (totp, email). */
  secondFactorFailures: Counter<'method'>;
  /** Requests refused by a per-address limit, by limit. */
  rateLimited: Counter<'action'>;
  /** Accounts locked after repeated failures. */
  lockouts: Counter;
  /** Attempts to send queued mail by kind and outcome (sent, failed and to be retried, rejected for good, dropped as no longer valid). */
  emails: Counter<'kind' | 'outcome'>;
  /** Steps users took through activation on this node. */
  activationSteps: Counter<'step'>;
  /** Time to answer each request, by method, route (a template, never a raw path) and status class. */
  requestDuration: Histogram<'method' | 'route' | 'status'>;
}

export const ACTIVATION_STEPS = ['link_opened', 'password_set', 'second_factor_enrolled'] as const;
export type ActivationStep = (typeof ACTIVATION_STEPS)[number];

export interface MetricsSources {
  policy: PhasePolicy;
  db: Database;
  queries: { readinessReport: ReadinessReportQueries; jobs: Pick<JobQueries, 'depth'> };
  clock: Clock;
  /** How long the users' progress read from the database is reused between scrapes. */
  progressCacheSeconds?: number;
}

/** The activation funnel as gauges: users at or past each stage, cluster-wide. */
const FUNNEL: ReadonlyArray<readonly [string, (totals: Awaited<ReturnType<typeof readinessReport>>['totals']) => number]> = [
  ['users', (t) => t.users],
  ['email_registered', (t) => t.email_registered],
  ['activation_sent', (t) => t.activation_sent],
  ['activated', (t) => t.activated],
  ['password_set', (t) => t.password_set],
  ['second_factor_enrolled', (t) => t.totp + t.email_otp],
  ['ready', (t) => t.ready],
  ['locked', (t) => t.locked],
  ['smartcard_only', (t) => t.smartcard_only],
  ['smartcard_only_not_ready', (t) => t.smartcard_only_not_ready],
];

export function createMetrics(sources: MetricsSources): Metrics {
  const registry = new Registry();
  // Process CPU, memory, event-loop delay, GC and handles: the node's own health.
  collectDefaultMetrics({ register: registry });

  new Gauge({
    name: 'ccass_auth_phase',
    help: 'The migration phase in force on this node (1 for the current phase, 0 for the others)',
    labelNames: ['phase'],
    registers: [registry],
    async collect() {
      const { phase } = await sources.policy.current();
      for (const candidate of PHASES) this.set({ phase: candidate }, candidate === phase ? 1 : 0);
    },
  });
  new Gauge({
    name: 'ccass_auth_phase_next_switch_timestamp_seconds',
    help: 'When the next known phase switch happens (Unix time; 0 when none is scheduled)',
    registers: [registry],
    async collect() {
      const { next } = await sources.policy.current();
      this.set(next ? Math.floor(next.at.getTime() / 1000) : 0);
    },
  });

  let progress: { at: number; totals: Awaited<ReturnType<typeof readinessReport>>['totals'] } | undefined;
  const cacheMs = (sources.progressCacheSeconds ?? 15) * 1000;
  new Gauge({
    name: 'ccass_auth_users',
    help: 'Users (not disabled) at each stage towards password + OTP login, across all participants (the same on every node)',
    labelNames: ['stage'],
    registers: [registry],
    async collect() {
      const now = sources.clock.now();
      if (!progress || now.getTime() - progress.at > cacheMs) {
        progress = { at: now.getTime(), totals: (await readinessReport(sources.queries, { now })).totals };
      }
      for (const [stage, value] of FUNNEL) this.set({ stage }, value(progress.totals));
    },
  });

  // The durable job queue, cluster-wide (read from PostgreSQL on each scrape): what waits, for how long.
  // One query per scrape: the first gauge reads, the second reuses what it read moments ago.
  let depth: { at: number; rows: Awaited<ReturnType<JobQueries['depth']>> } | undefined;
  const jobDepth = async (fresh: boolean) => {
    const now = Date.now();
    if (fresh || !depth || now - depth.at > 1000) depth = { at: now, rows: await sources.queries.jobs.depth() };
    return depth.rows;
  };
  new Gauge({
    name: 'ccass_auth_jobs',
    help: 'Jobs of the durable queue by queue and state: queued (waiting for a first run or a retry), active, retrying (failed at least once), failed (given up) — the same on every node',
    labelNames: ['queue', 'state'],
    registers: [registry],
    async collect() {
      for (const row of await jobDepth(true)) {
        this.set({ queue: row.queue, state: 'queued' }, row.queued);
        this.set({ queue: row.queue, state: 'active' }, row.active);
        this.set({ queue: row.queue, state: 'retrying' }, row.retrying);
        this.set({ queue: row.queue, state: 'failed' }, row.failed);
      }
    },
  });
  new Gauge({
    name: 'ccass_auth_jobs_oldest_queued_seconds',
    help: 'How long the longest-waiting job has waited, by queue (0 when none waits; a job tried before counts from when it was queued, a job scheduled for later only from its time): mail that cannot go out grows it',
    labelNames: ['queue'],
    registers: [registry],
    async collect() {
      const now = sources.clock.now().getTime();
      for (const row of await jobDepth(false)) this.set({ queue: row.queue }, row.oldestQueuedAt ? Math.max(0, (now - row.oldestQueuedAt.getTime()) / 1000) : 0);
    },
  });

  // knex's pool (tarn): how many connections are busy, idle and waited for.
  const pool = () => (sources.db.client as { pool?: { numUsed(): number; numFree(): number; numPendingAcquires(): number; numPendingCreates(): number; max: number } }).pool;
  new Gauge({
    name: 'ccass_auth_db_pool_connections',
    help: 'Database pool connections by state (used, free), requests waiting for one (pending_acquire) and being opened (pending_create), and the maximum',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      const current = pool();
      if (!current) return;
      this.set({ state: 'used' }, current.numUsed());
      this.set({ state: 'free' }, current.numFree());
      this.set({ state: 'pending_acquire' }, current.numPendingAcquires());
      this.set({ state: 'pending_create' }, current.numPendingCreates());
      this.set({ state: 'max' }, current.max);
    },
  });

  return {
    registry,
    logins: new Counter({
      name: 'ccass_auth_logins_total',
      help: 'Login attempts that reached a verdict, by method, outcome and the phase in force',
      labelNames: ['method', 'outcome', 'phase'],
      registers: [registry],
    }),
    secondFactorFailures: new Counter({
      name: 'ccass_auth_second_factor_failures_total',
      help: 'Wrong, expired or replayed one-time codes, refused security-key assertions and wrong recovery codes, by method',
      labelNames: ['method'],
      registers: [registry],
    }),
    rateLimited: new Counter({
      name: 'ccass_auth_rate_limited_total',
      help: 'Requests refused because their address used up a limit, by limit',
      labelNames: ['action'],
      registers: [registry],
    }),
    lockouts: new Counter({
      name: 'ccass_auth_lockouts_total',
      help: 'Accounts locked after repeated failed attempts',
      registers: [registry],
    }),
    emails: new Counter({
      name: 'ccass_auth_emails_total',
      help: 'Attempts to hand a queued email to the mail server, by kind and outcome (sent; failed, to be retried; rejected, given up; dropped, no longer valid)',
      labelNames: ['kind', 'outcome'],
      registers: [registry],
    }),
    activationSteps: new Counter({
      name: 'ccass_auth_activation_steps_total',
      help: 'Steps of activation completed on this node: link opened, password set, second factor enrolled',
      labelNames: ['step'],
      registers: [registry],
    }),
    requestDuration: new Histogram({
      name: 'ccass_auth_http_request_duration_seconds',
      help: 'Time to answer HTTP requests, by method, route and status class',
      labelNames: ['method', 'route', 'status'],
      // Password logins cost one argon2 verification (tens of milliseconds); anything over a second is trouble.
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
  };
}

export function countEmail(metrics: Metrics): (kind: MailKind, outcome: 'sent' | 'failed' | 'rejected' | 'dropped') => void {
  return (kind, outcome) => metrics.emails.inc({ kind, outcome });
}
