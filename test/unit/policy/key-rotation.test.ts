import { promotionRefusal, publicationOrder, retirementRefusal, type SigningKeyLifecycle } from '../../../src/policy/key-rotation.js';

const T0 = new Date('2026-11-25T00:00:00Z');
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);
const settings = { publishBeforeSigningSeconds: 3600, keepAfterSigningSeconds: 43200 };

function key(kid: string, state: SigningKeyLifecycle['state'], extra: Partial<SigningKeyLifecycle> = {}): SigningKeyLifecycle {
  return { kid, alg: 'RS256', state, createdAt: T0, activatedAt: null, retiringAt: null, ...extra };
}

describe('signing key rotation policy', () => {
  it('publishes signing keys first (newest first), then staged, then retiring, and never retired ones', () => {
    const keys = [
      key('retiring', 'retiring', { activatedAt: at(-100), retiringAt: at(10) }),
      key('staged', 'staged', { createdAt: at(20) }),
      key('gone', 'retired'),
      key('es', 'active', { alg: 'ES256', activatedAt: at(-50) }),
      key('rs', 'active', { activatedAt: at(10) }),
    ];
    expect(publicationOrder(keys).map((k) => k.kid)).toEqual(['rs', 'es', 'staged', 'retiring']);
  });

  it('lets a staged key sign only once it has been published long enough', () => {
    const staged = key('new', 'staged');
    expect(promotionRefusal(staged, at(3599), settings)).toEqual({ reason: 'too_soon', notBefore: at(3600) });
    expect(promotionRefusal(staged, at(3600), settings)).toBeUndefined();
    expect(promotionRefusal(key('a', 'active'), at(9999), settings)).toEqual({ reason: 'not_staged', state: 'active' });
    expect(promotionRefusal(key('r', 'retiring'), at(9999), settings)).toEqual({ reason: 'not_staged', state: 'retiring' });
  });

  it('retires a key only after what it signed has expired, and never the signing key', () => {
    const retiring = key('old', 'retiring', { retiringAt: at(100) });
    expect(retirementRefusal(retiring, at(100 + 43199), settings)).toEqual({ reason: 'too_soon', notBefore: at(100 + 43200) });
    expect(retirementRefusal(retiring, at(100 + 43200), settings)).toBeUndefined();
    expect(retirementRefusal(key('a', 'active'), at(1e6), settings)).toEqual({ reason: 'signing' });
    expect(retirementRefusal(key('x', 'retired'), at(1e6), settings)).toEqual({ reason: 'retired' });
    // A staged key never signed anything: withdrawing it is safe at once.
    expect(retirementRefusal(key('s', 'staged'), T0, settings)).toBeUndefined();
  });
});
