/**
 * The mails a DA's registration of a designated email causes: each tells the truth about
 * what happened (a first address is registered, not changed), and sends its reader to whoever
 * can help — a Delegated Administrator is never told to ask their Delegated Administrator.
 */
import { activationMail, designatedEmailNotices } from '../../../src/mail/registration-mails.js';
import { securityNoticeText } from '../../../src/mail/security-notices.js';

const trader = { participant_id: 'B01234', user_id: 'TRADER1', display_name: '陳大文', role: 'user' as const };
const admin = { participant_id: 'B01234', user_id: 'ADMIN1', display_name: '王小明', role: 'da' as const };
const link = { url: 'https://auth.example/activate?token=x', expiresAt: new Date('2026-12-04T02:00:00Z'), dmsUrl: 'https://auth.example/dms' };

function halves(text: string): { english: string; chinese: string } {
  const [english = '', chinese = ''] = text.split(/\n-{40}\n/);
  return { english, chinese };
}

describe('activation mails', () => {
  it('send a user to their Delegated Administrator when the link has expired', () => {
    const { english, chinese } = halves(activationMail(trader, link).text);
    expect(english).toContain('ask your Delegated Administrator to send a new one');
    expect(english).toContain('https://auth.example/activate?token=x');
    expect(english).toContain('until 4 Dec 2026, 10:00 (Hong Kong time)');
    expect(chinese).toContain('請要求您的授權管理員發送新連結');
    expect(english).not.toContain('DMS');
  });

  it('send a Delegated Administrator to HKSCC instead, and tell them where DMS is', () => {
    const { subject, text } = activationMail(admin, link);
    expect(subject).toBe('Set up your CCASS login / 設定您的中央結算系統登入');
    const { english, chinese } = halves(text);
    expect(english).not.toContain('your Delegated Administrator');
    expect(chinese).not.toContain('您的授權管理員');
    expect(english).toContain('ask HKSCC or another Delegated Administrator of your firm to send a new one');
    expect(english).toContain('do not open the link: tell HKSCC');
    expect(english).toContain("you register your firm's users in DMS at https://auth.example/dms");
    expect(chinese).toContain('請要求香港結算或貴公司另一位授權管理員發送新連結');
    expect(chinese).toContain('請在 DMS（https://auth.example/dms）登記貴公司的用戶');
  });
});

describe('designated email notices', () => {
  it('tell the address of a first registration that it was registered, not changed', () => {
    const notices = designatedEmailNotices({ ...trader, email: 'first@example.com' }, null);
    expect(notices).toHaveLength(1);
    const [notice] = notices;
    expect(notice?.to).toBe('first@example.com');
    expect(notice?.mail.subject).toBe('Your CCASS designated email address was registered / 已登記您的中央結算系統指定電郵地址');
    expect(notice?.mail.text).not.toMatch(/\bchanged|更改/);
    expect(halves(notice?.mail.text ?? '').english).toContain('emails for this login come here from now on');
  });

  it('tell both addresses of a change, the old one where the mails go now', () => {
    const notices = designatedEmailNotices({ ...trader, email: 'new@example.com' }, 'old@example.com');
    expect(notices.map((notice) => notice.to)).toEqual(['new@example.com', 'old@example.com']);
    expect(notices[0]?.mail.subject).toBe('Your CCASS designated email address changed / 您的中央結算系統指定電郵地址已更改');
    expect(notices[1]?.mail.text).toContain('was changed to new@example.com');
    expect(notices[1]?.mail.text).toContain('tell your Delegated Administrator at once');
  });

  it('tell a Delegated Administrator to turn to HKSCC', () => {
    const [notice] = designatedEmailNotices({ ...admin, email: 'admin@example.com' }, 'old-admin@example.com');
    expect(notice?.mail.text).not.toContain('your Delegated Administrator');
    expect(notice?.mail.text).toContain('tell HKSCC at once');
    expect(notice?.mail.text).toContain('請立即通知香港結算');
  });
});

describe('security notices to a Delegated Administrator', () => {
  it('send them to HKSCC, not to themselves', () => {
    const { text } = securityNoticeText({ ...admin, email: 'admin@example.com' }, 'lock', new Date('2026-12-01T02:00:00Z'), { by: 'da:B01234/ADMIN2' });
    expect(text).not.toContain('tell your Delegated Administrator');
    expect(text).toContain('tell HKSCC at once');
    expect(text).toContain('請立即通知香港結算');
  });
});
