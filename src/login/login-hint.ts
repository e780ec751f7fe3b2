/**
 * `login_hint` (OIDC Core 3.1.2.1): the relying party says who it thinks is logging in, and
 * the login form starts with the participant ID and user ID filled in. The format is
 * `<participant>/<user>`, e.g. `B01234/TRADER1`; a colon or a space may stand for the slash
 * (neither can occur in either ID). Both IDs are normalised as the login normalises what people
 * type (trimmed, upper-cased). A hint is only a hint: one that does not parse is ignored, never
 * an error, and it proves nothing — the user still types the password.
 */
import { normaliseParticipantId, normaliseUserId } from '../kernel/identifiers.js';

export interface HintedLogin {
  participantId: string;
  userId: string;
}

/** Longer than any participant ID, separator and user ID together: not worth reading. */
const MAX_HINT_LENGTH = 64;

export function hintedLogin(hint: unknown): HintedLogin | undefined {
  if (typeof hint !== 'string' || hint.length > MAX_HINT_LENGTH) return undefined;
  const parts = hint.trim().split(/[/:\s]/);
  if (parts.length !== 2) return undefined;
  const participantId = normaliseParticipantId(parts[0] as string);
  const userId = normaliseUserId(parts[1] as string);
  return participantId && userId ? { participantId, userId } : undefined;
}
