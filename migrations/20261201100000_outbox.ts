/**
 * The outbox: every email is a job of the durable queue (pg-boss, schema `pgboss`, installed
 * by `migrate` after these migrations), created in the transaction of the change that causes
 * it.
 *
 * - activation_tokens.mail_job_id: the job that mails the link, set in the same transaction
 *   as the link. A live link without one was issued before this release and may never have
 *   been mailed (a crash between the two writes): registering the same address again issues
 *   a new link, so re-running an upload repairs it.
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('activation_tokens', (table) => {
    table.uuid('mail_job_id');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('activation_tokens', (table) => {
    table.dropColumn('mail_job_id');
  });
}
