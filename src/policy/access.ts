/**
 * The one answer to "which login methods and enrolment functions are allowed now, for this
 * participant, for this client?". Pure: the phase comes from `phases.ts`, the rest from the
 * request, so every rule below is unit tested without a server.
 *
 * | phase                | smartcard | password + OTP                 | enrolment |
 * | smartcard-only       | yes       | no                             | no        |
 * | email-registration   | yes       | pilot participants, and DMS    | yes       |
 * | parallel-run         | yes       | yes                            | yes       |
 * | 2fa-only             | no        | yes                            | yes       |
 *
 * DMS is where DAs register the emails that open enrolment, so its password + OTP login is
 * open whenever enrolment is. A client that asks for the 2FA level (or is configured to
 * require it, like DMS) never gets a smartcard login, in any phase.
 */
import { enrolmentOpen, type Phase, type PhaseState } from './phases.js';

export type LoginMethod = 'smartcard' | 'two-factor';

export interface ClientRequirement {
  /** The login methods whose level the client accepts for this request (from acr_values or its configuration). */
  accepts: readonly LoginMethod[];
  /** The acr values the request accepts (any one of them). */
  acrs: readonly string[];
  /** Of those, the ones the request named (acr_values, an essential acr claim), in its order of preference; none: it asked for no level. */
  requested?: readonly string[];
  /** Only phishing-resistant second factors will do (a security key), not codes. */
  phishingResistant: boolean;
  /** The administration console (DMS): password + OTP whenever enrolment is open. */
  administration: boolean;
}

export const ANY_CLIENT: ClientRequirement = { accepts: ['smartcard', 'two-factor'], acrs: ['urn:hkscc:ccass:acr:2fa', 'urn:hkscc:ccass:acr:smartcard', 'phr', 'phrh'], phishingResistant: false, administration: false };

export interface Access {
  smartcard: boolean;
  twoFactor: boolean;
  enrolment: boolean;
}

/**
 * What a user's dated exceptions in force add (src/policy/user-exception-kinds.ts): with
 * `smartcard`, the smartcard still logs that user in after the cut-off (`2fa-only`), and only then.
 */
export interface AccessExceptions {
  smartcard?: boolean;
}

/** What the phase allows a participant: `pilot` is a participant in the connectivity test. */
export function phaseAllows(phase: Phase, pilot: boolean, exceptions: AccessExceptions = {}): Access {
  switch (phase) {
    case 'smartcard-only':
      return { smartcard: true, twoFactor: false, enrolment: false };
    case 'email-registration':
      return { smartcard: true, twoFactor: pilot, enrolment: true };
    case 'parallel-run':
      return { smartcard: true, twoFactor: true, enrolment: true };
    case '2fa-only':
      return { smartcard: exceptions.smartcard === true, twoFactor: true, enrolment: true };
  }
}

/** What a login for `client` may use now. `pilot` is unknown (false) until the user is identified. */
export function loginAccess(phase: Phase, pilot: boolean, client: ClientRequirement, exceptions: AccessExceptions = {}): Access {
  const allowed = phaseAllows(phase, pilot, exceptions);
  return {
    smartcard: allowed.smartcard && client.accepts.includes('smartcard') && !client.administration,
    twoFactor: client.accepts.includes('two-factor') && (allowed.twoFactor || (client.administration && enrolmentOpen(phase))),
    enrolment: allowed.enrolment,
  };
}

/** Whether the password form is worth showing before anyone has typed who they are. */
export function passwordLoginMayApply(phase: Phase, anyPilots: boolean, client: ClientRequirement): boolean {
  return loginAccess(phase, anyPilots, client).twoFactor;
}

export type AccessRefusal = 'smartcard_ended' | 'smartcard_not_for_client' | 'two_factor_not_open' | 'two_factor_not_for_client';

/** Why `method` is refused, or null when it is allowed. */
export function refusalFor(method: LoginMethod, phase: Phase, pilot: boolean, client: ClientRequirement, exceptions: AccessExceptions = {}): AccessRefusal | null {
  const access = loginAccess(phase, pilot, client, exceptions);
  if (method === 'smartcard') {
    if (access.smartcard) return null;
    if (!client.accepts.includes('smartcard') || client.administration) return 'smartcard_not_for_client';
    return 'smartcard_ended';
  }
  if (access.twoFactor) return null;
  return client.accepts.includes('two-factor') ? 'two_factor_not_open' : 'two_factor_not_for_client';
}

/** What the login page announces about the phases, if anything: a message key and the instant it is about. */
export interface PhaseBanner {
  key: 'banner.smartcardEnds' | 'banner.twoFactorOpens' | 'banner.smartcardEnded';
  at?: Date;
}

export function phaseBanner(snapshot: Pick<PhaseState, 'phase' | 'next'>): PhaseBanner | undefined {
  const now = phaseAllows(snapshot.phase, false);
  const next = snapshot.next && phaseAllows(snapshot.next.phase, false);
  if (snapshot.next && now.smartcard && next && !next.smartcard) return { key: 'banner.smartcardEnds', at: snapshot.next.at };
  if (snapshot.next && !now.twoFactor && next?.twoFactor) return { key: 'banner.twoFactorOpens', at: snapshot.next.at };
  if (!now.smartcard) return { key: 'banner.smartcardEnded' };
  return undefined;
}
