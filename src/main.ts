/**
 * `npm start`: load and validate the configuration, open the database (embedded when no
 * DATABASE_URL), check the schema, serve, and drain and shut down cleanly on SIGTERM/SIGINT.
 */
import './runtime.js';
import { ConfigError, loadConfig } from './config/load.js';
import { createLogger } from './observability/logger.js';
import { buildServer } from './app/server.js';
import { ListenerConfigError, startListeners } from './app/listeners.js';
import { migrateToLatest, pendingMigrationNames } from './store/migrate.js';
import { openDatabase } from './store/open.js';
import { isTransientDatabaseError } from './store/transient-errors.js';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`ccass-auth: ${error.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw error;
  }
  const log = createLogger(config.log.level);
  let database;
  try {
    database = await openDatabase(config, log);
    if (database.embedded) {
      const applied = await migrateToLatest(database.db);
      if (applied.length) log.info({ applied }, 'database migrated');
    } else {
      // A shared database is migrated on purpose, by one operator, not by whichever node starts first.
      const pending = await pendingMigrationNames(database.db);
      if (pending.length) {
        log.fatal({ pending }, 'database schema is behind this version: run `npm run cli -- migrate` (or `ccass-auth migrate`) first');
        await database.close();
        process.exit(1);
      }
    }
  } catch (error) {
    // One line that says what to do, not a stack: the database is the first thing a new setup gets wrong.
    await database?.close().catch(() => undefined);
    process.stderr.write(`ccass-auth: ${describeDatabaseFailure(config.database.url, error)}\n`);
    process.exit(1);
  }

  const server = await buildServer(config, database.db, log);
  // Smartcard files are checked now, so a wrong path stops start-up instead of every smartcard login.
  try {
    await server.smartcard?.trust.current();
  } catch (error) {
    process.stderr.write(`ccass-auth: smartcard.caFile / smartcard.crlFiles: ${error instanceof Error ? error.message : String(error)}\n`);
    await database.close();
    process.exit(78);
  }
  for (const problem of server.smartcard?.trust.problems() ?? []) log.error({ problem }, 'smartcard trust file cannot be used');
  let running;
  try {
    running = await startListeners(server, config, log);
  } catch (error) {
    if (!(error instanceof ListenerConfigError)) throw error;
    process.stderr.write(`ccass-auth: ${error.message}\n`);
    await database.close();
    process.exit(78);
  }
  log.info({ issuer: config.issuer, listeners: running.addresses, embeddedDatabase: database.embedded, loginOrigin: server.smartcard?.loginOrigin }, 'ccass-auth listening');

  // SIGTERM (orchestrators) and SIGINT (a terminal): drain, close the listeners, then the pool.
  const stop = (signal: string) => {
    log.info({ signal }, 'signal received');
    // A connection whose owner has already let go of it (the job queue's listener) may still
    // hear the database stop under it: expected while stopping, and no reason to crash.
    process.on('uncaughtException', (error) => {
      if (isTransientDatabaseError(error)) return log.debug({ err: error }, 'a connection saw the database stop');
      log.fatal({ err: error }, 'uncaught error while shutting down');
      process.exit(1);
    });
    running.shutdown().then(
      () => database.close(),
    ).then(
      () => {
        log.info('stopped');
        process.exit(0);
      },
      (error: unknown) => {
        log.error({ err: error }, 'error while shutting down');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

/** Why the database could not be used, in one line, with the address (never the password). */
function describeDatabaseFailure(url: string | undefined, error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  if (!url) return `the embedded PostgreSQL could not start: ${message} (or set DATABASE_URL to a PostgreSQL server)`;
  const where = new URL(url);
  where.password = '';
  return `cannot use the database at ${where.toString().replace(/:@/, '@')}: ${message} (check DATABASE_URL; create the database first, e.g. createdb, and run \`ccass-auth migrate\`)`;
}

main().catch((error: unknown) => {
  process.stderr.write(`ccass-auth: failed to start: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
  process.exit(1);
});
