/**
 * The mails before a deadline: each says by when in words (Hong Kong time), in English and then
 * Chinese, what to do from where its reader stands, and whom to ask — a Delegated Administrator
 * is sent to HKSCC, not to themselves. A digest lists the firm's users and links to DMS.
 */
import { digestMail, readinessReportMail, reminderMail } from '../../../src/mail/reminder-mails.js';
import { latinSentences } from '../../support/latin-sentences.js';

const trader = { participant_id: 'B01234', user_id: 'TRADER1', display_name: '陳大文', role: 'user' as const };
const admin = { participant_id: 'B01234', user_id: 'ADMIN1', display_name: '王小明', role: 'da' as const };
const emailDeadline = { kind: 'emailRegistration' as const, at: new Date('2023-03-31T16:00:00Z') };
const cutOff = { kind: 'secondFactor' as const, at: new Date('2023-06-25T16:00:00Z') };

function halves(text: string): { english: string; chinese: string } {
  const [english = '', chinese = ''] = text.split(/\n-{40}\n/);
  return { english, chinese };
}

describe('reminder mails', () => {
  it('tell a user with an expired link by when, in words, to ask their DA for a new one', () => {
    const { subject, text } = reminderMail({ ...trader, readiness: 'activation-expired' }, emailDeadline);
    expect(subject).toBe('Reminder: activate your CCASS login by 1 April 2023, 00:00 (Hong Kong time) / 提示：請於2023年4月1日 00:00（香港時間）前啟用您的中央結算系統登入');
    const { english, chinese } = halves(text);
    expect(english).toContain('Dear 陳大文,');
    expect(english).toContain('Your CCASS login TRADER1 of participant B01234 is not activated yet.');
    expect(english).toContain('ask your Delegated Administrator to send you a new one');
    expect(english).toContain('After the deadline, activation links no longer work.');
    expect(chinese).toContain('請要求您的授權管理員發送新連結');
    expect(latinSentences(chinese, ['CCASS', 'HKSCC', 'DMS'])).toEqual([]);
  });

  it('tell a user with a password how to set up codes before the cut-off, and a DA to ask HKSCC', () => {
    const { english } = halves(reminderMail({ ...admin, readiness: 'password-set' }, cutOff).text);
    expect(english).toContain('HKSCC’s deadline for setting one up is 26 June 2023, 00:00 (Hong Kong time).');
    expect(english).toContain('choose how to receive one-time codes (an authenticator app or email)');
    expect(english).toContain('contact HKSCC on the CCASS Hotline');
    expect(english).not.toContain('ask your Delegated Administrator');
  });

  it('list a firm’s not-ready users for its DA with their state, and link to the readiness page', () => {
    const users = [
      { user_id: 'TRADER1', display_name: 'Chan Tai Man', readiness: 'activation-sent' as const },
      { user_id: 'TRADER2', display_name: 'Lee Siu Ming', readiness: 'no-email' as const },
    ];
    const { subject, text } = digestMail(admin, emailDeadline, users, 'https://auth.example/dms/readiness');
    expect(subject).toContain('CCASS: 2 users of B01234 are not ready for the deadline of 1 April 2023');
    const { english, chinese } = halves(text);
    expect(english).toContain('- TRADER1 (Chan Tai Man): Activation email sent');
    expect(english).toContain('- TRADER2 (Lee Siu Ming): No email registered');
    expect(english).toContain('https://auth.example/dms/readiness');
    expect(chinese).toContain('- TRADER2（Lee Siu Ming）：未登記電郵');
  });

  it('give operators every participant’s readiness and the totals', () => {
    const row = { participant_id: 'B01234', participant_name: 'Broker Ltd', users: 4, disabled: 0, email_registered: 3, activation_sent: 3, activated: 2, password_set: 2, totp: 1, email_otp: 0, security_key: 0, locked: 0, ready: 1, smartcard_only: 0, smartcard_only_not_ready: 0, smartcard_only_without_key: 0 };
    const report = { generatedAt: new Date('2023-03-17T16:00:00Z'), windowDays: 30, participants: [row], totals: row };
    const { subject, text } = readinessReportMail(report, emailDeadline, 14);
    expect(subject).toContain('CCASS readiness report: 14 days before the email registration deadline');
    expect(halves(text).english).toContain('B01234 Broker Ltd: 1 of 4 users ready (25%); 3 with a designated email, 2 activated.');
    expect(halves(text).english).toContain('ccass-auth report readiness --csv');
  });
});
