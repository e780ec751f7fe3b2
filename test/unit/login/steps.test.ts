import { nextLoginStep, otherWays, type StepContext } from '../../../src/login/steps.js';
import { maskEmail } from '../../../src/login/mask-email.js';
import { ACR, acceptedLevels, acrMeets, acrOf, amrFor, assuranceOf } from '../../../src/oidc/assurance.js';
import type { FactorHolder } from '../../../src/factors/second-factors.js';
import { requestedAcrValues } from '../../../src/oidc/acr-policy.js';

describe('login steps', () => {
  const totpUser: FactorHolder = { second_factor: 'totp', email: 'a@example.com', securityKeys: 0 };
  const emailUser: FactorHolder = { second_factor: 'email', email: 'a@example.com', securityKeys: 0 };
  const newUser: FactorHolder = { second_factor: null, email: 'a@example.com', securityKeys: 0 };
  const noEmail: FactorHolder = { second_factor: null, email: null, securityKeys: 0 };
  const keyUser: FactorHolder = { second_factor: 'totp', email: 'a@example.com', securityKeys: 2 };
  const keyOnly: FactorHolder = { second_factor: null, email: 'a@example.com', securityKeys: 1 };
  const changeMethod: StepContext = { changeMethod: true };
  const changePassword: StepContext = { changePassword: true };
  const phr: StepContext = { phishingResistant: true, recoveryCodes: 10 };

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
    expect(nextLoginStep(['pwd'], totpUser, changeMethod)).toBe('totp');
    expect(nextLoginStep(['pwd', 'totp'], totpUser, changeMethod)).toBe('choose-method');
    expect(nextLoginStep(['pwd', 'email'], totpUser, changeMethod)).toBe('totp');
    expect(nextLoginStep(['pwd'], emailUser, changeMethod)).toBe('email-otp');
    expect(nextLoginStep(['pwd', 'email'], emailUser, changeMethod)).toBe('choose-method');
  });

  it('asks for a new password only after both current factors, before a new method', () => {
    expect(nextLoginStep(['pwd'], totpUser, changePassword)).toBe('totp');
    expect(nextLoginStep(['pwd', 'totp'], totpUser, changePassword)).toBe('new-password');
    expect(nextLoginStep(['pwd', 'totp'], totpUser, { changeMethod: true, changePassword: true })).toBe('new-password');
    expect(nextLoginStep(['pwd', 'totp'], totpUser, changeMethod)).toBe('choose-method');
    expect(nextLoginStep(['pwd', 'email'], emailUser, changePassword)).toBe('new-password');
    expect(nextLoginStep(['pwd', 'email'], emailUser, {})).toBe('complete');
  });

  it('stops an email-method user whose email was removed', () => {
    expect(nextLoginStep(['pwd'], { second_factor: 'email', email: null, securityKeys: 0 })).toBe('no-second-factor');
  });

  it('offers the security key first, and a code or a recovery code as other ways', () => {
    expect(nextLoginStep(['pwd'], keyUser)).toBe('security-key');
    expect(nextLoginStep(['pwd', 'webauthn'], keyUser)).toBe('complete');
    expect(nextLoginStep(['pwd', 'totp'], keyUser)).toBe('complete');
    expect(nextLoginStep(['pwd'], keyUser, { chosen: 'totp' })).toBe('totp');
    expect(nextLoginStep(['pwd'], keyOnly)).toBe('security-key');
    // A way the user does not have is not taken, whatever was chosen.
    expect(nextLoginStep(['pwd'], keyOnly, { chosen: 'totp' })).toBe('security-key');
    expect(nextLoginStep(['pwd'], keyOnly, { chosen: 'recovery' })).toBe('security-key');
    expect(nextLoginStep(['pwd'], keyOnly, { chosen: 'recovery', recoveryCodes: 3 })).toBe('recovery-code');
    expect(otherWays('security-key', keyUser, { recoveryCodes: 1 })).toEqual(['totp', 'recovery']);
    expect(otherWays('totp', keyUser, {})).toEqual(['webauthn']);
    expect(otherWays('totp', totpUser, {})).toEqual([]);
  });

  it('takes only a key when the request must be phishing-resistant', () => {
    expect(nextLoginStep(['pwd'], totpUser, phr)).toBe('needs-security-key');
    expect(nextLoginStep(['pwd', 'totp'], totpUser, phr)).toBe('needs-security-key');
    expect(nextLoginStep(['pwd', 'totp'], keyUser, phr)).toBe('security-key');
    expect(nextLoginStep(['pwd'], keyUser, { ...phr, chosen: 'totp' })).toBe('security-key');
    expect(nextLoginStep(['pwd'], keyUser, { ...phr, chosen: 'recovery' })).toBe('security-key');
    expect(nextLoginStep(['pwd', 'recovery'], keyUser, phr)).toBe('security-key');
    expect(otherWays('security-key', keyUser, phr)).toEqual([]);
  });

  it('has a recovery code lead straight to choosing a new method', () => {
    expect(nextLoginStep(['pwd', 'recovery'], totpUser)).toBe('choose-method');
    expect(nextLoginStep(['pwd', 'recovery'], totpUser, changePassword)).toBe('new-password');
    expect(nextLoginStep(['pwd', 'recovery', 'totp'], totpUser)).toBe('complete');
  });
});

describe('acr levels', () => {
  it('meets the levels a way of logging in reaches, and names the requested one', () => {
    expect(assuranceOf(['pwd', 'totp'])).toBe('two-factor');
    expect(assuranceOf(['pwd', 'webauthn'])).toBe('security-key');
    expect(assuranceOf(['pwd', 'webauthn', 'device-bound'])).toBe('device-bound-key');
    expect(acrOf('security-key', [])).toBe(ACR.phishingResistant);
    expect(acrOf('device-bound-key', [])).toBe(ACR.phishingResistantHardware);
    expect(acrOf('device-bound-key', [ACR.twoFactor])).toBe(ACR.twoFactor);
    expect(acrOf('security-key', [ACR.phishingResistantHardware, ACR.phishingResistant])).toBe(ACR.phishingResistant);
    expect(acrOf('two-factor', [])).toBe(ACR.twoFactor);
    expect(acrMeets(ACR.phishingResistantHardware, ACR.phishingResistant)).toBe(true);
    expect(acrMeets(ACR.phishingResistant, ACR.twoFactor)).toBe(true);
    expect(acrMeets(ACR.twoFactor, ACR.phishingResistant)).toBe(false);
    expect(acrMeets(ACR.smartcard, ACR.twoFactor)).toBe(false);
    expect(acrMeets(ACR.smartcard, ACR.phishingResistantHardware)).toBe(true);
    expect(acrMeets('something-else', ACR.twoFactor)).toBe(false);
  });

  it('reads the levels a request asks for from acr_values and from an essential acr claim', () => {
    expect(requestedAcrValues({ acr_values: 'phr urn:hkscc:ccass:acr:2fa' })).toEqual(['phr', ACR.twoFactor]);
    expect(requestedAcrValues({ claims: JSON.stringify({ id_token: { acr: { essential: true, values: ['phrh'] } } }) })).toEqual(['phrh']);
    expect(requestedAcrValues({ claims: { id_token: { acr: { essential: true, value: 'phr' } } } })).toEqual(['phr']);
    // A voluntary claim is a wish, not a requirement.
    expect(requestedAcrValues({ claims: JSON.stringify({ id_token: { acr: { values: ['phr'] } } }) })).toEqual([]);
    expect(requestedAcrValues({ claims: 'not json' })).toEqual([]);
    expect(requestedAcrValues(undefined)).toEqual([]);
  });

  it('narrows what a request accepts by its client', () => {
    expect(acceptedLevels([], { requiresTwoFactor: false, requiresPhishingResistant: true })).toEqual([ACR.phishingResistant, ACR.phishingResistantHardware]);
    expect(acceptedLevels([ACR.twoFactor], { requiresTwoFactor: false, requiresPhishingResistant: true })).toEqual([]);
    expect(acceptedLevels([ACR.smartcard], { requiresTwoFactor: true, requiresPhishingResistant: false })).toEqual([]);
    expect(acceptedLevels(['unknown', ACR.phishingResistant], { requiresTwoFactor: false, requiresPhishingResistant: false })).toEqual([ACR.phishingResistant]);
  });
});

describe('amr (RFC 8176)', () => {
  it('says pwd, otp, mfa and which OTP', () => {
    expect(amrFor(['pwd', 'totp'])).toEqual(['pwd', 'otp', 'mfa', 'totp']);
    expect(amrFor(['pwd', 'email'])).toEqual(['pwd', 'otp', 'mfa', 'email']);
    expect(amrFor(['pwd', 'email', 'totp'])).toEqual(['pwd', 'otp', 'mfa', 'totp', 'email']);
    expect(amrFor(['pwd'])).toEqual(['pwd']);
  });

  it('says hwk for a device-bound key, swk for a synced passkey, with user and pin when the key verified its user', () => {
    expect(amrFor(['pwd', 'webauthn'])).toEqual(['pwd', 'swk', 'mfa']);
    expect(amrFor(['pwd', 'webauthn', 'device-bound'])).toEqual(['pwd', 'hwk', 'mfa']);
    expect(amrFor(['pwd', 'webauthn', 'user-verified', 'device-bound'])).toEqual(['pwd', 'hwk', 'user', 'pin', 'mfa']);
    expect(amrFor(['pwd', 'recovery', 'totp'])).toEqual(['pwd', 'otp', 'mfa', 'totp']);
  });
});

describe('masked email', () => {
  it('keeps the first letter and the domain', () => {
    expect(maskEmail('alice.chan@example.com')).toBe('a*********@example.com');
    expect(maskEmail('a@example.com')).toBe('a*@example.com');
    expect(maskEmail('')).toBe('');
  });
});
