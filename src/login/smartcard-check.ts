/**
 * The smartcard step of a login: a presented certificate → the user it is bound to. The
 * precise reason for a refusal is for the audit trail; pages say only what the user can act on.
 */
import type { Clock } from '../kernel/clock.js';
import { verifySmartcardCertificate, type AcceptedCertificate, type CertificateRefusal } from '../factors/smartcard.js';
import type { SmartcardTrustStore } from '../factors/smartcard-trust.js';
import { isLocked } from '../policy/lockout.js';
import type { SmartcardBindingQueries } from '../store/smartcard-bindings.js';
import type { UserQueries, UserRow } from '../store/users.js';

export interface SmartcardLoginDependencies {
  trust: SmartcardTrustStore;
  bindings: SmartcardBindingQueries;
  users: UserQueries;
  clock: Clock;
}

export type SmartcardFailureReason = CertificateRefusal | 'trust_unavailable' | 'unbound' | 'disabled' | 'locked';

export type SmartcardLoginOutcome =
  | { ok: true; user: UserRow; certificate: AcceptedCertificate }
  | { ok: false; reason: SmartcardFailureReason; user?: UserRow; certificate?: AcceptedCertificate };

export async function authenticateWithSmartcard(deps: SmartcardLoginDependencies, der: Uint8Array, offeredChain: readonly Uint8Array[] = []): Promise<SmartcardLoginOutcome> {
  let trust;
  try {
    trust = await deps.trust.current();
  } catch {
    return { ok: false, reason: 'trust_unavailable' };
  }
  const now = deps.clock.now();
  const verdict = await verifySmartcardCertificate(trust, der, now, offeredChain);
  if (!verdict.ok) return { ok: false, reason: verdict.reason };
  const { certificate } = verdict;
  const binding = await deps.bindings.findByFingerprint(certificate.fingerprint);
  const user = binding ? await deps.users.findBySubject(binding.user_id) : undefined;
  if (!user) return { ok: false, reason: 'unbound', certificate };
  if (user.status !== 'active') return { ok: false, reason: 'disabled', user, certificate };
  if (isLocked(user, now)) return { ok: false, reason: 'locked', user, certificate };
  return { ok: true, user, certificate };
}
