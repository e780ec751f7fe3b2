/**
 * The sockets a node serves on — the main port, the smartcard TLS port (mode 1) and the
 * metrics port, as configured — and a graceful shutdown of all of them:
 *
 * 1. readiness fails at once (`/readyz` 503), while the listeners keep serving for
 *    `server.shutdownDelaySeconds`, so the load balancer takes the node out first;
 * 2. the listeners stop accepting connections; idle keep-alive connections close, and
 *    busy ones close after their response (`Connection: close`);
 * 3. requests in flight get `server.shutdownTimeoutSeconds` to finish, then what is left
 *    is cut; background work stops. The caller closes the database pool last.
 */
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Config } from '../config/schema.js';
import type { Logger } from '../observability/logger.js';
import { createMetricsApp } from '../observability/metrics-endpoint.js';
import type { Server } from './server.js';
import { createSmartcardListener } from './smartcard-listener.js';

interface Listener {
  name: 'http' | 'smartcard-tls' | 'metrics';
  server: HttpServer;
}

export interface RunningListeners {
  /** Where each listener ended up (port 0 in configuration: a free port). */
  addresses: Record<Listener['name'], { host: string; port: number } | undefined>;
  /** Drains and closes everything; resolves when no connection is left. Safe to call twice. */
  shutdown(): Promise<void>;
}

/** A listener that could not be created from its configured files (exit code 78 in main). */
export class ListenerConfigError extends Error {
  override name = 'ListenerConfigError';
}

export async function startListeners(server: Server, config: Config, log: Logger): Promise<RunningListeners> {
  const listeners: Listener[] = [];
  const listen = async (name: Listener['name'], http: HttpServer, port: number, host: string) => {
    try {
      await new Promise<void>((resolve, reject) => {
        http.once('error', reject);
        http.listen(port, host, () => {
          http.off('error', reject);
          resolve();
        });
      });
    } catch (error) {
      await closeAll(listeners, 1000);
      const code = (error as NodeJS.ErrnoException).code;
      const key = name === 'http' ? 'server.host / server.port (HOST, PORT)' : name === 'metrics' ? 'metrics.host / metrics.port' : 'smartcard.tls.host / .port';
      const why = code === 'EADDRINUSE' ? 'the address is already in use (is another server running?)' : code === 'EACCES' ? 'permission denied (a port below 1024?)' : code === 'EADDRNOTAVAIL' ? 'this machine has no such address' : (error as Error).message;
      throw new ListenerConfigError(`cannot listen on ${host}:${port}: ${why}; see ${key}`);
    }
    listeners.push({ name, server: http });
  };

  const main = createServer(server.app.callback());
  main.keepAliveTimeout = 65_000; // longer than typical load balancer idle timeouts
  await listen('http', main, config.server.port, config.server.host);

  const tls = config.smartcard.tls;
  if (tls) {
    // Smartcard mode 1: the same app over TLS, asking every browser for a client certificate.
    let https;
    try {
      https = createSmartcardListener(tls, server.app.callback());
    } catch (error) {
      await closeAll(listeners, 1000);
      throw new ListenerConfigError(`smartcard.tls.certFile / keyFile: ${error instanceof Error ? error.message : String(error)}`);
    }
    await listen('smartcard-tls', https as unknown as HttpServer, tls.port, tls.host);
  }

  if (config.metrics.port) {
    await listen('metrics', createServer(createMetricsApp(server.metrics, config.metrics.token).callback()), config.metrics.port, config.metrics.host);
  }

  const addresses = { http: undefined, 'smartcard-tls': undefined, metrics: undefined } as RunningListeners['addresses'];
  for (const { name, server: http } of listeners) {
    const address = http.address() as AddressInfo;
    addresses[name] = { host: address.address, port: address.port };
  }

  let stopping: Promise<void> | undefined;
  return {
    addresses,
    shutdown() {
      stopping ??= (async () => {
        server.lifecycle.startDraining();
        log.info({ delaySeconds: config.server.shutdownDelaySeconds }, 'shutting down: readiness now fails; draining');
        await sleep(config.server.shutdownDelaySeconds * 1000);
        const cut = await closeAll(listeners, config.server.shutdownTimeoutSeconds * 1000);
        if (cut) log.warn({ connections: cut }, 'requests still in flight at the shutdown timeout: connections cut');
        await server.stop();
        log.info('listeners closed');
      })();
      return stopping;
    },
  };
}

/** Stops accepting, closes idle connections, waits for busy ones up to `timeoutMs`, then cuts them. Returns how many were cut. */
async function closeAll(listeners: readonly Listener[], timeoutMs: number): Promise<number> {
  let cut = 0;
  await Promise.all(
    listeners.map(
      ({ server }) =>
        new Promise<void>((resolve) => {
          const timer = setTimeout(() => {
            server.getConnections((_error, count) => {
              cut += count;
              server.closeAllConnections();
            });
          }, timeoutMs);
          server.close(() => {
            clearTimeout(timer);
            resolve();
          });
          server.closeIdleConnections();
        }),
    ),
  );
  return cut;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
