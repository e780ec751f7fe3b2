/**
 * TOTP for a user: enrolment (a pending secret, confirmed by a first valid code) and
 * verification at login. A code is accepted once only: its time step is claimed in
 * PostgreSQL in one conditional update, so a replay, or the same code sent to two nodes at
 * once, is refused (RFC 6238 §5.2).
 */
import type { Clock } from '../clock.js';
import type { SecretBox } from '../secrets/secret-box.js';
import type { TotpCredentialQueries, TotpCredentialRow } from '../store/totp-credentials.js';
import { formatKeyForManualEntry, generateTotpSecret, matchTotpCode, toBase32, totpUri, type TotpParameters } from './totp.js';

export interface TotpDependencies {
  credentials: TotpCredentialQueries;
  box: SecretBox;
  parameters: TotpParameters;
  issuer: string;
  clock: Clock;
}

export type TotpVerdict = 'accepted' | 'rejected' | 'replayed' | 'not_enrolled';

/** Binds each ciphertext to its user: a secret copied to another row does not decrypt. */
const context = (userId: string) => `totp:${userId}`;

function parametersOf(row: TotpCredentialRow, window: number): TotpParameters {
  return { algorithm: row.algorithm, digits: row.digits, period: row.period, window };
}

async function check(deps: TotpDependencies, row: TotpCredentialRow, code: string, confirm: boolean): Promise<TotpVerdict> {
  const secret = deps.box.open(row.secret_ciphertext, context(row.user_id));
  const now = deps.clock.now().getTime() / 1000;
  const step = await matchTotpCode(secret, code.replace(/\s/g, ''), now, parametersOf(row, deps.parameters.window));
  if (step === undefined) return 'rejected';
  if (row.last_used_step !== null && step <= row.last_used_step) return 'replayed';
  return (await deps.credentials.claimStep(row.user_id, step, confirm)) ? 'accepted' : 'replayed';
}

export async function verifyTotp(deps: TotpDependencies, userId: string, code: string): Promise<TotpVerdict> {
  const row = await deps.credentials.find(userId);
  if (!row?.confirmed_at) return 'not_enrolled';
  return check(deps, row, code, false);
}

export interface TotpEnrolment {
  uri: string;
  manualKey: string;
}

/**
 * The secret to show for enrolment: the pending one if there is one (so reloading the page
 * shows the same QR code), else a new one. Undefined if the user already has a confirmed one.
 */
export async function pendingTotpEnrolment(deps: TotpDependencies, user: { id: string; participant_id: string; user_id: string }): Promise<TotpEnrolment | undefined> {
  let row = await deps.credentials.find(user.id);
  if (row?.confirmed_at) return undefined;
  if (!row) {
    const created = await deps.credentials.savePending({
      user_id: user.id,
      secret_ciphertext: deps.box.seal(generateTotpSecret(), context(user.id)),
      algorithm: deps.parameters.algorithm,
      digits: deps.parameters.digits,
      period: deps.parameters.period,
    });
    row = await deps.credentials.find(user.id);
    if (!created || !row || row.confirmed_at) return undefined;
  }
  const secret = deps.box.open(row.secret_ciphertext, context(user.id));
  return {
    uri: totpUri({ issuer: deps.issuer, participantId: user.participant_id, userId: user.user_id, secret, parameters: parametersOf(row, deps.parameters.window) }),
    manualKey: formatKeyForManualEntry(toBase32(secret)),
  };
}

/** Activates the pending secret if `code` is valid for it. */
export async function confirmTotpEnrolment(deps: TotpDependencies, userId: string, code: string): Promise<TotpVerdict> {
  const row = await deps.credentials.find(userId);
  if (!row || row.confirmed_at) return 'not_enrolled';
  return check(deps, row, code, true);
}
