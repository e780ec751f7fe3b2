import { activationTokenQueries } from './activation-tokens.js';
import { auditQueries } from './audit.js';
import type { Database } from './database.js';
import { dmsSessionQueries } from './dms-sessions.js';
import { emailOtpChallengeQueries } from './email-otp-challenges.js';
import { enrolmentSessionQueries } from './enrolment-sessions.js';
import { loginProgressQueries } from './login-progress.js';
import { participantQueries } from './participants.js';
import { phaseControlQueries } from './phase-controls.js';
import { readinessReportQueries } from './readiness-report.js';
import { signingKeyQueries } from './signing-keys.js';
import { smartcardBindingQueries } from './smartcard-bindings.js';
import { totpCredentialQueries } from './totp-credentials.js';
import { userAccessQueries } from './user-access.js';
import { userQueries } from './users.js';

/** Every query module, built on one pool and passed to domain code as a unit. */
export function createQueries(db: Database) {
  return {
    participants: participantQueries(db),
    users: userQueries(db),
    audit: auditQueries(db),
    totpCredentials: totpCredentialQueries(db),
    emailOtpChallenges: emailOtpChallengeQueries(db),
    loginProgress: loginProgressQueries(db),
    activationTokens: activationTokenQueries(db),
    enrolmentSessions: enrolmentSessionQueries(db),
    dmsSessions: dmsSessionQueries(db),
    phaseControls: phaseControlQueries(db),
    smartcardBindings: smartcardBindingQueries(db),
    userAccess: userAccessQueries(db),
    readinessReport: readinessReportQueries(db),
    signingKeys: signingKeyQueries(db),
  };
}

export type Queries = ReturnType<typeof createQueries>;
