/**
 * The mails a registered designated email causes (src/enrolment/activation-links.ts queues
 * them): the activation link for a user who has not set up their login, and otherwise the
 * notices to the addresses concerned. Each says what actually happened — a first address is
 * "registered", not "changed" — and sends its reader to whoever can help them: a user to their
 * Delegated Administrator, a Delegated Administrator (who would be asking themselves) to HKSCC.
 */
import type { MessageKey } from '../i18n/translate.js';
import { bilingualMail, type MailContent } from './bilingual.js';

export interface MailRecipientUser {
  participant_id: string;
  user_id: string;
  display_name: string;
  role: 'user' | 'da';
}

const forRole = (user: MailRecipientUser, keys: { user: MessageKey; da: MessageKey }): MessageKey => (user.role === 'da' ? keys.da : keys.user);

/** The activation link's mail: `url` is the link, `dmsUrl` where a DA works once set up. */
export function activationMail(user: MailRecipientUser, link: { url: string; expiresAt: Date; dmsUrl: string }): MailContent {
  return bilingualMail(({ t, hkTime }) => ({
    subject: t('mail.activation.subject'),
    lines: [
      t('mail.greeting', { name: user.display_name }),
      '',
      t('mail.activation.intro', { user: user.user_id, participant: user.participant_id }),
      ...(user.role === 'da' ? [t('mail.activation.daRole', { url: link.dmsUrl })] : []),
      t('mail.activation.action'),
      '',
      link.url,
      '',
      t(forRole(user, { user: 'mail.activation.expiry', da: 'mail.activation.expiryDa' }), { expiry: hkTime(link.expiresAt) }),
      t(forRole(user, { user: 'mail.activation.warning', da: 'mail.activation.warningDa' })),
    ],
  }));
}

/**
 * The notices when the designated email of a user who has set up their login is registered
 * (`previous` null: the new address is told it is now the one) or changed (both addresses
 * are told). Their password and method stay; email codes go to the new address.
 */
export function designatedEmailNotices(user: MailRecipientUser & { email: string }, previous: string | null): Array<{ to: string; mail: MailContent }> {
  const login = { user: user.user_id, participant: user.participant_id };
  const notice = (subject: MessageKey, text: MessageKey, params: Record<string, string>, warning: MessageKey) =>
    bilingualMail(({ t }) => ({ subject: t(subject), lines: [t('mail.greeting', { name: user.display_name }), '', t(text, params), '', t(warning)] }));
  if (previous === null) {
    const warning = forRole(user, { user: 'mail.emailRegistered.warning', da: 'mail.emailRegistered.warningDa' });
    return [{ to: user.email, mail: notice('mail.emailRegistered.subject', 'mail.emailRegistered.text', login, warning) }];
  }
  const warning = forRole(user, { user: 'mail.emailChange.warning', da: 'mail.emailChange.warningDa' });
  return [
    { to: user.email, mail: notice('mail.emailChange.subject', 'mail.emailChange.toNew', login, warning) },
    { to: previous, mail: notice('mail.emailChange.subject', 'mail.emailChange.toOld', { ...login, email: user.email }, warning) },
  ];
}
