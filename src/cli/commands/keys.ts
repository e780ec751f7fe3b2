/**
 * `ccass-auth keys …`: the signing keys kept in the database, and their rotation with no
 * downtime: `add` (published, not signing) → wait → `promote` (signs; the old key stays
 * published) → wait until what the old key signed has expired → `retire`. Refused (exit 5)
 * when keys come from oidc.jwksFile, and when a step is early unless forced.
 */
import type { Command } from 'commander';
import { systemClock } from '../../kernel/clock.js';
import type { Config } from '../../config/schema.js';
import { announcedHongKongTime, hongKongDateTime } from '../../i18n/locales.js';
import { msg, type Message } from '../../i18n/translate.js';
import { generateSigningKeys } from '../../oidc/keys.js';
import { addSigningKey, ensureSigningKeys, lifecycleOf, promoteSigningKey, retireSigningKey, type KeyRotationDependencies } from '../../oidc/signing-key-store.js';
import { promotionRefusal, retirementRefusal, type RotationSettings } from '../../policy/key-rotation.js';
import { loadSecretBox } from '../../secrets/load.js';
import type { SigningKeySummary } from '../../store/signing-keys.js';
import type { CliContext } from '../context.js';
import { CliError, EXIT } from '../failures.js';
import { table } from '../output.js';

/** What the rotation waits for, from the configuration. */
export function rotationSettings(config: Config): RotationSettings {
  return {
    publishBeforeSigningSeconds: config.oidc.keys.publishBeforeSigningSeconds,
    // ID tokens verify for their lifetime, and come back as logout hints for a session's.
    keepAfterSigningSeconds: Math.max(config.oidc.ttl.idToken, config.oidc.ttl.session),
  };
}

function nextStep(key: SigningKeySummary, settings: RotationSettings, now: Date, cli: CliContext): Message {
  const lifecycle = lifecycleOf(key);
  const at = (time: Date) => ({ time: hongKongDateTime(time, cli.locale) });
  if (key.state === 'staged') {
    const refusal = promotionRefusal(lifecycle, now, settings);
    return refusal?.reason === 'too_soon' ? msg('cli.keys.next.promoteAfter', at(refusal.notBefore)) : msg('cli.keys.next.promote');
  }
  if (key.state === 'retiring') {
    const refusal = retirementRefusal(lifecycle, now, settings);
    return refusal?.reason === 'too_soon' ? msg('cli.keys.next.retireAfter', at(refusal.notBefore)) : msg('cli.keys.next.retire');
  }
  return msg(key.state === 'active' ? 'cli.keys.next.signing' : 'cli.keys.next.none');
}

export function registerKeyCommands(program: Command, cli: CliContext): void {
  const { t } = cli;
  const keys = program.command('keys').description(t('cli.help.keys'));

  /** The database's key store, with what rotating needs; refused when keys come from a file. */
  const withKeys = <T>(work: (deps: KeyRotationDependencies, config: Config) => Promise<T>) =>
    cli.withDatabase(async ({ config, database, queries }) => {
      if (config.oidc.jwksFile) throw new CliError(EXIT.notAllowed, msg('cli.keys.fromFile', { file: config.oidc.jwksFile }));
      const box = await loadSecretBox(config, database.db);
      await ensureSigningKeys(database.db, queries.signingKeys, box);
      return work({ queries, box, settings: rotationSettings(config), now: () => systemClock.now() }, config);
    });

  keys
    .command('generate')
    .description(t('cli.help.keys.generate'))
    .action(async () => cli.json(await generateSigningKeys()));

  keys
    .command('list')
    .description(t('cli.help.keys.list'))
    .option('--json', t('cli.help.option.json'))
    .action((options: { json?: boolean }) =>
      withKeys(async (deps) => {
        const rows = await deps.queries.signingKeys.list();
        if (options.json) return cli.json(rows.map(({ public_jwk: _public, ...row }) => row));
        const now = deps.now();
        const header = (['kid', 'alg', 'state', 'created', 'signingSince', 'next'] as const).map((column) => t(`cli.keys.column.${column}`));
        cli.io.out(
          table(
            header,
            rows.map((row) => [
              row.kid,
              row.alg,
              t(`cli.keys.state.${row.state}`),
              hongKongDateTime(row.created_at, cli.locale),
              row.activated_at ? hongKongDateTime(row.activated_at, cli.locale) : '-',
              t(nextStep(row, deps.settings, now, cli)),
            ]),
          ),
        );
      }),
    );

  keys
    .command('add')
    .description(t('cli.help.keys.add'))
    .option('--alg <alg>', t('cli.help.option.alg'))
    .action((options: { alg?: string }) =>
      withKeys(async (deps, config) => {
        const key = await addSigningKey(deps, (options.alg ?? config.oidc.idTokenSigningAlg).toUpperCase(), cli.operator);
        const promoteAt = new Date(key.created_at.getTime() + deps.settings.publishBeforeSigningSeconds * 1000);
        cli.say(msg('cli.keys.added', { kid: key.kid, alg: key.alg, time: announcedHongKongTime(promoteAt, cli.locale) }));
      }),
    );

  keys
    .command('promote')
    .description(t('cli.help.keys.promote'))
    .argument('<kid>', t('cli.help.argument.kid'))
    .option('--force', t('cli.help.option.forcePromote'))
    .action((kid: string, options: { force?: boolean }) =>
      withKeys(async (deps) => {
        const { key, replaced } = await promoteSigningKey(deps, kid, cli.operator, options.force ?? false);
        const retireAt = new Date(deps.now().getTime() + deps.settings.keepAfterSigningSeconds * 1000);
        cli.say(
          replaced
            ? msg('cli.keys.promotedReplacing', { kid: key.kid, alg: key.alg, replaced, time: announcedHongKongTime(retireAt, cli.locale) })
            : msg('cli.keys.promoted', { kid: key.kid, alg: key.alg }),
        );
      }),
    );

  keys
    .command('retire')
    .description(t('cli.help.keys.retire'))
    .argument('<kid>', t('cli.help.argument.kid'))
    .option('--force', t('cli.help.option.forceRetire'))
    .action((kid: string, options: { force?: boolean }) =>
      withKeys(async (deps) => {
        const key = await retireSigningKey(deps, kid, cli.operator, options.force ?? false);
        cli.say(msg('cli.keys.retired', { kid: key.kid }));
      }),
    );
}
