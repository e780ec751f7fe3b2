/**
 * change_requests: maker-checker for a DA's actions (src/dms/change-requests.ts). A DA's change
 * that needs a second DA waits here, with exactly what it will do (`effect`, plain data: for a
 * CSV upload the row-by-row preview the maker saw) and a fingerprint of the state it was
 * computed from, so that an approval after the user changed is refused as stale instead of
 * applied blindly. Nothing of a pending row has taken effect. `outcome` is null while pending;
 * a request past `expires_at` is expired whether or not a decision recorded it (reads compare
 * with the clock). Actions: src/policy/maker-checker.ts (the check repeats that closed list).
 *
 * participants.sole_da_exempt: the operator's flag that lets a firm with one active DA act
 * alone (`participant sole-da-exempt`), audited with its reason.
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('change_requests', (table) => {
    table.bigIncrements('id');
    table.text('participant_id').notNullable().references('participants.id');
    table.text('action').notNullable();
    /** The user acted on; null for a CSV upload (its rows name theirs). */
    table.uuid('target_user_id').references('users.id').onDelete('CASCADE');
    table.jsonb('effect').notNullable();
    table.text('fingerprint').notNullable();
    table.uuid('maker_id').notNullable().references('users.id');
    table.text('reason');
    table.timestamp('created_at', { useTz: true }).notNullable();
    table.timestamp('expires_at', { useTz: true }).notNullable();
    table.uuid('decided_by').references('users.id');
    table.timestamp('decided_at', { useTz: true });
    table.text('outcome');
    table.check(`action in ('email', 'csv_upload', 'second_factor_reset', 'lock', 'unlock')`, [], 'change_requests_action_check');
    table.check(`outcome is null or outcome in ('approved', 'rejected', 'expired', 'stale')`, [], 'change_requests_outcome_check');
    table.check(`(outcome is null) = (decided_at is null)`, [], 'change_requests_decided_check');
    table.check(`expires_at > created_at`, [], 'change_requests_expiry_check');
    table.index(['participant_id', 'created_at']);
  });
  await knex.schema.alterTable('participants', (table) => {
    table.boolean('sole_da_exempt').notNullable().defaultTo(false);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('participants', (table) => table.dropColumn('sole_da_exempt'));
  await knex.schema.dropTable('change_requests');
}
