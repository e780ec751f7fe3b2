import { nextLoginStep } from '../../../src/login/steps.js';
import { maskEmail } from '../../../src/login/mask-email.js';
import { amrFor } from '../../../src/oidc/assurance.js';

describe('login steps', () => {
  const totpUser = { second_factor: 'totp' as const, email: 'a@example.com' };
  const emailUser = { second_factor: 'email' as const, email: 'a@example.com' };
  const newUser = { second_factor: null, email: 'a@example.com' };
  const noEmail = { second_factor: null, email: null };

  it('starts with the password, whatever the user has', () => {
    for (const user of [totpUser, emailUser, newUser, noEmail]) {
      expect(nextLoginStep(undefined, user)).toBe('password');
      expect(nextLoginStep([], user)).toBe('password');
      // A second factor without the password does not skip it.
      expect(nextLoginStep(['totp', 'email'], user)).toBe('password');
    }
  });

  it('never completes on the password alone', () => {
    for (const user of [totpUser, emailUser, newUser, noEmail]) expect(nextLoginStep(['pwd'], user)).not.toBe('complete');
  });

  it('asks for the enrolled method, and only that one completes', () => {
    expect(nextLoginStep(['pwd'], totpUser)).toBe('totp');
    expect(nextLoginStep(['pwd', 'email'], totpUser)).toBe('totp');
    expect(nextLoginStep(['pwd', 'totp'], totpUser)).toBe('complete');
    expect(nextLoginStep(['pwd'], emailUser)).toBe('email-otp');
    expect(nextLoginStep(['pwd', 'email'], emailUser)).toBe('complete');
  });

  it('has a new user prove the designated email before choosing a method', () => {
    expect(nextLoginStep(['pwd'], newUser)).toBe('email-otp');
    expect(nextLoginStep(['pwd', 'email'], newUser)).toBe('choose-method');
    expect(nextLoginStep(['pwd'], noEmail)).toBe('no-second-factor');
  });

  it('lets an enrolled user choose a new method only after proving the current one', () => {
    expect(nextLoginStep(['pwd'], totpUser, true)).toBe('totp');
    expect(nextLoginStep(['pwd', 'totp'], totpUser, true)).toBe('choose-method');
    expect(nextLoginStep(['pwd', 'email'], totpUser, true)).toBe('totp');
    expect(nextLoginStep(['pwd'], emailUser, true)).toBe('email-otp');
    expect(nextLoginStep(['pwd', 'email'], emailUser, true)).toBe('choose-method');
  });

  it('asks for a new password only after both current factors, before a new method', () => {
    expect(nextLoginStep(['pwd'], totpUser, false, true)).toBe('totp');
    expect(nextLoginStep(['pwd', 'totp'], totpUser, false, true)).toBe('new-password');
    expect(nextLoginStep(['pwd', 'totp'], totpUser, true, true)).toBe('new-password');
    expect(nextLoginStep(['pwd', 'totp'], totpUser, true, false)).toBe('choose-method');
    expect(nextLoginStep(['pwd', 'email'], emailUser, false, true)).toBe('new-password');
    expect(nextLoginStep(['pwd', 'email'], emailUser, false, false)).toBe('complete');
  });

  it('stops an email-method user whose email was removed', () => {
    expect(nextLoginStep(['pwd'], { second_factor: 'email', email: null })).toBe('no-second-factor');
  });
});

describe('amr (RFC 8176)', () => {
  it('says pwd, otp, mfa and which OTP', () => {
    expect(amrFor(['pwd', 'totp'])).toEqual(['pwd', 'otp', 'mfa', 'totp']);
    expect(amrFor(['pwd', 'email'])).toEqual(['pwd', 'otp', 'mfa', 'email']);
    expect(amrFor(['pwd', 'email', 'totp'])).toEqual(['pwd', 'otp', 'mfa', 'totp', 'email']);
    expect(amrFor(['pwd'])).toEqual(['pwd']);
  });
});

describe('masked email', () => {
  it('keeps the first letter and the domain', () => {
    expect(maskEmail('alice.chan@example.com')).toBe('a*********@example.com');
    expect(maskEmail('a@example.com')).toBe('a*@example.com');
    expect(maskEmail('')).toBe('');
  });
});
