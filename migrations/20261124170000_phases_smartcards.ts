/**
 * Migration phases under operator control, and smartcard bindings.
 *
 * - phase_pins: at most one row, the phase an operator pinned with `phase set` (optionally
 *   until an instant). Every node reads it, so a pin takes effect cluster-wide with no restart.
 * - pilot_participants: participants in the connectivity test, who may log in with password
 *   + OTP during email registration.
 * - smartcard_bindings: which user a smartcard certificate logs in, by the SHA-256
 *   fingerprint of the whole certificate (unique, so a card opens exactly one account);
 *   issuer and serial are kept for revocation checks and for people reading the table.
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('phase_pins', (table) => {
    // A constant key: a second pin replaces the first instead of competing with it.
    table.boolean('singleton').primary().defaultTo(true);
    table.check('singleton', [], 'phase_pins_singleton_check');
    table.text('phase').notNullable();
    table.check(`phase in ('smartcard-only', 'email-registration', 'parallel-run', '2fa-only')`, [], 'phase_pins_phase_check');
    table.timestamp('until', { useTz: true });
    table.text('reason');
    table.text('set_by').notNullable();
    table.timestamp('set_at', { useTz: true }).notNullable();
  });

  await knex.schema.createTable('pilot_participants', (table) => {
    table.text('participant_id').primary().references('participants.id').onDelete('CASCADE');
    table.text('added_by').notNullable();
    table.timestamp('added_at', { useTz: true }).notNullable();
  });

  await knex.schema.createTable('smartcard_bindings', (table) => {
    table.bigIncrements('id');
    table.uuid('user_id').notNullable().references('users.id').onDelete('CASCADE');
    table.text('fingerprint_sha256').notNullable().unique();
    table.text('issuer').notNullable();
    table.text('serial').notNullable();
    table.text('subject').notNullable();
    table.timestamp('not_after', { useTz: true }).notNullable();
    table.text('created_by').notNullable();
    table.timestamp('created_at', { useTz: true }).notNullable();
    table.index(['user_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('smartcard_bindings');
  await knex.schema.dropTable('pilot_participants');
  await knex.schema.dropTable('phase_pins');
}
