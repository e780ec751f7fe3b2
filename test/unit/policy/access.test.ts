import { announcedHongKongTime } from '../../../src/i18n/locales.js';
import { msg, translator } from '../../../src/i18n/translate.js';
import { ANY_CLIENT, loginAccess, passwordLoginMayApply, phaseAllows, phaseBanner, refusalFor, type ClientRequirement } from '../../../src/policy/access.js';
import { PHASES, type Phase } from '../../../src/policy/phases.js';

const TERMINAL = ANY_CLIENT;
const ASKS_FOR_2FA: ClientRequirement = { accepts: ['two-factor'], acrs: ['urn:hkscc:ccass:acr:2fa'], phishingResistant: false, administration: false };
const DMS: ClientRequirement = { accepts: ['two-factor'], acrs: ['urn:hkscc:ccass:acr:2fa'], phishingResistant: false, administration: true };

describe('what each phase allows (the table of the circular)', () => {
  it.each<[Phase, boolean, boolean, boolean, boolean]>([
    // phase, smartcard, 2FA, 2FA for pilots, enrolment
    ['smartcard-only', true, false, false, false],
    ['email-registration', true, false, true, true],
    ['parallel-run', true, true, true, true],
    ['2fa-only', false, true, true, true],
  ])('%s: smartcard %s, password + OTP %s (pilots %s), enrolment %s', (phase, smartcard, twoFactor, pilots, enrolment) => {
    expect(phaseAllows(phase, false)).toEqual({ smartcard, twoFactor, enrolment });
    expect(phaseAllows(phase, true).twoFactor).toBe(pilots);
  });
});

describe('login access for a client', () => {
  it('never gives a smartcard login to a client that asks for 2FA, in any phase', () => {
    for (const phase of PHASES) {
      expect(loginAccess(phase, true, ASKS_FOR_2FA).smartcard).toBe(false);
      expect(loginAccess(phase, true, DMS).smartcard).toBe(false);
      expect(refusalFor('smartcard', phase, false, ASKS_FOR_2FA)).toBe('smartcard_not_for_client');
    }
  });

  it('opens DMS to password + OTP whenever enrolment is open, so DAs can register emails', () => {
    expect(loginAccess('smartcard-only', false, DMS).twoFactor).toBe(false);
    expect(loginAccess('email-registration', false, DMS).twoFactor).toBe(true);
    expect(loginAccess('email-registration', false, TERMINAL).twoFactor).toBe(false);
    expect(loginAccess('2fa-only', false, DMS).twoFactor).toBe(true);
  });

  it('lets pilot participants in during email registration only', () => {
    expect(refusalFor('two-factor', 'email-registration', true, TERMINAL)).toBeNull();
    expect(refusalFor('two-factor', 'email-registration', false, TERMINAL)).toBe('two_factor_not_open');
    expect(refusalFor('two-factor', 'smartcard-only', true, TERMINAL)).toBe('two_factor_not_open');
  });

  it('refuses the smartcard after the cut-off, and a client that accepts only smartcards gets no password login', () => {
    expect(refusalFor('smartcard', '2fa-only', false, TERMINAL)).toBe('smartcard_ended');
    expect(refusalFor('smartcard', 'parallel-run', false, TERMINAL)).toBeNull();
    expect(refusalFor('two-factor', 'parallel-run', false, { accepts: ['smartcard'], acrs: ['urn:hkscc:ccass:acr:smartcard'], phishingResistant: false, administration: false })).toBe('two_factor_not_for_client');
  });

  it('shows the password form before login only when someone could use it', () => {
    expect(passwordLoginMayApply('email-registration', false, TERMINAL)).toBe(false);
    expect(passwordLoginMayApply('email-registration', true, TERMINAL)).toBe(true);
    expect(passwordLoginMayApply('parallel-run', false, TERMINAL)).toBe(true);
  });
});

describe('the login page banner', () => {
  const cutOff = new Date('2023-06-25T16:00:00.000Z');

  it('tells parallel-run users when smartcard access ends', () => {
    expect(phaseBanner({ phase: 'parallel-run', next: { phase: '2fa-only', at: cutOff } })).toEqual({ key: 'banner.smartcardEnds', at: cutOff });
    // As the page writes it, in each language.
    expect(translator('en')(msg('banner.smartcardEnds', { time: announcedHongKongTime(cutOff, 'en') }))).toBe(
      'Smartcard access ends on 26 June 2023, 00:00 (Hong Kong time). From then on, log in with your password and one-time code.',
    );
    expect(translator('zh-Hant')(msg('banner.smartcardEnds', { time: announcedHongKongTime(cutOff, 'zh-Hant') }))).toBe(
      '智能卡登入將於2023年6月26日 00:00（香港時間）停止。其後請以密碼及一次性密碼登入。',
    );
  });

  it('announces when password login opens, and that smartcards have ended', () => {
    expect(phaseBanner({ phase: 'email-registration', next: { phase: 'parallel-run', at: cutOff } })).toEqual({ key: 'banner.twoFactorOpens', at: cutOff });
    expect(phaseBanner({ phase: '2fa-only', next: null })).toEqual({ key: 'banner.smartcardEnded' });
  });

  it('says nothing when nothing is about to change', () => {
    expect(phaseBanner({ phase: 'parallel-run', next: null })).toBeUndefined();
  });
});
