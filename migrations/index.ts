/**
 * The ordered list of migrations. Listing them (rather than letting knex scan a folder)
 * makes the same code run from TypeScript sources, from the compiled build and under Jest.
 * Add a new migration file and append it here; never edit one that has shipped.
 */
import type { Knex } from 'knex';
import * as directory from './20261124100000_directory.js';
import * as oidc from './20261124100100_oidc.js';
import * as secondFactor from './20261124120000_second_factor.js';
import * as onboarding from './20261124150000_onboarding.js';
import * as phasesSmartcards from './20261124170000_phases_smartcards.js';
import * as abuseResistance from './20261125090000_abuse_resistance.js';
import * as operations from './20261125100000_operations.js';
import * as outbox from './20261201100000_outbox.js';
import * as securityKeys from './20261202090000_security_keys.js';
import * as accountSessions from './20261202100000_account_sessions.js';
import * as userExceptions from './20261203090000_user_exceptions.js';
import * as reminders from './20261203100000_reminders.js';
import * as changeRequests from './20261203110000_change_requests.js';
import * as changeRequestExceptionGrant from './20261203110100_change_request_exception_grant.js';
import * as changeRequestDeadlinePassed from './20261203110200_change_request_deadline_passed.js';

export const migrations: ReadonlyArray<readonly [string, Knex.Migration]> = [
  ['20261124100000_directory', directory],
  ['20261124100100_oidc', oidc],
  ['20261124120000_second_factor', secondFactor],
  ['20261124150000_onboarding', onboarding],
  ['20261124170000_phases_smartcards', phasesSmartcards],
  ['20261125090000_abuse_resistance', abuseResistance],
  ['20261125100000_operations', operations],
  ['20261201100000_outbox', outbox],
  ['20261202090000_security_keys', securityKeys],
  ['20261202100000_account_sessions', accountSessions],
  ['20261203090000_user_exceptions', userExceptions],
  ['20261203100000_reminders', reminders],
  ['20261203110000_change_requests', changeRequests],
  ['20261203110100_change_request_exception_grant', changeRequestExceptionGrant],
  ['20261203110200_change_request_deadline_passed', changeRequestDeadlinePassed],
];
