/**
 * The doors a passed deadline closes, each decided here once, for every entry point that
 * leads through it (enforcement.ts answers "has this deadline passed for this user?"):
 *
 * - Past `deadlines.secondFactor`, a user with no usable second factor enrols none anywhere —
 *   at login (src/login/login.ts), in the activation journey (src/enrolment/routes.ts), at the
 *   smartcard bridge (src/login/smartcard-bridge.ts) — unless they have a live
 *   `second_factor_deadline` exception. A user who already has one may add a key or switch
 *   method: that is no first second factor (the security page, src/account/, is only ever
 *   reached with one).
 * - Past `deadlines.emailRegistration`, no activation link is issued or mailed to a user who
 *   has not activated — registering or changing their designated email, resending their link,
 *   a CSV row (DMS and the operators' import), `da add` — unless they have a live
 *   `activation_deadline` exception (src/enrolment/activation-links.ts). Changing an active
 *   user's address mails no link (only notices), and is not affected.
 */
import { usableFactors, type FactorHolder } from '../factors/second-factors.js';
import { msg, type Message } from '../i18n/translate.js';
import type { Deadline } from './due-causes.js';
import type { DeadlineEnforcement } from './enforcement.js';

/** The second-factor deadline, when it stops `userId` (holding `holder`) from enrolling a first second factor now. */
export async function firstSecondFactorClosed(deadlines: DeadlineEnforcement | undefined, userId: string, holder: FactorHolder): Promise<Deadline | undefined> {
  if (usableFactors(holder).length > 0) return undefined;
  return deadlines?.passedFor('secondFactor', userId);
}

/** What a user is told when a first second factor is refused outside login: the deadline, and whom to ask (a DA asks HKSCC). */
export function secondFactorClosedMessage(role: 'user' | 'da', deadline: Deadline): Message {
  return msg(role === 'da' ? 'deadlines.secondFactor.closedDa' : 'deadlines.secondFactor.closed', { deadline: deadline.at });
}

/** The email registration deadline, when it stops an activation link being sent to `user` now (an activated user needs none). */
export async function activationLinkClosed(deadlines: DeadlineEnforcement | undefined, user: { id: string; password_hash: string | null }): Promise<Deadline | undefined> {
  if (user.password_hash) return undefined;
  return deadlines?.passedFor('emailRegistration', user.id);
}
