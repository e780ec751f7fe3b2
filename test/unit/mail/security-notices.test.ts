import { securityNoticeText, type NoticeCause } from '../../../src/mail/security-notices.js';

const user = { participant_id: 'B01234', user_id: 'TRADER1', display_name: 'Chan Tai Man', email: 'trader1@example.com' };
const at = new Date('2026-11-25T02:30:00Z');
const CAUSES: NoticeCause[] = ['password_change', 'second_factor_reset', 'second_factor_change', 'smartcard_unbind', 'lock', 'disable', 'code_replayed'];

/** The English and the Chinese halves of a bilingual email. */
function halves(text: string): { english: string; chinese: string } {
  const [english = '', chinese = ''] = text.split(/\n-{40}\n/);
  return { english, chinese };
}

describe('security notices', () => {
  it('says what happened, to which login, when in Hong Kong time, and by whom — in English, then in Chinese', () => {
    const { subject, text } = securityNoticeText(user, 'second_factor_reset', at, { by: 'da:B01234/ADMIN' });
    expect(subject).toBe('Your CCASS one-time codes were reset / 您的中央結算系統一次性密碼設定已重設');
    const { english, chinese } = halves(text);
    expect(english).toContain('Dear Chan Tai Man,');
    expect(english).toContain('user TRADER1 of participant B01234');
    expect(english).toContain('When: 25 Nov 2026, 10:30 (Hong Kong time)');
    expect(english).toContain('How: by your Delegated Administrator');
    expect(english).toContain('tell your Delegated Administrator at once');
    expect(chinese).toContain('Chan Tai Man 您好：');
    expect(chinese).toContain('帳戶：參與者編號 B01234，用戶編號 TRADER1');
    expect(chinese).toContain('時間：2026年11月25日 上午10:30（香港時間）');
    expect(chinese).toContain('方式：由您的授權管理員執行');
    expect(chinese).toContain('請立即通知您的授權管理員');
    // Chinese readers are told at the top where their version is.
    expect(text.split('\n')[0]).toBe('（中文版本載於下文）');
    expect(chinese.startsWith('【中文版本】')).toBe(true);
  });

  it('names the address of an automatic lock and says that sessions ended', () => {
    const { text } = securityNoticeText(user, 'lock', at, { by: 'system:lockout', ip: '203.0.113.9', sessionsEnded: true });
    const { english, chinese } = halves(text);
    expect(english).toContain('How: after repeated failed attempts to log in');
    expect(english).toContain('From address: 203.0.113.9');
    expect(english).toContain('Every session that was open with your login has been ended');
    expect(chinese).toContain('來源 IP 地址：203.0.113.9');
    expect(chinese).toContain('所有以您的帳戶開啟的登入工作階段均已結束');
  });

  it('leaves out who made the change when the actor is not one it can name', () => {
    const { text } = securityNoticeText(user, 'disable', at, { by: 'something-else' });
    expect(text).not.toContain('How:');
    expect(text).not.toContain('方式：');
  });

  it.each(CAUSES)('%s: carries no link and no secret, only facts, with every message found in both languages', (cause) => {
    const { subject, text } = securityNoticeText(user, cause, at, { by: 'operator:alice', ip: '198.51.100.7', sessionsEnded: true });
    const [english, chinese] = subject.split(' / ');
    expect(english).toMatch(/CCASS|one-time code/);
    expect(chinese).toMatch(/[\u4e00-\u9fff]/);
    // A key that is missing from a catalogue would be shown as the key itself.
    expect(`${subject}\n${text}`).not.toMatch(/mail\.|\{\w+\}/);
    expect(halves(text).chinese).toMatch(/[\u4e00-\u9fff]/);
    expect(text).not.toMatch(/https?:\/\//);
    expect(text).not.toMatch(/\d{6}/);
  });
});
