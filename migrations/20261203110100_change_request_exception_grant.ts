/**
 * change_requests: a DA's grant of a per-user exception (src/directory/user-exceptions.ts) is a
 * maker-checker action too (`exception_grant`, src/policy/maker-checker.ts): the closed list of
 * actions the table accepts grows by that one.
 */
import type { Knex } from 'knex';

const BEFORE = ['email', 'csv_upload', 'second_factor_reset', 'lock', 'unlock'];
const AFTER = [...BEFORE, 'exception_grant'];
const check = (actions: string[]) => `check (action in (${actions.map((action) => `'${action}'`).join(', ')}))`;

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`alter table change_requests drop constraint change_requests_action_check, add constraint change_requests_action_check ${check(AFTER)}`);
}

export async function down(knex: Knex): Promise<void> {
  await knex('change_requests').where({ action: 'exception_grant' }).delete();
  await knex.raw(`alter table change_requests drop constraint change_requests_action_check, add constraint change_requests_action_check ${check(BEFORE)}`);
}
