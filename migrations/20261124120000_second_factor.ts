/**
 * Second factors and the state of a login between its steps.
 *
 * - users.second_factor: the method the user enrolled ('totp' | 'email'), null until then.
 * - users.failed_attempts / locked_until: consecutive failures across password and OTP, and the lock they lead to.
 * - totp_credentials: the active TOTP secret, encrypted (AES-256-GCM, key id kept with it), and
 *   the last accepted time step, which makes a code single-use across every node (RFC 6238 §5.2).
 * - totp_enrolments: a secret shown as a QR code but not yet confirmed by a valid code; it
 *   replaces the active one only when confirmed (so a change of phone never leaves a gap).
 * - email_otp_challenges: emailed codes, stored as keyed hashes, with attempts and consumption.
 * - login_progress: which factors this login (interaction) has proven so far, for which user,
 *   and whether the user asked to change their second factor.
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('users', (table) => {
    table.text('second_factor');
    table.integer('failed_attempts').notNullable().defaultTo(0);
    table.timestamp('locked_until', { useTz: true });
    table.check(`second_factor in ('totp', 'email')`, [], 'users_second_factor_check');
  });

  await knex.schema.createTable('totp_credentials', (table) => {
    table.uuid('user_id').primary().references('users.id').onDelete('CASCADE');
    table.text('secret_ciphertext').notNullable();
    table.text('algorithm').notNullable();
    table.integer('digits').notNullable();
    table.integer('period').notNullable();
    table.bigInteger('last_used_step');
    table.timestamp('confirmed_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });

  await knex.schema.createTable('totp_enrolments', (table) => {
    table.uuid('user_id').primary().references('users.id').onDelete('CASCADE');
    table.text('secret_ciphertext').notNullable();
    table.text('algorithm').notNullable();
    table.integer('digits').notNullable();
    table.integer('period').notNullable();
    table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });

  await knex.schema.createTable('email_otp_challenges', (table) => {
    table.bigIncrements('id');
    table.uuid('user_id').notNullable().references('users.id').onDelete('CASCADE');
    table.text('interaction_hash').notNullable();
    table.text('code_hash').notNullable();
    table.integer('attempts').notNullable().defaultTo(0);
    table.timestamp('created_at', { useTz: true }).notNullable();
    table.timestamp('expires_at', { useTz: true }).notNullable();
    table.timestamp('consumed_at', { useTz: true });
    table.index(['user_id', 'created_at']);
    table.index(['interaction_hash']);
  });

  await knex.schema.createTable('login_progress', (table) => {
    table.text('interaction_hash').primary();
    table.uuid('user_id').notNullable().references('users.id').onDelete('CASCADE');
    table.specificType('factors', 'text[]').notNullable();
    table.boolean('change_method').notNullable().defaultTo(false);
    table.timestamp('expires_at', { useTz: true }).notNullable();
    table.index(['expires_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('login_progress');
  await knex.schema.dropTable('email_otp_challenges');
  await knex.schema.dropTable('totp_enrolments');
  await knex.schema.dropTable('totp_credentials');
  await knex.schema.alterTable('users', (table) => {
    table.dropChecks(['users_second_factor_check']);
    table.dropColumn('locked_until');
    table.dropColumn('failed_attempts');
    table.dropColumn('second_factor');
  });
}
