/**
 * Opens the database the configuration points at: DATABASE_URL when set, otherwise the
 * embedded PostgreSQL (started if needed). Used by the server and by the CLI alike.
 */
import type { Config } from '../config/schema.js';
import type { Logger } from '../observability/logger.js';
import { connectDatabase, type Database } from './database.js';
import { startEmbeddedPostgres } from './embedded-postgres.js';

export interface OpenDatabase {
  db: Database;
  embedded: boolean;
  close(): Promise<void>;
}

export async function openDatabase(config: Config, log: Logger): Promise<OpenDatabase> {
  if (config.database.url) {
    const db = connectDatabase(config.database.url, config.database.pool, { warn: (message) => log.warn({ detail: message }, 'database connection') });
    return { db, embedded: false, close: () => db.destroy() };
  }
  const embedded = await startEmbeddedPostgres(config.database.embedded, log);
  const db = connectDatabase(embedded.url, config.database.pool, { warn: (message) => log.warn({ detail: message }, 'database connection') });
  return {
    db,
    embedded: true,
    close: async () => {
      await db.destroy();
      await embedded.stop();
    },
  };
}
