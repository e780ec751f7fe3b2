/**
 * A user's dated smartcard exception (src/directory/user-exceptions.ts): after the cut-off it
 * keeps that user's smartcard working until its date. Asked only when the phase itself refuses
 * smartcards, so that before the cut-off nothing changes and no query is made. It ends by the
 * clock: past `until` the card is refused exactly as everyone's is.
 */
import type { Clock } from '../kernel/clock.js';
import { phaseAllows } from '../policy/access.js';
import type { Phase } from '../policy/phases.js';
import type { UserExceptionQueries } from '../store/user-exceptions.js';

export async function smartcardExceptionFor(
  deps: { queries: { userExceptions: Pick<UserExceptionQueries, 'activeFor'> }; clock: Clock },
  phase: Phase,
  user: { id: string } | undefined,
): Promise<{ until: Date; reason: string } | undefined> {
  if (!user || phaseAllows(phase, false).smartcard) return undefined;
  return deps.queries.userExceptions.activeFor(user.id, 'smartcard_login', deps.clock.now());
}
