/**
 * The durable job queue: pg-boss, in this server's own PostgreSQL (schema `pgboss`). Work that
 * a change causes — today every email — is created as a job in the same transaction as the
 * change, so it exists exactly when the change does; any node's workers run it after the
 * commit, retry it until it succeeds, and pick it up again when the node that held it dies
 * (a job whose heartbeat stops is retried elsewhere). pg-boss was chosen over a home-made
 * loop for exactly those guarantees (SKIP LOCKED fetching, retries with backoff, expiry,
 * heartbeats, LISTEN/NOTIFY wake-ups) and for its knex adapter, which puts a job in our
 * transaction.
 *
 * The schema and the queues are installed by `migrate` (like our own tables); a node checks
 * that they are there and refuses to start otherwise.
 */
import { createHash } from 'node:crypto';
import { PgBoss, fromKnex, type Job } from 'pg-boss';
import type { Logger } from '../observability/logger.js';
import { isTransientDatabaseError } from '../store/transient-errors.js';
import { databaseUrlOf, type Database } from '../store/database.js';
import { convertToKeyStrictFifo, installedQueueCount, JOB_APPLICATION_NAME, JOB_SCHEMA, MIGRATE_APPLICATION_NAME } from '../store/job-schema.js';

/**
 * The key that orders mail to `address` (see QUEUES.mail): a hash of the address in lower
 * case, so that one mailbox spelt two ways is one key, and pg-boss's index holds no address.
 */
export function recipientKey(address: string): string {
  return createHash('sha256').update(address.trim().toLowerCase()).digest('hex');
}

/** Every queue, with how its jobs are retried. */
export const QUEUES = {
  /**
   * Outgoing mail. Retried until the mail server takes it (a 5xx refusal is final and is not
   * retried), after about 1, 2, 4, … seconds, at most 5 minutes apart; a job is kept for 7 days,
   * then given up. A worker
   * that stops beating its heart for 10 s (a killed node) has its job run elsewhere.
   *
   * In order of cause per recipient: each job's singletonKey is its recipient's key
   * (recipientKey; a one-time code has a key of its own and waits behind nothing: see orderKey
   * in mail/outbox.ts), and pg-boss's `key_strict_fifo` policy hands out only the head of each key —
   * its oldest job still waiting, by created_on then id — and none of a key while one of its jobs
   * is active, waiting for a retry, or failed (pg-boss types.d.ts, QueuePolicy; its fetch query's
   * strict_fifo_heads, and the unique index job_i8 on (name, singleton_key) for those states).
   * A job is created in the transaction of its cause, so created_on is the order of the causes
   * (mails of one transaction share it; the id orders them). Why this and not a check in the
   * worker: the order is kept by the fetch itself, on every node at once (one indexed query,
   * job_i10), so no worker ever holds a mail it must not send yet — no deferral that would
   * count as a failed attempt and stretch the backoff, no lost or re-created job (the id stays
   * the Message-ID). `group`/`groupConcurrency` only bound how many run at once, not which goes
   * first. Other recipients' keys are fetched as usual: a mailbox answering 4xx for hours
   * holds back only its own later mails. A mail dropped or given up (5xx) completes, and the
   * next one to that address is the head at once. Only a job pg-boss fails for good (its
   * retries spent, which takes longer than its 7 days' retention) would hold its key, until it
   * is deleted a day later.
   */
  mail: {
    policy: 'key_strict_fifo',
    notify: true,
    retryLimit: 5000,
    retryDelay: 1,
    retryBackoff: true,
    retryDelayMax: 300,
    expireInSeconds: 120,
    heartbeatSeconds: 10,
    retentionSeconds: 7 * 86_400,
    deleteAfterSeconds: 86_400,
  },
  /**
   * Back-Channel Logout 1.0 logout tokens to relying parties, one job per (client, session)
   * ended. Retried like mail until the relying party answers 200 or 204, for a day: a logout
   * token that comes later than that ends a session the relying party has long timed out.
   */
  backchannel_logout: {
    notify: true,
    retryLimit: 5000,
    retryDelay: 1,
    retryBackoff: true,
    retryDelayMax: 300,
    expireInSeconds: 60,
    heartbeatSeconds: 10,
    retentionSeconds: 86_400,
    deleteAfterSeconds: 86_400,
  },
  /**
   * The reminders' clock tick (src/reminders/tick.ts): made by pg-boss's cron (SCHEDULES below)
   * on one node of the cluster at a time, it queues the reminders, digests and reports due then
   * as `mail` jobs. A tick is safe to run twice, so one that fails or whose node dies is simply
   * run again, a little later.
   */
  reminders_tick: {
    notify: true,
    retryLimit: 10,
    retryDelay: 30,
    retryBackoff: true,
    retryDelayMax: 600,
    expireInSeconds: 900,
    heartbeatSeconds: 10,
    retentionSeconds: 86_400,
    deleteAfterSeconds: 86_400,
  },
  /**
   * A change request's expiry (src/dms/change-requests.ts): one job per request, created in the
   * request's own transaction and due when the request expires (startAfter), so it waits up to
   * `makerChecker.requestTtlHours` as `created`. Whichever node fetches it records the expiry and
   * queues the maker's mail in one transaction; a request decided by then is left alone, so a
   * job run twice does nothing the second time.
   */
  change_request_expiry: {
    notify: true,
    retryLimit: 10,
    retryDelay: 30,
    retryBackoff: true,
    retryDelayMax: 600,
    expireInSeconds: 300,
    heartbeatSeconds: 10,
    retentionSeconds: 86_400,
    deleteAfterSeconds: 86_400,
  },
} as const;

/**
 * Jobs pg-boss makes by itself on a cron (UTC), whichever nodes run: one occurrence is one job
 * across the cluster. Ticking every 10 minutes puts a reminder out within 10 minutes of its day.
 */
export const SCHEDULES: ReadonlyArray<{ queue: QueueName; cron: string }> = [{ queue: 'reminders_tick', cron: '*/10 * * * *' }];

export type QueueName = keyof typeof QUEUES;

export { JOB_SCHEMA };

export interface JobQueueSettings {
  /** How often the queue looks for jobs of dead workers and refreshes its statistics. */
  monitorIntervalSeconds: number;
  /** Polling interval when LISTEN/NOTIFY is not available (and as its backstop). */
  pollingIntervalSeconds: number;
  /** Jobs run at once by this node, per queue. */
  concurrency: number;
}

export interface JobQueue {
  /**
   * Creates a job in `db`'s transaction when `db` is one: it exists if and only if the
   * transaction commits. `id` names the job (a UUID); a second job with the same id is not made.
   */
  send(db: Database, name: QueueName, data: object, options: { id: string; startAfter?: Date; singletonKey?: string }): Promise<void>;
  /** Runs jobs of `name` on this node until stop(). */
  work<T extends object>(name: QueueName, handler: (job: Job<T>) => Promise<void>): Promise<void>;
  /** Stops this node's workers (an active job gets `timeoutMs` to finish) and the queue's connections. */
  stop(timeoutMs?: number): Promise<void>;
}

function boss(db: Database, options: ConstructorParameters<typeof PgBoss>[0] & object): PgBoss {
  return new PgBoss({ connectionString: databaseUrlOf(db), schema: JOB_SCHEMA, application_name: JOB_APPLICATION_NAME, ...options });
}

/** Installs or upgrades the queue's schema and creates the queues (part of `migrate`). */
export async function installJobQueue(db: Database): Promise<void> {
  const installer = boss(db, { max: 2, supervise: false, schedule: false, migrate: true, application_name: MIGRATE_APPLICATION_NAME });
  installer.on('error', () => undefined);
  await installer.start();
  try {
    for (const [name, { policy = 'standard', ...options }] of Object.entries(QUEUES) as Array<[QueueName, (typeof QUEUES)[QueueName] & { policy?: string }]>) {
      const existing = await installer.getQueue(name);
      if (!existing) {
        await installer.createQueue(name, { policy, ...options });
        continue;
      }
      // A mail queue made by a release before mail went out in order per recipient: pg-boss
      // cannot change a queue's policy (updateQueue refuses), so the store does (see there).
      if ((existing.policy ?? 'standard') !== policy) {
        if (name !== 'mail' || policy !== 'key_strict_fifo') throw new Error(`queue ${name} has policy ${existing.policy}, not ${policy}`);
        await convertToKeyStrictFifo(db, name, (data) => recipientKey(String((data as { to?: unknown }).to ?? '')));
      }
      await installer.updateQueue(name, options);
    }
    for (const { queue, cron } of SCHEDULES) await installer.schedule(queue, cron);
  } finally {
    await installer.stop({ graceful: false, close: true });
  }
}

/** Whether the queue's schema and every queue exist (a node refuses to start without them). */
export async function jobQueueInstalled(db: Database): Promise<boolean> {
  return (await installedQueueCount(db, Object.keys(QUEUES))) === Object.keys(QUEUES).length;
}

/**
 * The queue for this process. `workers: false` (the CLI) only creates jobs; a server node also
 * runs them.
 */
export async function startJobQueue(db: Database, log: Logger, settings: JobQueueSettings, options: { workers: boolean }): Promise<JobQueue> {
  const instance = boss(db, {
    max: options.workers ? 2 + settings.concurrency : 2,
    migrate: false,
    supervise: options.workers,
    // A server node keeps the cron schedules (SCHEDULES); pg-boss makes each occurrence once.
    schedule: options.workers,
    useListenNotify: options.workers,
    monitorIntervalSeconds: settings.monitorIntervalSeconds,
    superviseIntervalSeconds: settings.monitorIntervalSeconds,
  });
  // pg-boss's errors carry the whole pg client: log what says what happened, not the connection.
  // A connection the database ended (a restart, a failover, the embedded cluster stopping with
  // a terminal's Ctrl-C) is a warning: pg-boss connects again, and a job in flight is retried.
  instance.on('error', (error) => {
    const fields = { error: error.message, code: (error as { code?: unknown }).code };
    if (isTransientDatabaseError(error)) log.warn(fields, 'job queue lost a database connection; it reconnects');
    else log.error(fields, 'job queue error');
  });
  instance.on('warning', (warning) => log.warn({ warning: warning.message, data: warning.data }, 'job queue warning'));
  await instance.start();
  return {
    async send(within, name, data, { id, startAfter, singletonKey }) {
      await instance.send(name, data, { id, db: fromKnex(within), ...(startAfter ? { startAfter } : {}), ...(singletonKey ? { singletonKey } : {}) });
    },
    async work(name, handler) {
      // Up to `concurrency` jobs at once (of the mail queue, at most one per recipient — see
      // QUEUES.mail — so running a batch at once keeps each recipient's order); while batches
      // come back full (a backlog: an upload of hundreds, mail back after an outage) the worker
      // fetches again at once instead of waiting for the next wake-up.
      await instance.work(
        name,
        {
          batchSize: settings.concurrency,
          perJobResults: true,
          burstWhenBatchFull: true,
          pollingIntervalSeconds: settings.pollingIntervalSeconds,
          // Retries are not announced by NOTIFY (they are due later): polling finds them.
          notifyPollingIntervalSeconds: settings.pollingIntervalSeconds,
        },
        async (jobs) =>
          Promise.all(
            jobs.map(async (job) => {
              try {
                await handler(job as Job<never>);
              } catch (error) {
                return { id: job.id, status: 'failed' as const, output: { message: error instanceof Error ? error.message : String(error) } };
              }
              // Completed as soon as it is done, not with the slowest of its batch: a node killed
              // meanwhile would otherwise have a mail that went out sent once more. (Settling the
              // batch afterwards leaves a job completed here as it is.)
              await instance.complete(name, { id: job.id, retryCount: job.retryCount }).catch((error: unknown) => log.warn({ error: String(error), job: job.id }, 'job done but not marked completed; it may run again'));
              return { id: job.id, status: 'completed' as const };
            }),
          ),
      );
    },
    async stop(timeoutMs = 5000) {
      await instance.stop({ graceful: true, timeout: timeoutMs, close: true });
    },
  };
}
