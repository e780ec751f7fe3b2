/**
 * The composition root: builds every part from the configuration and a database, wires
 * them together, and returns the Koa app. `main.ts` adds listening and shutdown; tests
 * call `buildServer` directly with their own database.
 */
import type Koa from 'koa';
import type Provider from 'oidc-provider';
import type { Config } from './config/schema.js';
import { createPasswordHasher, type PasswordHasher } from './factors/password.js';
import { createApp } from './http/app.js';
import { createRenderer } from './http/render.js';
import type { Logger } from './observability/logger.js';
import { loadProviderKeys, type ProviderKeys } from './oidc/keys.js';
import { createProvider } from './oidc/provider.js';
import type { Database } from './store/database.js';
import { createQueries, type Queries } from './store/index.js';
import { purgeExpiredOidcPayloads } from './store/oidc-adapter.js';

export interface Server {
  app: Koa;
  provider: Provider;
  queries: Queries;
  hasher: PasswordHasher;
  keys: ProviderKeys;
  /** Stops background work (the purge timer); the caller owns the database pool. */
  stop(): void;
}

export async function buildServer(config: Config, db: Database, log: Logger): Promise<Server> {
  const queries = createQueries(db);
  const hasher = createPasswordHasher(config.password.argon2);
  const render = createRenderer();
  const keys = await loadProviderKeys(config, db);
  const provider = createProvider({ config, db, queries, keys, render, log });
  const app = createApp({ config, db, queries, provider, hasher, render, cookieKeys: keys.cookieKeys, log });

  let purgeTimer: NodeJS.Timeout | undefined;
  if (config.database.purgeIntervalSeconds > 0) {
    purgeTimer = setInterval(() => {
      purgeExpiredOidcPayloads(db).then(
        (purged) => purged && log.debug({ purged }, 'purged expired oidc artefacts'),
        (error: unknown) => log.warn({ err: error }, 'purging expired oidc artefacts failed'),
      );
    }, config.database.purgeIntervalSeconds * 1000);
    purgeTimer.unref();
  }

  return { app, provider, queries, hasher, keys, stop: () => clearInterval(purgeTimer) };
}
