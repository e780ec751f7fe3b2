import { normaliseEmail, normaliseParticipantId, normaliseUserId } from '../../../src/kernel/identifiers.js';

describe('identifiers', () => {
  it('upper-cases and trims participant and user IDs', () => {
    expect(normaliseParticipantId(' b01234 ')).toBe('B01234');
    expect(normaliseUserId('alice.chan')).toBe('ALICE.CHAN');
  });

  it('refuses IDs with characters that never occur in CCASS IDs', () => {
    for (const bad of ['', 'B', 'B01234567890', "B0'1", 'B 01']) expect(normaliseParticipantId(bad)).toBeUndefined();
    for (const bad of ['', '.alice', 'al ice', 'a'.repeat(33), 'alice<script>']) expect(normaliseUserId(bad)).toBeUndefined();
  });

  it('accepts ordinary email addresses, lower-cased', () => {
    expect(normaliseEmail(' Alice.Chan@Example.COM ')).toBe('alice.chan@example.com');
    for (const bad of ['alice', 'alice@', '@example.com', 'a b@example.com', 'alice@example']) expect(normaliseEmail(bad)).toBeUndefined();
  });
});
