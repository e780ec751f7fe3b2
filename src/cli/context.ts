/**
 * What every command is given: the process's I/O, the operator's language and name, and the
 * services it opens per run (the database; with it, the mail outbox and security notices).
 * Built once per run by program.ts; tests build it with their own I/O.
 */
import type { Writable } from 'node:stream';
import { systemClock } from '../kernel/clock.js';
import { loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import type { Actor } from '../kernel/actor.js';
import type { Locale } from '../i18n/locales.js';
import { translator, type MessageParams, type Translatable, type Translate } from '../i18n/translate.js';
import { createLogger } from '../observability/logger.js';
import { createQueries, type Queries } from '../store/index.js';
import { openDatabase, type OpenDatabase } from '../store/open.js';
import { buildServices, type Services } from '../app/services.js';
import { cliOperator } from './operator.js';
import type { SecretInput } from './read-secret.js';

/** What the commands touch outside the database; tests pass their own. */
export interface CliIo {
  env: Record<string, string | undefined>;
  /** Standard output: results, for people or (with --json / --csv) for programs. */
  out: (text: string) => void;
  /** Standard error: failures, usage errors, prompts. */
  err: (text: string) => void;
  /** Where a new password is read from. */
  secrets: SecretInput;
  /** Where the CLI's own logs go (default: standard error). */
  logTo?: Writable | undefined;
}

export interface DatabaseContext {
  config: Config;
  database: OpenDatabase;
  queries: Queries;
}

export interface CliContext {
  io: CliIo;
  locale: Locale;
  t: Translate;
  /** The one actor the audit trail records for this run's changes. */
  operator: Actor;
  /** Prints one line of catalogue text on standard output. */
  say(text: Translatable, params?: MessageParams): void;
  /** Prints a value as JSON (machine output keeps ISO times). */
  json(value: unknown): void;
  /** The configuration, validated (exit 78 when it is not). */
  config(): Config;
  withDatabase<T>(work: (context: DatabaseContext) => Promise<T>): Promise<T>;
  /**
   * The database and the service's parts built on it (the same buildServices the server uses),
   * with a job queue that only creates jobs: mail and security notices are queued with each
   * change, in its transaction, and the server's nodes send them.
   */
  withServices<T>(work: (services: Services) => Promise<T>): Promise<T>;
}

export function createCliContext(io: CliIo, locale: Locale): CliContext {
  const t = translator(locale);
  let operator: Actor | undefined;
  let config: Config | undefined;
  // The CLI reports its own failures in one line each; its logs (stderr, so stdout stays clean
  // for piping) are for errors only unless LOG_LEVEL asks for more.
  const logger = () => createLogger(io.env['LOG_LEVEL'] || 'error', (io.logTo ?? process.stderr) as never);

  const context: CliContext = {
    io,
    locale,
    t,
    get operator() {
      operator ??= cliOperator(io.env);
      return operator;
    },
    say: (text, params) => io.out(`${t(text, params)}\n`),
    json: (value) => io.out(`${JSON.stringify(value, null, 2)}\n`),
    config: () => (config ??= loadConfig({ env: io.env })),

    async withDatabase(work) {
      const loaded = context.config();
      const database = await openDatabase(loaded, logger());
      try {
        return await work({ config: loaded, database, queries: createQueries(database.db) });
      } finally {
        await database.close();
      }
    },

    withServices(work) {
      return context.withDatabase(async ({ config: loaded, database }) => {
        const services = await buildServices(loaded, database.db, logger(), { clock: systemClock, workers: false });
        try {
          return await work(services);
        } finally {
          await services.stop();
        }
      });
    },
  };
  return context;
}
