/**
 * change_requests: a request approved after a deadline that stops what it would do (an address
 * or upload proposed before `deadlines.emailRegistration`, approved after it: no activation
 * link) has an outcome of its own, `deadline_passed`, with that deadline (`outcome_deadline`)
 * — no longer recorded as `stale`, whose words ("the user changed") are not why. Requests
 * already recorded stale for that reason (their `change_request.stale` audit record says
 * `because: deadline_passed`, with the deadline) become `deadline_passed`. The audit records
 * are not touched (append-only).
 */
import type { Knex } from 'knex';

const BEFORE = ['approved', 'rejected', 'expired', 'stale'];
const AFTER = [...BEFORE, 'deadline_passed'];
const check = (outcomes: string[]) => `check (outcome is null or outcome in (${outcomes.map((outcome) => `'${outcome}'`).join(', ')}))`;

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`alter table change_requests drop constraint change_requests_outcome_check, add constraint change_requests_outcome_check ${check(AFTER)}`);
  await knex.schema.alterTable('change_requests', (table) => table.timestamp('outcome_deadline', { useTz: true }));
  await knex.raw(`
    update change_requests r
       set outcome = 'deadline_passed', outcome_deadline = (a.details->>'deadline')::timestamptz
      from audit_events a
     where r.outcome = 'stale'
       and a.type = 'change_request.stale'
       and a.participant_id = r.participant_id
       and a.details->>'request' = r.id::text
       and a.details->>'because' = 'deadline_passed'
       and a.details->>'deadline' is not null`);
  await knex.raw(`alter table change_requests add constraint change_requests_outcome_deadline_check check ((outcome is not distinct from 'deadline_passed') = (outcome_deadline is not null))`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`alter table change_requests drop constraint change_requests_outcome_deadline_check`);
  await knex('change_requests').where({ outcome: 'deadline_passed' }).update({ outcome: 'stale' });
  await knex.schema.alterTable('change_requests', (table) => table.dropColumn('outcome_deadline'));
  await knex.raw(`alter table change_requests drop constraint change_requests_outcome_check, add constraint change_requests_outcome_check ${check(BEFORE)}`);
}
