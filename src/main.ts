/**
 * `npm start`: load and validate the configuration, open the database (embedded when no
 * DATABASE_URL), migrate, serve, and shut down cleanly on SIGTERM/SIGINT.
 */
import { createServer } from 'node:http';
import { ConfigError, loadConfig } from './config/load.js';
import { createLogger } from './observability/logger.js';
import { buildServer } from './server.js';
import { createSmartcardListener } from './http/smartcard-listener.js';
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
  // Smartcard files are checked now, so a wrong path stops start-up instead of every smartcard login.
  try {
    await server.smartcard?.trust.current();
  } catch (error) {
    process.stderr.write(`ccass-auth: smartcard.caFile / smartcard.crlFiles: ${error instanceof Error ? error.message : String(error)}\n`);
    await database.close();
    process.exit(78);
  }
  for (const problem of server.smartcard?.trust.problems() ?? []) log.error({ problem }, 'smartcard trust file cannot be used');
  const httpServer = createServer(server.app.callback());
  httpServer.keepAliveTimeout = 65_000; // longer than typical load balancer idle timeouts
  await new Promise<void>((resolve) => httpServer.listen(config.server.port, config.server.host, resolve));
  log.info({ issuer: config.issuer, host: config.server.host, port: config.server.port, embeddedDatabase: database.embedded }, 'ccass-auth listening');
  const listeners: Array<{ close(callback: () => void): void; closeIdleConnections(): void }> = [httpServer];
  const tls = config.smartcard.tls;
  if (tls) {
    // Smartcard mode 1: the same app over TLS, asking every browser for a client certificate.
    let httpsServer;
    try {
      httpsServer = createSmartcardListener(tls, server.app.callback());
    } catch (error) {
      process.stderr.write(`ccass-auth: smartcard.tls.certFile / keyFile: ${error instanceof Error ? error.message : String(error)}\n`);
      await database.close();
      process.exit(78);
    }
    await new Promise<void>((resolve) => httpsServer.listen(tls.port, tls.host, resolve));
    listeners.push(httpsServer);
    log.info({ host: tls.host, port: tls.port, loginOrigin: server.smartcard?.loginOrigin }, 'smartcard TLS listener ready');
  }

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    server.stop();
    let open = listeners.length;
    const closed = () => {
      open -= 1;
      if (open > 0) return;
      database.close().then(
        () => process.exit(0),
        (error: unknown) => {
          log.error({ err: error }, 'error while closing the database');
          process.exit(1);
        },
      );
    };
    for (const listener of listeners) {
      listener.close(closed);
      listener.closeIdleConnections();
    }
    setTimeout(() => process.exit(1), 10_000).unref();
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((error: unknown) => {
  process.stderr.write(`ccass-auth: failed to start: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
  process.exit(1);
});
