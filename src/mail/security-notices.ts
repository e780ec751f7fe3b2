/**
 * Security notices: an email to the user's designated address whenever something happens to
 * their login that they should know about — so that a change they did not make is noticed by
 * the one person who can tell (ASVS 2.2.3, 2.5.5, 2.8.5). A notice never carries a secret or a
 * link, and a failure to send one never stops the change it reports.
 */
import type { Logger } from '../observability/logger.js';
import type { Mailer } from './mailer.js';

export type NoticeCause =
  | 'password_change'
  | 'second_factor_reset'
  | 'second_factor_change'
  | 'smartcard_unbind'
  | 'lock'
  | 'disable'
  | 'code_replayed';

export interface NoticeRecipient {
  participant_id: string;
  user_id: string;
  display_name?: string;
  email: string | null;
}

export interface SecurityNotices {
  send(user: NoticeRecipient, cause: NoticeCause, context?: { by?: string; ip?: string | null; sessionsEnded?: boolean }): Promise<void>;
}

const WHAT_HAPPENED: Record<NoticeCause, { subject: string; text: string }> = {
  password_change: { subject: 'Your CCASS password was changed', text: 'The password of your CCASS login was changed.' },
  second_factor_reset: {
    subject: 'Your CCASS one-time codes were reset',
    text: 'How you receive one-time codes for your CCASS login was reset. At your next login you will receive a code at this address and then choose a method again.',
  },
  second_factor_change: { subject: 'Your CCASS one-time code method was changed', text: 'How you receive one-time codes for your CCASS login was changed.' },
  smartcard_unbind: { subject: 'A smartcard was removed from your CCASS login', text: 'A smartcard no longer logs in to your CCASS login.' },
  lock: { subject: 'Your CCASS login was locked', text: 'Your CCASS login was locked.' },
  disable: { subject: 'Your CCASS login was disabled', text: 'Your CCASS login was disabled: it cannot be used until it is enabled again.' },
  code_replayed: {
    subject: 'A one-time code of yours was used twice',
    text: 'A one-time code from your authenticator app was entered again after it had been used, and was refused. Someone may have seen your code and know your password.',
  },
};

const BY: Record<string, string> = {
  'system:lockout': 'after repeated failed attempts to log in',
};

/** The text of one notice (pure: the time and the actor are given). */
export function securityNoticeText(user: NoticeRecipient, cause: NoticeCause, at: Date, context: { by?: string; ip?: string | null; sessionsEnded?: boolean } = {}): { subject: string; text: string } {
  const what = WHAT_HAPPENED[cause];
  const when = at.toLocaleString('en-HK', { timeZone: 'Asia/Hong_Kong', dateStyle: 'medium', timeStyle: 'short' });
  const by = context.by ? (BY[context.by] ?? (context.by.startsWith('da:') ? 'by your Delegated Administrator' : context.by.startsWith('operator:') ? 'by HKSCC operations' : context.by.startsWith('user:') ? 'by you' : undefined)) : undefined;
  const lines = [
    `Dear ${user.display_name ?? user.user_id},`,
    '',
    `${what.text}`,
    '',
    `Login: user ${user.user_id} of participant ${user.participant_id}`,
    `When: ${when} (Hong Kong time)${by ? `\nHow: ${by}` : ''}${context.ip ? `\nFrom address: ${context.ip}` : ''}`,
  ];
  if (context.sessionsEnded) lines.push('', 'Every session that was open with your login has been ended: log in again where you need to.');
  lines.push('', 'If this was not you or someone you expected, tell your Delegated Administrator at once. HKSCC will never ask you for your password or a code.');
  return { subject: what.subject, text: lines.join('\n') };
}

export function createSecurityNotices(deps: { mailer: Mailer; log: Logger; now: () => Date }): SecurityNotices {
  return {
    async send(user, cause, context = {}) {
      if (!user.email) return;
      try {
        await deps.mailer.send({ kind: 'security-notice', to: user.email, ...securityNoticeText(user, cause, deps.now(), context) });
      } catch (error) {
        deps.log.warn({ err: error, cause, participantId: user.participant_id, userId: user.user_id }, 'security notice could not be sent');
      }
    },
  };
}
