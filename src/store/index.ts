import { accountSessionQueries } from './account-sessions.js';
import { activationTokenQueries } from './activation-tokens.js';
import { auditQueries } from './audit.js';
import { changeRequestQueries } from './change-requests.js';
import type { Database } from './database.js';
import { dmsSessionQueries } from './dms-sessions.js';
import { emailOtpChallengeQueries } from './email-otp-challenges.js';
import { enrolmentSessionQueries } from './enrolment-sessions.js';
import { loginProgressQueries } from './login-progress.js';
import { participantQueries } from './participants.js';
import { phaseControlQueries } from './phase-controls.js';
import { readinessReportQueries } from './readiness-report.js';
import { reminderQueries } from './reminders.js';
import { signingKeyQueries } from './signing-keys.js';
import { smartcardBindingQueries } from './smartcard-bindings.js';
import { totpCredentialQueries } from './totp-credentials.js';
import { userAccessQueries } from './user-access.js';
import { userQueries } from './users.js';
import { userExceptionQueries } from './user-exceptions.js';
import { jobQueries } from './jobs.js';
import { recoveryCodeQueries } from './recovery-codes.js';
import { webauthnChallengeQueries } from './webauthn-challenges.js';
import { webauthnCredentialQueries } from './webauthn-credentials.js';
import type { JobQueue } from '../jobs/queue.js';

/**
 * Every query module, built on one pool (or one transaction) and passed to domain code as a
 * unit. With a job queue, work a change causes (mail) is created on the same connection.
 */
function queryModules(db: Database, queue: JobQueue | undefined, options: QueryOptions) {
  return {
    participants: participantQueries(db),
    users: userQueries(db),
    audit: auditQueries(db),
    totpCredentials: totpCredentialQueries(db),
    webauthnCredentials: webauthnCredentialQueries(db),
    webauthnChallenges: webauthnChallengeQueries(db),
    recoveryCodes: recoveryCodeQueries(db),
    emailOtpChallenges: emailOtpChallengeQueries(db),
    loginProgress: loginProgressQueries(db),
    activationTokens: activationTokenQueries(db),
    enrolmentSessions: enrolmentSessionQueries(db),
    dmsSessions: dmsSessionQueries(db),
    accountSessions: accountSessionQueries(db),
    phaseControls: phaseControlQueries(db),
    smartcardBindings: smartcardBindingQueries(db),
    userAccess: userAccessQueries(db, { queue, clients: options.backchannelLogoutClients ?? new Set() }),
    readinessReport: readinessReportQueries(db),
    reminders: reminderQueries(db),
    signingKeys: signingKeyQueries(db),
    jobs: jobQueries(db, queue),
    userExceptions: userExceptionQueries(db),
    changeRequests: changeRequestQueries(db),
  };
}

export type Queries = ReturnType<typeof queryModules> & {
  /**
   * Runs `work` in one transaction with every query module bound to it: the change, its audit
   * record and the jobs it causes commit together or not at all. Nested calls are savepoints.
   */
  transaction<T>(work: (queries: Queries) => Promise<T>): Promise<T>;
  /** The same query modules on `db`: a transaction begun elsewhere (the OIDC adapter's session write). */
  within(db: Database): Queries;
};

export interface QueryOptions {
  /** Clients told by back-channel logout when a user's sessions end (those with a backchannel_logout_uri). */
  backchannelLogoutClients?: ReadonlySet<string>;
}

export function createQueries(db: Database, queue?: JobQueue, options: QueryOptions = {}): Queries {
  return {
    ...queryModules(db, queue, options),
    transaction: (work) => db.transaction((trx) => work(createQueries(trx, queue, options))),
    within: (other) => createQueries(other, queue, options),
  };
}
