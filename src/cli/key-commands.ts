/**
 * `ccass-auth keys …`: the signing keys kept in the database, and their rotation with no
 * downtime: `add` (published, not signing) → wait → `promote` (signs; the old key stays
 * published) → wait until what the old key signed has expired → `retire`.
 */
import type { Command } from 'commander';
import type { Config } from '../config/schema.js';
import { ForbiddenError } from '../errors.js';
import { generateSigningKeys } from '../oidc/keys.js';
import { addSigningKey, lifecycleOf, promoteSigningKey, retireSigningKey, type KeyRotationDependencies } from '../oidc/signing-key-store.js';
import { ensureSigningKeys } from '../oidc/signing-key-store.js';
import { promotionRefusal, retirementRefusal, type RotationSettings } from '../policy/key-rotation.js';
import { formatHongKongTime } from '../policy/phases.js';
import { loadSecretBox } from '../secrets/load.js';
import type { SigningKeySummary } from '../store/signing-keys.js';
import type { Queries } from '../store/index.js';
import type { OpenDatabase } from '../store/open.js';
import { systemClock } from '../clock.js';

type WithDatabase = <T>(work: (context: { config: Config; database: OpenDatabase; queries: Queries }) => Promise<T>) => Promise<T>;

/** What the rotation waits for, from the configuration. */
export function rotationSettings(config: Config): RotationSettings {
  return {
    publishBeforeSigningSeconds: config.oidc.keys.publishBeforeSigningSeconds,
    // ID tokens verify for their lifetime, and come back as logout hints for a session's.
    keepAfterSigningSeconds: Math.max(config.oidc.ttl.idToken, config.oidc.ttl.session),
  };
}

function nextStep(key: SigningKeySummary, settings: RotationSettings, now: Date): string {
  const lifecycle = lifecycleOf(key);
  if (key.state === 'staged') {
    const refusal = promotionRefusal(lifecycle, now, settings);
    return refusal?.reason === 'too_soon' ? `promote after ${formatHongKongTime(refusal.notBefore)}` : 'ready to promote';
  }
  if (key.state === 'retiring') {
    const refusal = retirementRefusal(lifecycle, now, settings);
    return refusal?.reason === 'too_soon' ? `retire after ${formatHongKongTime(refusal.notBefore)}` : 'ready to retire';
  }
  return key.state === 'active' ? 'signing' : '-';
}

export function registerKeyCommands(program: Command, io: { out(text: string): void }, withDatabase: WithDatabase, actor: string): void {
  const keys = program.command('keys').description('signing keys (published in the JWKS; rotated without downtime)');

  /** The database's key store, with what rotating needs; refused when keys come from a file. */
  const withKeys = <T>(work: (deps: KeyRotationDependencies, config: Config) => Promise<T>) =>
    withDatabase(async ({ config, database, queries }) => {
      if (config.oidc.jwksFile) {
        throw new ForbiddenError(`signing keys come from oidc.jwksFile (${config.oidc.jwksFile}): rotate them by changing that file (see docs/runbook.md)`);
      }
      const box = await loadSecretBox(config, database.db);
      await ensureSigningKeys(database.db, queries.signingKeys, box);
      return work({ queries, box, settings: rotationSettings(config), now: () => systemClock.now() }, config);
    });

  keys
    .command('generate')
    .description('print a new JSON Web Key Set (RS256 + ES256 private keys) for oidc.jwksFile / JWKS_FILE')
    .action(async () => {
      io.out(`${JSON.stringify(await generateSigningKeys(), null, 2)}\n`);
    });

  keys
    .command('list')
    .description('list signing keys: staged (published), active (signing), retiring (published), retired')
    .option('--json', 'machine-readable output')
    .action((options: { json?: boolean }) =>
      withKeys(async (deps) => {
        const rows = await deps.queries.signingKeys.list();
        if (options.json) {
          io.out(`${JSON.stringify(rows.map(({ public_jwk: _public, ...row }) => row), null, 2)}\n`);
          return;
        }
        const now = deps.now();
        const table = rows.map((row) => [row.kid, row.alg, row.state, row.created_at.toISOString(), row.activated_at?.toISOString() ?? '-', nextStep(row, deps.settings, now)]);
        const header = ['KID', 'ALG', 'STATE', 'CREATED', 'SIGNING SINCE', 'NEXT'];
        const widths = header.map((title, column) => Math.max(title.length, ...table.map((row) => (row[column] ?? '').length)));
        for (const row of [header, ...table]) io.out(`${row.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  ').trimEnd()}\n`);
      }),
    );

  keys
    .command('add')
    .description('add a key: published in the JWKS from now on, signing only once promoted')
    .option('--alg <alg>', 'ES256 or RS256 (default: oidc.idTokenSigningAlg)')
    .action((options: { alg?: string }) =>
      withKeys(async (deps, config) => {
        const key = await addSigningKey(deps, (options.alg ?? config.oidc.idTokenSigningAlg).toUpperCase(), actor);
        const promoteAt = new Date(key.created_at.getTime() + deps.settings.publishBeforeSigningSeconds * 1000);
        io.out(`key ${key.kid} (${key.alg}) added and published; promote it after ${formatHongKongTime(promoteAt)} Hong Kong time: ccass-auth keys promote ${key.kid}\n`);
      }),
    );

  keys
    .command('promote')
    .description('make a staged key the signing key for its algorithm; the previous one keeps being published')
    .argument('<kid>')
    .option('--force', 'promote before the key has been published for oidc.keys.publishBeforeSigningSeconds')
    .action((kid: string, options: { force?: boolean }) =>
      withKeys(async (deps) => {
        const { key, replaced } = await promoteSigningKey(deps, kid, actor, options.force ?? false);
        const retireAt = new Date(deps.now().getTime() + deps.settings.keepAfterSigningSeconds * 1000);
        io.out(
          `key ${key.kid} now signs ${key.alg} (every node within oidc.keys.refreshSeconds)` +
            (replaced ? `; ${replaced} stays published until you retire it, after ${formatHongKongTime(retireAt)} Hong Kong time` : '') +
            '\n',
        );
      }),
    );

  keys
    .command('retire')
    .description('stop publishing a key that no longer signs, and erase its private key')
    .argument('<kid>')
    .option('--force', 'retire before tokens it signed have expired (they will no longer verify)')
    .action((kid: string, options: { force?: boolean }) =>
      withKeys(async (deps) => {
        const key = await retireSigningKey(deps, kid, actor, options.force ?? false);
        io.out(`key ${key.kid} retired: no longer published, private key erased\n`);
      }),
    );
}
