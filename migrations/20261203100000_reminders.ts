/**
 * reminder_causes: each reminder, digest and readiness report queued before a deadline, by its
 * cause — (kind, deadline, the deadline's date, offset, recipient), src/reminders/due-causes.ts.
 * The row is written in the transaction that queues the mail, so a cause is queued once however
 * many nodes tick and however often a tick is retried, and long after pg-boss has deleted the
 * finished mail job (a day later) the cause is still known as done.
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('reminder_causes', (table) => {
    table.text('cause').primary();
    table.text('kind').notNullable();
    table.uuid('mail_job_id').notNullable();
    table.timestamp('queued_at', { useTz: true }).notNullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('reminder_causes');
}
