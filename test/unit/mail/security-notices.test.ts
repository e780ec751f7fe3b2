import { securityNoticeText } from '../../../src/mail/security-notices.js';

const user = { participant_id: 'B01234', user_id: 'TRADER1', display_name: 'Chan Tai Man', email: 'trader1@example.com' };
const at = new Date('2026-11-25T02:30:00Z');

describe('security notices', () => {
  it('says what happened, to which login, when in Hong Kong time, and by whom', () => {
    const { subject, text } = securityNoticeText(user, 'second_factor_reset', at, { by: 'da:B01234/ADMIN' });
    expect(subject).toBe('Your CCASS one-time codes were reset');
    expect(text).toContain('Dear Chan Tai Man,');
    expect(text).toContain('user TRADER1 of participant B01234');
    expect(text).toContain('25 Nov 2026, 10:30 am (Hong Kong time)');
    expect(text).toContain('How: by your Delegated Administrator');
    expect(text).toContain('tell your Delegated Administrator at once');
  });

  it('names the address of an automatic lock and says that sessions ended', () => {
    const { text } = securityNoticeText(user, 'lock', at, { by: 'system:lockout', ip: '203.0.113.9', sessionsEnded: true });
    expect(text).toContain('How: after repeated failed attempts to log in');
    expect(text).toContain('From address: 203.0.113.9');
    expect(text).toContain('Every session that was open with your login has been ended');
  });

  it('carries no link and no secret, only facts', () => {
    for (const cause of ['password_change', 'second_factor_change', 'smartcard_unbind', 'disable', 'code_replayed'] as const) {
      const { subject, text } = securityNoticeText(user, cause, at, { by: 'operator:alice' });
      expect(subject).toMatch(/CCASS|one-time code/);
      expect(text).not.toMatch(/https?:\/\//);
      expect(text).not.toMatch(/\d{6}/);
    }
  });
});
