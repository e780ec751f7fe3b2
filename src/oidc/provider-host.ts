/**
 * Holds this node's oidc-provider instance and replaces it when the signing keys change.
 * oidc-provider reads its keys once, when built; every piece of state it keeps (sessions,
 * interactions, codes, tokens) is in PostgreSQL, so a rebuilt instance carries on exactly
 * where the old one stopped, and requests already inside the old one finish there.
 */
import type Provider from 'oidc-provider';
import type { Logger } from '../observability/logger.js';
import type { Jwks } from './key-generation.js';
import type { SigningKeySource } from './keys.js';

export interface ProviderRef {
  current(): Provider;
}

export interface ProviderHost extends ProviderRef {
  /** The key version the current provider was built with. */
  keysVersion(): string;
  /** Checks the keys' version and rebuilds the provider if it changed; true when it did. */
  refresh(): Promise<boolean>;
}

export async function createProviderHost(source: SigningKeySource, build: (jwks: Jwks) => Provider, log: Logger): Promise<ProviderHost> {
  const initial = await source.load();
  let provider = build(initial.jwks);
  let version = initial.version;
  let running: Promise<boolean> | undefined;

  async function refreshOnce(): Promise<boolean> {
    if ((await source.version()) === version) return false;
    const next = await source.load();
    provider = build(next.jwks);
    log.info({ previous: version, current: next.version }, 'signing keys changed: provider rebuilt');
    version = next.version;
    return true;
  }

  return {
    current: () => provider,
    keysVersion: () => version,
    refresh() {
      // One refresh at a time: a poll that overlaps a slow one shares its answer.
      running ??= refreshOnce().finally(() => {
        running = undefined;
      });
      return running;
    },
  };
}
