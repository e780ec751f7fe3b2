/**
 * `npm start`: load and validate the configuration, open the database (embedded when no
 * DATABASE_URL), migrate, serve, and shut down cleanly on SIGTERM/SIGINT.
 */
import { createServer } from 'node:http';
import { ConfigError, loadConfig } from './config/load.js';
import { createLogger } from './observability/logger.js';
import { buildServer } from './server.js';
import { migrateToLatest, pendingMigrationNames } from './store/migrate.js';
import { openDatabase } from './store/open.js';

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
  const database = await openDatabase(config, log);

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

  const server = await buildServer(config, database.db, log);
  const httpServer = createServer(server.app.callback());
  httpServer.keepAliveTimeout = 65_000; // longer than typical load balancer idle timeouts
  await new Promise<void>((resolve) => httpServer.listen(config.server.port, config.server.host, resolve));
  log.info({ issuer: config.issuer, host: config.server.host, port: config.server.port, embeddedDatabase: database.embedded }, 'ccass-auth listening');

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    server.stop();
    httpServer.close(() => {
      database.close().then(
        () => process.exit(0),
        (error: unknown) => {
          log.error({ err: error }, 'error while closing the database');
          process.exit(1);
        },
      );
    });
    httpServer.closeIdleConnections();
    setTimeout(() => process.exit(1), 10_000).unref();
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((error: unknown) => {
  process.stderr.write(`ccass-auth: failed to start: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
  process.exit(1);
});
