import { clientAddressKey } from '../../../src/kernel/address-ranges.js';

describe('the key a client address is rate-limited under', () => {
  it('keeps an IPv4 address as it is, also when written IPv4-mapped', () => {
    expect(clientAddressKey('203.0.113.7')).toBe('203.0.113.7');
    expect(clientAddressKey('::ffff:203.0.113.7')).toBe('203.0.113.7');
  });

  it('counts IPv6 addresses by their /64, so that one customer cannot rotate through its network', () => {
    const key = clientAddressKey('2001:db8:1234:5678:aaaa:bbbb:cccc:dddd');
    expect(key).toBe('2001:db8:1234:5678:0:0:0:0/64');
    expect(clientAddressKey('2001:db8:1234:5678::1')).toBe(key);
    expect(clientAddressKey('2001:db8:1234:5679::1')).not.toBe(key);
  });

  it('honours another prefix length, also one that cuts a group', () => {
    expect(clientAddressKey('2001:db8:1234:56ff::1', 56)).toBe('2001:db8:1234:5600:0:0:0:0/56');
    expect(clientAddressKey('2001:db8::1', 128)).toBe('2001:db8:0:0:0:0:0:1/128');
    expect(clientAddressKey('::1', 64)).toBe('0:0:0:0:0:0:0:0/64');
  });

  it('expands a dotted IPv4 tail inside IPv6', () => {
    expect(clientAddressKey('64:ff9b::192.0.2.33', 128)).toBe('64:ff9b:0:0:0:0:c000:221/128');
  });

  it('has no key for something that is not an address', () => {
    expect(clientAddressKey(undefined)).toBeUndefined();
    expect(clientAddressKey('')).toBeUndefined();
    expect(clientAddressKey('localhost')).toBeUndefined();
    expect(clientAddressKey('2001:db8::g')).toBeUndefined();
  });
});
