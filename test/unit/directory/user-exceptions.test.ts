/**
 * The pure parts of per-user exceptions: what a grant must be (a known kind, an end in the
 * future and not too far, a reason that is plain text) and the notice the user reads.
 */
import { cleanExceptionReason, grantProblems } from '../../../src/directory/user-exceptions.js';
import { securityNoticeText } from '../../../src/mail/security-notices.js';
import { ANY_CLIENT, phaseAllows, refusalFor } from '../../../src/policy/access.js';
import { auditDetails, eventWords } from '../../../src/dms/audit-words.js';
import { EXCEPTION_MAX_DAYS, exceptionKinds, isExceptionKind } from '../../../src/policy/user-exception-kinds.js';

const NOW = new Date('2023-06-26T00:00:00Z');
const DAY = 86_400_000;
const later = (days: number) => new Date(NOW.getTime() + days * DAY);

describe('exception kinds', () => {
  it('is a closed list of three', () => {
    expect(exceptionKinds).toEqual(['smartcard_login', 'activation_deadline', 'second_factor_deadline']);
    expect(isExceptionKind('smartcard_login')).toBe(true);
    expect(isExceptionKind('toString')).toBe(false);
    expect(isExceptionKind(undefined)).toBe(false);
  });
});

describe('a grant', () => {
  it('is accepted with a known kind, an end within the limit and a reason', () => {
    expect(grantProblems({ kind: 'smartcard_login', until: later(EXCEPTION_MAX_DAYS), reason: 'card on order' }, NOW)).toEqual({});
  });

  it('names every problem at once', () => {
    expect(grantProblems({ kind: 'forever', until: NOW, reason: ' ' }, NOW)).toEqual({ kind: 'unknown_exception_kind', until: 'exception_until_past', reason: 'invalid_exception_reason' });
    expect(grantProblems({ kind: 'smartcard_login', until: new Date(Number.NaN), reason: 'x' }, NOW)).toEqual({ until: 'invalid_exception_until' });
  });

  it('refuses an end past the limit, by the millisecond, and takes another limit', () => {
    expect(grantProblems({ kind: 'smartcard_login', until: new Date(later(180).getTime() + 1), reason: 'x' }, NOW)).toEqual({ until: 'exception_until_too_far' });
    expect(grantProblems({ kind: 'smartcard_login', until: later(10), reason: 'x' }, NOW, 7)).toEqual({ until: 'exception_until_too_far' });
  });
});

describe('an exception reason', () => {
  it('collapses spaces and trims', () => {
    expect(cleanExceptionReason('  card\t reader\non order ')).toBe('card reader on order');
  });
  it.each([[''], ['   '], ['bell\u0007'], ['nul\u0000'], ['rtl \u202e override'], ['x'.repeat(501)], [42]])('refuses %j', (typed) => {
    expect(cleanExceptionReason(typed)).toBeUndefined();
  });
});

describe('the exception notice', () => {
  it('says what the exception allows and until when, in both languages, with Hong Kong time in words', () => {
    const mail = securityNoticeText({ participant_id: 'B01', user_id: 'ALICE', email: 'a@example.com' }, 'exception_granted', NOW, {
      by: 'operator:ops1',
      detail: 'exceptions.notice.smartcard_login',
      params: { until: new Date('2023-07-31T10:00:00Z') },
    });
    expect(mail.subject).toBe('An exception was given to your CCASS login / 您的中央結算系統帳戶獲給予豁免');
    expect(mail.text).toContain('You may keep logging in to CCASS with your smartcard until 31 July 2023, 18:00 (Hong Kong time).');
    expect(mail.text).toContain('您可繼續以智能卡登入中央結算系統，直至2023年7月31日 18:00（香港時間）。');
    expect(mail.text).toContain('by HKSCC operations');
  });
});

describe('the phase with a dated smartcard exception', () => {
  it('opens the smartcard only after the cut-off, and only for the excepted user', () => {
    expect(phaseAllows('2fa-only', false, { smartcard: true }).smartcard).toBe(true);
    expect(phaseAllows('2fa-only', false).smartcard).toBe(false);
    expect(refusalFor('smartcard', '2fa-only', false, ANY_CLIENT, { smartcard: true })).toBeNull();
    expect(refusalFor('smartcard', '2fa-only', false, ANY_CLIENT)).toBe('smartcard_ended');
  });

  it('never opens the smartcard to a client that asks for the 2FA level, exception or not', () => {
    const twoFactorOnly = { ...ANY_CLIENT, accepts: ['two-factor'] as const };
    expect(refusalFor('smartcard', '2fa-only', false, twoFactorOnly, { smartcard: true })).toBe('smartcard_not_for_client');
  });
});

describe('exceptions in the audit trail', () => {
  it('names the kind, the end as a time and the reason as written', () => {
    const details = auditDetails('user.exception.grant', { kind: 'smartcard_login', until: '2023-07-31T10:00:00.000Z', why: 'card on order', replaced: '2023-07-01T10:00:00.000Z', replacedWhy: 'x', replacedBy: 'operator:a' });
    expect(details).toEqual([
      { label: 'dms.audit.detail.kind', value: { words: 'exceptions.kind.smartcard_login' } },
      { label: 'dms.audit.detail.until', value: { time: new Date('2023-07-31T10:00:00.000Z') } },
      { label: 'dms.audit.detail.why', value: { literal: 'card on order' } },
      { label: 'dms.audit.detail.replaced', value: { time: new Date('2023-07-01T10:00:00.000Z') } },
    ]);
    expect(eventWords('user.exception.revoke')).toBe('dms.event.user.exception.revoke');
  });
});
