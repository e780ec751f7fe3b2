/**
 * The outbox: every email is a job of the durable queue (pg-boss, schema `pgboss`, installed
 * by `migrate` after these migrations), created in the transaction of the change that causes
 * it.
 *
 * - activation_tokens.mail_job_id: the job that mails the link, set in the same transaction
 *   as the link; activation_tokens.mailed_at: when the mail server took that mail. A live
 *   link whose mail neither went out nor is still being tried (issued before this release, or
 *   given up) may never have reached the user: registering the same address again issues a
 *   new link, so re-running an upload repairs it.
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('activation_tokens', (table) => {
    table.uuid('mail_job_id');
    table.timestamp('mailed_at', { useTz: true });
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('activation_tokens', (table) => {
    table.dropColumn('mail_job_id');
    table.dropColumn('mailed_at');
  });
}
