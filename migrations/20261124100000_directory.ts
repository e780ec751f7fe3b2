/**
 * Participants (CCASS Participants and Designated Banks) and their users. A user is
 * identified to people by (participant_id, user_id) and to relying parties by `id`, an
 * opaque UUID used as the OIDC `sub`, so renaming nothing ever changes a subject.
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('participants', (table) => {
    table.text('id').primary();
    table.text('name').notNullable();
    table.text('status').notNullable().defaultTo('active');
    table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.check(`status in ('active', 'suspended')`, [], 'participants_status_check');
  });

  await knex.schema.createTable('users', (table) => {
    table.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    table.text('participant_id').notNullable().references('participants.id').onDelete('RESTRICT');
    table.text('user_id').notNullable();
    table.text('display_name').notNullable();
    table.text('email');
    table.text('status').notNullable().defaultTo('pending');
    table.text('password_hash');
    table.timestamp('password_changed_at', { useTz: true });
    table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.unique(['participant_id', 'user_id']);
    table.check(`status in ('pending', 'active', 'disabled')`, [], 'users_status_check');
  });

  await knex.schema.createTable('audit_events', (table) => {
    table.bigIncrements('id');
    table.timestamp('occurred_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.text('type').notNullable();
    table.text('outcome').notNullable();
    table.text('actor');
    table.text('participant_id');
    table.text('user_id');
    table.text('client_id');
    table.text('ip');
    table.text('request_id');
    table.jsonb('details').notNullable().defaultTo('{}');
    table.index(['participant_id', 'occurred_at']);
    table.index(['occurred_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('audit_events');
  await knex.schema.dropTable('users');
  await knex.schema.dropTable('participants');
}
