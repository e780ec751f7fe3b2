/**
 * What a login page says when a way of logging in is refused: by the phase or the client
 * (the sentences of the whole migration that users read most), or by the smartcard checks.
 * Each reason is a catalogue message; the precise reason stays in the audit trail.
 */
import type { MessageKey } from '../i18n/translate.js';
import type { AccessRefusal } from '../policy/access.js';
import type { SmartcardFailureReason } from './smartcard-check.js';

export const ACCESS_REFUSALS: Readonly<Record<AccessRefusal, MessageKey>> = {
  smartcard_ended: 'refusal.smartcardEnded',
  smartcard_not_for_client: 'refusal.smartcardNotForClient',
  two_factor_not_open: 'refusal.twoFactorNotOpen',
  two_factor_not_for_client: 'refusal.twoFactorNotForClient',
};

/** The reasons a user can act on get their own sentence; the rest say only "not accepted". */
export const SMARTCARD_REFUSALS: Readonly<Partial<Record<SmartcardFailureReason, MessageKey>>> = {
  expired: 'smartcard.expired',
  revoked: 'smartcard.revoked',
  unbound: 'smartcard.unbound',
  locked: 'login.error.locked',
  disabled: 'smartcard.disabled',
};
