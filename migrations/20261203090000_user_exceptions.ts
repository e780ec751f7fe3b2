/**
 * user_exceptions: a dated exception for one user from one date of the schedule (keep the
 * smartcard past the cut-off, use an activation link or enrol a second factor past its
 * deadline), with who granted it and why. It ends by itself: every read compares `until` with
 * the clock, so an expired row needs no clean-up to stop counting. At most one live row per
 * (user, kind): granting again ends the previous one (revoked_at/revoked_by) in the same
 * transaction, and the partial unique index makes a second live row impossible even under a race.
 * Kinds: src/policy/user-exception-kinds.ts (the check below repeats that closed list).
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('user_exceptions', (table) => {
    table.bigIncrements('id');
    table.uuid('user_id').notNullable().references('users.id').onDelete('CASCADE');
    table.text('kind').notNullable();
    table.timestamp('until', { useTz: true }).notNullable();
    table.text('reason').notNullable();
    table.text('granted_by').notNullable();
    table.timestamp('created_at', { useTz: true }).notNullable();
    table.timestamp('revoked_at', { useTz: true });
    table.text('revoked_by');
    table.check(`kind in ('smartcard_login', 'activation_deadline', 'second_factor_deadline')`, [], 'user_exceptions_kind_check');
    table.check(`length(btrim(reason)) > 0`, [], 'user_exceptions_reason_check');
    table.check(`until > created_at`, [], 'user_exceptions_until_check');
    table.index(['user_id']);
    table.index(['kind', 'until']);
  });
  await knex.raw('create unique index user_exceptions_one_live on user_exceptions (user_id, kind) where revoked_at is null');
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('user_exceptions');
}
