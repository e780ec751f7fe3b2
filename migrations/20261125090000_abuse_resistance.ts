/**
 * Abuse resistance and session revocation.
 *
 * - users.lockout_count: locks since the user's last successful login. Each lock lasts
 *   longer than the one before (lockout.growthFactor), so a patient guesser gains little
 *   by waiting out the locks.
 * - rate_limits: rate-limiter-flexible's PostgreSQL store (its own column layout), so that
 *   per-address limits hold across every node. Created here rather than by the library at
 *   start-up: the application's database role needs no DDL rights.
 * - login_progress.change_password: the user asked to change their password during this
 *   login; the new one is set once both factors are proven, with the current one typed again.
 * - oidc_payloads.account_id: whose session, grant, code or token a row is, so that a
 *   password change, second-factor reset, lock or disable can end all of a user's access
 *   in one statement.
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('users', (table) => {
    table.integer('lockout_count').notNullable().defaultTo(0);
  });

  await knex.schema.alterTable('login_progress', (table) => {
    table.boolean('change_password').notNullable().defaultTo(false);
  });

  await knex.schema.createTable('rate_limits', (table) => {
    table.string('key', 255).primary();
    table.integer('points').notNullable().defaultTo(0);
    // Milliseconds since the epoch, as the library writes it.
    table.bigInteger('expire');
  });
  await knex.raw('create index rate_limits_expire_idx on rate_limits (expire)');

  await knex.schema.alterTable('oidc_payloads', (table) => {
    table.text('account_id');
  });
  await knex.raw(`update oidc_payloads set account_id = coalesce(payload->>'accountId', payload #>> '{session,accountId}')`);
  await knex.raw('create index oidc_payloads_account_idx on oidc_payloads (account_id) where account_id is not null');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop index if exists oidc_payloads_account_idx');
  await knex.schema.alterTable('oidc_payloads', (table) => {
    table.dropColumn('account_id');
  });
  await knex.schema.dropTable('rate_limits');
  await knex.schema.alterTable('login_progress', (table) => {
    table.dropColumn('change_password');
  });
  await knex.schema.alterTable('users', (table) => {
    table.dropColumn('lockout_count');
  });
}
