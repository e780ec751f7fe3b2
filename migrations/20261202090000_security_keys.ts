/**
 * Phishing-resistant second factors and a way back in:
 *
 * - webauthn_credentials: a user's security keys and passkeys (WebAuthn), several per user,
 *   each named, with the signature counter and backup flags the spec says to keep, and how it
 *   was registered (during a login, vouched for by a smartcard, or on the security page).
 * - webauthn_challenges: each ceremony's challenge, stored hashed, single use (consumed by a
 *   delete), bound to the interaction (or security-page session) that asked for it and to
 *   its user, so any node can finish a ceremony another began and none can finish it twice.
 * - recovery_codes: ten single-use codes per user, stored hashed; a new set replaces the old.
 * - login_progress.chosen_factor: the second factor the user picked ("use another way") for
 *   this login, when it is not the one offered first.
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('webauthn_credentials', (table) => {
    table.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    table.uuid('user_id').notNullable().references('users.id').onDelete('CASCADE');
    table.text('credential_id').notNullable().unique();
    table.binary('public_key').notNullable();
    table.bigInteger('sign_count').notNullable().defaultTo(0);
    table.specificType('transports', 'text[]').notNullable().defaultTo('{}');
    table.text('device_type').notNullable();
    table.boolean('backed_up').notNullable();
    table.text('aaguid');
    table.text('name').notNullable();
    table.text('registered_with').notNullable();
    table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.timestamp('last_used_at', { useTz: true });
    table.index(['user_id']);
    table.check(`device_type in ('singleDevice', 'multiDevice')`, [], 'webauthn_credentials_device_type_check');
    table.check(`registered_with in ('login', 'smartcard', 'security_page', 'activation')`, [], 'webauthn_credentials_registered_with_check');
  });
  await knex.schema.createTable('webauthn_challenges', (table) => {
    table.text('challenge_hash').primary();
    table.uuid('user_id').notNullable().references('users.id').onDelete('CASCADE');
    table.text('purpose').notNullable();
    table.text('binding_hash').notNullable();
    table.timestamp('expires_at', { useTz: true }).notNullable();
    table.index(['expires_at']);
    table.check(`purpose in ('registration', 'authentication')`, [], 'webauthn_challenges_purpose_check');
  });
  await knex.schema.createTable('recovery_codes', (table) => {
    table.uuid('user_id').notNullable().references('users.id').onDelete('CASCADE');
    table.text('code_hash').notNullable();
    table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.timestamp('used_at', { useTz: true });
    table.primary(['user_id', 'code_hash']);
  });
  await knex.schema.alterTable('login_progress', (table) => {
    table.text('chosen_factor');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('login_progress', (table) => {
    table.dropColumn('chosen_factor');
  });
  await knex.schema.dropTable('recovery_codes');
  await knex.schema.dropTable('webauthn_challenges');
  await knex.schema.dropTable('webauthn_credentials');
}
