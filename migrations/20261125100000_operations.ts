/**
 * Operations: signing keys that rotate without downtime, and what the readiness report needs.
 *
 * - signing_keys: the provider's signing keys when no `oidc.jwksFile` is configured. The
 *   private key is sealed with the secret box (`secrets.encryptionKeys`, AES-256-GCM, bound
 *   to the kid), so a database dump alone cannot sign tokens. A key is `staged` (published
 *   in the JWKS, not signing), `active` (signing; one per algorithm), `retiring` (published
 *   so tokens it signed still verify) and finally `retired` (unpublished; the private key
 *   is erased, the row kept as a record).
 * - users.last_smartcard_login_at / last_two_factor_login_at: when the user last completed
 *   a login each way, so the readiness report finds the users who still log in only by
 *   smartcard (they would be shut out at `2fa-only`) with one pass over `users` instead
 *   of a scan of the audit log. Backfilled from the audit log.
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('signing_keys', (table) => {
    table.text('kid').primary();
    table.text('alg').notNullable();
    table.text('state').notNullable();
    table.jsonb('public_jwk').notNullable();
    table.text('private_jwk_sealed');
    table.text('created_by').notNullable();
    table.timestamp('created_at', { useTz: true }).notNullable();
    table.timestamp('activated_at', { useTz: true });
    table.timestamp('retiring_at', { useTz: true });
    table.timestamp('retired_at', { useTz: true });
    table.check(`state in ('staged', 'active', 'retiring', 'retired')`, [], 'signing_keys_state_check');
    table.check(`(state = 'retired') = (private_jwk_sealed is null)`, [], 'signing_keys_private_check');
  });
  // At most one signing key per algorithm, enforced by the database rather than by care.
  await knex.raw(`create unique index signing_keys_one_active_per_alg on signing_keys (alg) where state = 'active'`);

  await knex.schema.alterTable('users', (table) => {
    table.timestamp('last_smartcard_login_at', { useTz: true });
    table.timestamp('last_two_factor_login_at', { useTz: true });
  });
  await knex.raw(`
    update users set
      last_smartcard_login_at = logins.smartcard,
      last_two_factor_login_at = logins.two_factor
    from (
      select participant_id, user_id,
        max(occurred_at) filter (where details->>'method' = 'smartcard') as smartcard,
        max(occurred_at) filter (where details->>'method' <> 'smartcard') as two_factor
      from audit_events
      where type = 'login' and outcome = 'success'
      group by participant_id, user_id
    ) logins
    where logins.participant_id = users.participant_id and logins.user_id = users.user_id`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('users', (table) => {
    table.dropColumn('last_two_factor_login_at');
    table.dropColumn('last_smartcard_login_at');
  });
  await knex.schema.dropTable('signing_keys');
}
