/**
 * Onboarding by Delegated Administrators (DMS) and activation.
 *
 * - users.role: 'user', or 'da' for a Delegated Administrator, who administers the users of
 *   their own participant in DMS. A DA is also a user: they log in the same way.
 * - activation_tokens: the single-use links sent to a designated email address. Only the
 *   SHA-256 of the 256-bit token is stored; the address it was sent to is kept so that a
 *   link dies when the address changes; used_at / revoked_at make it single-use.
 * - enrolment_sessions: after the password is set through a link (which that uses up), the
 *   few minutes in which the user chooses and confirms a second factor. Keyed by a hash.
 * - dms_sessions: a DA's logged-in DMS session (hash of the cookie value), with idle and
 *   absolute expiry, shared by every node.
 * - audit_events becomes append-only: a trigger refuses UPDATE and DELETE, so a bug or an
 *   injected statement in the application cannot rewrite the trail.
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('users', (table) => {
    table.text('role').notNullable().defaultTo('user');
    table.check(`role in ('user', 'da')`, [], 'users_role_check');
  });

  await knex.schema.createTable('activation_tokens', (table) => {
    table.bigIncrements('id');
    table.uuid('user_id').notNullable().references('users.id').onDelete('CASCADE');
    table.text('token_hash').notNullable().unique();
    table.text('email').notNullable();
    table.timestamp('created_at', { useTz: true }).notNullable();
    table.timestamp('expires_at', { useTz: true }).notNullable();
    table.timestamp('used_at', { useTz: true });
    table.timestamp('revoked_at', { useTz: true });
    table.index(['user_id', 'created_at']);
  });

  await knex.schema.createTable('enrolment_sessions', (table) => {
    table.text('id_hash').primary();
    table.uuid('user_id').notNullable().references('users.id').onDelete('CASCADE');
    table.timestamp('created_at', { useTz: true }).notNullable();
    table.timestamp('expires_at', { useTz: true }).notNullable();
    table.index(['expires_at']);
  });

  await knex.schema.createTable('dms_sessions', (table) => {
    table.text('id_hash').primary();
    table.uuid('user_id').notNullable().references('users.id').onDelete('CASCADE');
    table.text('participant_id').notNullable();
    table.timestamp('created_at', { useTz: true }).notNullable();
    table.timestamp('last_seen_at', { useTz: true }).notNullable();
    table.timestamp('expires_at', { useTz: true }).notNullable();
    table.index(['user_id']);
    table.index(['expires_at']);
  });

  await knex.raw(`
    create function audit_events_append_only() returns trigger language plpgsql as $$
    begin
      raise exception 'audit_events is append-only (% refused)', tg_op using errcode = 'insufficient_privilege';
    end;
    $$;
  `);
  await knex.raw(`
    create trigger audit_events_append_only
    before update or delete on audit_events
    for each statement execute function audit_events_append_only();
  `);
  await knex.schema.alterTable('audit_events', (table) => {
    table.index(['participant_id', 'user_id', 'occurred_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('audit_events', (table) => {
    table.dropIndex(['participant_id', 'user_id', 'occurred_at']);
  });
  await knex.raw('drop trigger if exists audit_events_append_only on audit_events');
  await knex.raw('drop function if exists audit_events_append_only()');
  await knex.schema.dropTable('dms_sessions');
  await knex.schema.dropTable('enrolment_sessions');
  await knex.schema.dropTable('activation_tokens');
  await knex.schema.alterTable('users', (table) => {
    table.dropChecks(['users_role_check']);
    table.dropColumn('role');
  });
}
