import { sessionExpiresAt, sessionTtlSeconds } from '../../../src/policy/session-lifetime.js';

const lifetime = { idleSeconds: 1800, absoluteSeconds: 12 * 3600 };
const login = 1_800_000_000;

describe('session lifetime', () => {
  it('gives a session not yet logged in the idle window', () => {
    expect(sessionTtlSeconds(lifetime, login, undefined)).toBe(1800);
  });

  it('gives a full idle window on every use until the absolute end comes closer', () => {
    expect(sessionTtlSeconds(lifetime, login, login)).toBe(1800);
    expect(sessionTtlSeconds(lifetime, login + 11 * 3600, login)).toBe(1800);
    expect(sessionTtlSeconds(lifetime, login + 11.5 * 3600, login)).toBe(1800);
  });

  it('never lets a session outlive its absolute end, however active', () => {
    expect(sessionTtlSeconds(lifetime, login + 12 * 3600 - 600, login)).toBe(600);
    expect(sessionTtlSeconds(lifetime, login + 12 * 3600 - 1, login)).toBe(1);
  });

  it('gives a session past its absolute end one second (the least the store accepts)', () => {
    expect(sessionTtlSeconds(lifetime, login + 12 * 3600, login)).toBe(1);
    expect(sessionTtlSeconds(lifetime, login + 13 * 3600, login)).toBe(1);
  });

  it('computes the instant a session used now ends', () => {
    const now = new Date((login + 12 * 3600 - 60) * 1000);
    expect(sessionExpiresAt(lifetime, now, login)).toEqual(new Date((login + 12 * 3600) * 1000));
    expect(sessionExpiresAt(lifetime, new Date(login * 1000), login)).toEqual(new Date((login + 1800) * 1000));
  });
});
