/**
 * Security notices: an email to the user's designated address whenever something happens to
 * their login that they should know about — so that a change they did not make is noticed by
 * the one person who can tell (ASVS 2.2.3, 2.5.5, 2.8.5). A notice never carries a secret or a
 * link. It is queued in the transaction of the change it reports (the outbox), so a change is
 * never made without its notice, nor a notice sent for a change that did not happen.
 */
import type { MessageKey } from '../i18n/translate.js';
import type { JobQueries } from '../store/jobs.js';
import { bilingualMail, type MailContent } from './bilingual.js';
import type { MailOutbox } from './outbox.js';

export type NoticeCause =
  | 'password_change'
  | 'second_factor_reset'
  | 'second_factor_change'
  | 'smartcard_unbind'
  | 'lock'
  | 'disable'
  | 'code_replayed'
  | 'key_counter_regressed'
  | 'recovery_code_used'
  | 'security_key_added'
  | 'security_key_removed'
  | 'security_key_renamed'
  | 'recovery_codes_regenerated'
  | 'sessions_ended'
  | 'exception_granted'
  | 'exception_revoked';

export interface NoticeRecipient {
  participant_id: string;
  user_id: string;
  display_name?: string;
  email: string | null;
  /** A Delegated Administrator is told to go to HKSCC, not to "your Delegated Administrator" (themselves). */
  role?: 'user' | 'da';
}

export interface SecurityNotices {
  /** Queues the notice on `within` (the change's transaction); nothing for a user without a designated address. */
  send(within: { jobs: Pick<JobQueries, 'send'> }, user: NoticeRecipient, cause: NoticeCause, context?: NoticeContext): Promise<void>;
}

export interface NoticeContext {
  by?: string;
  ip?: string | null;
  sessionsEnded?: boolean;
  /** Values the notice's text names (how many recovery codes are left, the name of a key). */
  params?: Readonly<Record<string, string | number | Date>>;
  /** A sentence after the cause's own, with the same params (what a dated exception lets the user do, and until when). */
  detail?: MessageKey;
}

/** Who made the change, as the notice says it (an actor we cannot name is left out). */
function actorKey(by: string | undefined): MessageKey | undefined {
  if (!by) return undefined;
  if (by === 'system:lockout') return 'mail.notice.by.lockout';
  if (by.startsWith('da:')) return 'mail.notice.by.da';
  if (by.startsWith('operator:')) return 'mail.notice.by.operator';
  if (by.startsWith('user:')) return 'mail.notice.by.user';
  return undefined;
}

/** The text of one notice, in both languages (pure: the time and the actor are given). */
export function securityNoticeText(user: NoticeRecipient, cause: NoticeCause, at: Date, context: NoticeContext = {}): MailContent {
  const how = actorKey(context.by);
  return bilingualMail(({ t, hkTime }) => {
    const lines = [
      t('mail.greeting', { name: user.display_name ?? user.user_id }),
      '',
      t(`mail.notice.${cause}.text`, context.params),
      ...(context.detail ? [t(context.detail, context.params)] : []),
      '',
      t('mail.notice.login', { user: user.user_id, participant: user.participant_id }),
      t('mail.notice.when', { when: hkTime(at) }),
    ];
    if (how) lines.push(t('mail.notice.how', { how: t(how) }));
    if (context.ip) lines.push(t('mail.notice.from', { ip: context.ip }));
    if (context.sessionsEnded) lines.push('', t('mail.notice.sessionsEnded'));
    lines.push('', t(user.role === 'da' ? 'mail.notice.warningDa' : 'mail.notice.warning'));
    return { subject: t(`mail.notice.${cause}.subject`), lines };
  });
}

export function createSecurityNotices(deps: { outbox: MailOutbox; now: () => Date }): SecurityNotices {
  return {
    async send(within, user, cause, context = {}) {
      if (!user.email) return;
      await deps.outbox.queue(within.jobs, { kind: 'security-notice', to: user.email, ...securityNoticeText(user, cause, deps.now(), context) });
    },
  };
}
