/**
 * TOTP for a user: enrolment (a pending secret, confirmed by a first valid code, which then
 * replaces any earlier secret) and verification at login. A code is accepted once only: its time step is claimed in
 * PostgreSQL in one conditional update, so a replay, or the same code sent to two nodes at
 * once, is refused (RFC 6238 §5.2).
 */
import type { Clock } from '../kernel/clock.js';
import type { SecretBox } from '../secrets/secret-box.js';
import type { TotpCredentialQueries, TotpCredentialRow, TotpSecretRow } from '../store/totp-credentials.js';
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

function parametersOf(row: TotpSecretRow, window: number): TotpParameters {
  return { algorithm: row.algorithm, digits: row.digits, period: row.period, window };
}

/** The time step `code` matches for this secret now, if any. */
async function matchingStep(deps: TotpDependencies, row: TotpSecretRow, code: string): Promise<number | undefined> {
  const secret = deps.box.open(row.secret_ciphertext, context(row.user_id));
  const now = deps.clock.now().getTime() / 1000;
  return matchTotpCode(secret, code.replace(/\s/g, ''), now, parametersOf(row, deps.parameters.window));
}

/** `known`: the user's credential if it was already loaded (null: none), else it is looked up. */
export async function verifyTotp(deps: TotpDependencies, userId: string, code: string, known?: TotpCredentialRow | null): Promise<TotpVerdict> {
  const check = await checkTotp(deps, userId, code, known);
  if (check.verdict !== 'valid') return check.verdict;
  return (await deps.credentials.claimStep(userId, check.step)) ? 'accepted' : 'replayed';
}

/**
 * A code checked but its time step not yet claimed: for a caller that claims the step in the
 * statement that writes what the code proves (a login's completion), so that the claim and its
 * consequence are one round trip and one commit. The step must be claimed before the code
 * counts for anything: 'valid' is a promise, not a use.
 */
export async function checkTotp(
  deps: TotpDependencies,
  userId: string,
  code: string,
  known?: TotpCredentialRow | null,
): Promise<{ verdict: 'valid'; step: number } | { verdict: Exclude<TotpVerdict, 'accepted'> }> {
  const row = known === undefined ? await deps.credentials.find(userId) : (known ?? undefined);
  if (!row) return { verdict: 'not_enrolled' };
  const step = await matchingStep(deps, row, code);
  if (step === undefined) return { verdict: 'rejected' };
  if (row.last_used_step !== null && step <= row.last_used_step) return { verdict: 'replayed' };
  return { verdict: 'valid', step };
}

export interface TotpEnrolment {
  uri: string;
  manualKey: string;
}

/**
 * The secret to show for enrolment: the pending one if there is one (so reloading the page
 * shows the same QR code), else a new one. An active secret stays active until a new one is
 * confirmed.
 */
export async function pendingTotpEnrolment(deps: TotpDependencies, user: { id: string; participant_id: string; user_id: string }): Promise<TotpEnrolment> {
  await deps.credentials.saveEnrolment({
    user_id: user.id,
    secret_ciphertext: deps.box.seal(generateTotpSecret(), context(user.id)),
    algorithm: deps.parameters.algorithm,
    digits: deps.parameters.digits,
    period: deps.parameters.period,
  });
  const row = (await deps.credentials.findEnrolment(user.id)) as TotpSecretRow;
  const secret = deps.box.open(row.secret_ciphertext, context(user.id));
  return {
    uri: totpUri({ issuer: deps.issuer, participantId: user.participant_id, userId: user.user_id, secret, parameters: parametersOf(row, deps.parameters.window) }),
    manualKey: formatKeyForManualEntry(toBase32(secret)),
  };
}

/** Activates the pending secret if `code` is valid for it; the code's step counts as used. */
export async function confirmTotpEnrolment(deps: TotpDependencies, userId: string, code: string): Promise<TotpVerdict> {
  const enrolment = await deps.credentials.findEnrolment(userId);
  if (!enrolment) return 'not_enrolled';
  const step = await matchingStep(deps, enrolment, code);
  if (step === undefined) return 'rejected';
  return (await deps.credentials.activateEnrolment(enrolment, step)) ? 'accepted' : 'replayed';
}
