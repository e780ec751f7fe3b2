/**
 * The doors a passed deadline closes (src/reminders/deadline-doors.ts): a first second factor
 * past the second-factor deadline, an activation link past the email registration deadline —
 * each only for the users still to go through it, and each lifted by the user's live exception.
 */
import { activationLinkClosed, firstSecondFactorClosed } from '../../../src/reminders/deadline-doors.js';
import { deadlineEnforcement } from '../../../src/reminders/enforcement.js';
import type { ExceptionLookup } from '../../../src/reminders/exceptions.js';

const at = new Date('2023-06-25T16:00:00Z');
const deadlines = [
  { kind: 'emailRegistration' as const, at: new Date('2023-03-31T16:00:00Z') },
  { kind: 'secondFactor' as const, at },
];
const excepted: ExceptionLookup = {
  activeFor: (userId, kind) => Promise.resolve(userId === 'EXCEPTED' ? { until: new Date('2023-07-31T16:00:00Z'), reason: `${kind} granted` } : undefined),
};
const enforcementAt = (now: Date) => deadlineEnforcement(deadlines, { now: () => now }, excepted);
const none = { second_factor: null, email: 'a@example.com', securityKeys: 0 };

describe('deadline doors', () => {
  it('closes a first second factor from the deadline itself on, not before', async () => {
    expect(await firstSecondFactorClosed(enforcementAt(new Date(at.getTime() - 1)), 'U1', none)).toBeUndefined();
    expect(await firstSecondFactorClosed(enforcementAt(at), 'U1', none)).toEqual(deadlines[1]);
  });

  it('leaves it open to a user who has a second factor already, or a live exception', async () => {
    const after = enforcementAt(new Date(at.getTime() + 1000));
    expect(await firstSecondFactorClosed(after, 'U1', { ...none, second_factor: 'totp' })).toBeUndefined();
    expect(await firstSecondFactorClosed(after, 'U1', { ...none, securityKeys: 1 })).toBeUndefined();
    expect(await firstSecondFactorClosed(after, 'EXCEPTED', none)).toBeUndefined();
    // Email codes without an address are no usable factor.
    expect(await firstSecondFactorClosed(after, 'U1', { second_factor: 'email', email: null, securityKeys: 0 })).toEqual(deadlines[1]);
  });

  it('closes an activation link past the email deadline only for a user who has not activated, and not for an excepted one', async () => {
    const after = enforcementAt(new Date('2023-04-01T00:00:00Z'));
    expect(await activationLinkClosed(after, { id: 'U1', password_hash: null })).toEqual(deadlines[0]);
    expect(await activationLinkClosed(after, { id: 'U1', password_hash: '$argon2id$…' })).toBeUndefined();
    expect(await activationLinkClosed(after, { id: 'EXCEPTED', password_hash: null })).toBeUndefined();
    expect(await activationLinkClosed(enforcementAt(new Date('2023-03-31T15:59:59Z')), { id: 'U1', password_hash: null })).toBeUndefined();
    expect(await activationLinkClosed(undefined, { id: 'U1', password_hash: null })).toBeUndefined();
  });
});
