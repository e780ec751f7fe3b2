/**
 * The mails a coming deadline causes (src/reminders/tick.ts queues them): a reminder to a user
 * who is not ready for it, saying by when, what to do from where they stand and whom to ask; a
 * digest to each Delegated Administrator of the firm's not-ready users, with the readiness page
 * of DMS; and the cross-firm readiness report to HKSCC's operators. Every sentence is the
 * catalogue's, in both languages (bilingual.ts); the deadline is written in words, in Hong Kong time.
 */
import { announcedHongKongTime, hongKongDateTime } from '../i18n/locales.js';
import { msg } from '../i18n/translate.js';
import type { DeadlineKind } from '../reminders/due-causes.js';
import { readyPercent, type ReadinessReport } from '../reports/readiness-report.js';
import type { ReadinessState } from '../store/users.js';
import { bilingualMail, type MailContent } from './bilingual.js';
import type { MailRecipientUser } from './registration-mails.js';

export interface DeadlineInMail {
  kind: DeadlineKind;
  at: Date;
}

/** What the user is told to do, from the readiness state that makes them not ready. */
const ACTION = {
  'activation-sent': 'mail.reminder.action.activation-sent',
  'activation-expired': 'mail.reminder.action.activation-expired',
  'password-set': 'mail.reminder.action.password-set',
} as const;

export function reminderMail(user: MailRecipientUser & { readiness: ReadinessState }, deadline: DeadlineInMail): MailContent {
  const action = ACTION[user.readiness as keyof typeof ACTION] as (typeof ACTION)[keyof typeof ACTION] | undefined;
  return bilingualMail(({ t, locale }) => {
    const when = announcedHongKongTime(deadline.at, locale);
    return {
      subject: t(msg(`mail.reminder.${deadline.kind}.subject`, { deadline: when })),
      lines: [
        t(msg('mail.greeting', { name: user.display_name })),
        '',
        t(msg(`mail.reminder.${deadline.kind}.intro`, { user: user.user_id, participant: user.participant_id, deadline: when })),
        ...(action ? [t(action)] : []),
        t(`mail.reminder.after.${deadline.kind}`),
        '',
        t(user.role === 'da' ? 'mail.reminder.askDa' : 'mail.reminder.ask'),
      ],
    };
  });
}

export interface DigestEntry {
  user_id: string;
  display_name: string;
  readiness: ReadinessState;
}

export function digestMail(da: MailRecipientUser, deadline: DeadlineInMail, users: readonly DigestEntry[], readinessUrl: string): MailContent {
  return bilingualMail(({ t, locale }) => {
    const when = announcedHongKongTime(deadline.at, locale);
    return {
      subject: t(msg('mail.digest.subject', { count: users.length, participant: da.participant_id, deadline: when })),
      lines: [
        t(msg('mail.greeting', { name: da.display_name })),
        '',
        t(msg(`mail.digest.${deadline.kind}.intro`, { participant: da.participant_id, deadline: when })),
        '',
        ...users.map((user) => `- ${t(msg('mail.digest.line', { user: user.user_id, name: user.display_name, state: t(`dms.state.${user.readiness}`) }))}`),
        '',
        t('mail.digest.reminded'),
        t('mail.digest.link'),
        readinessUrl,
        '',
        t('mail.digest.ask'),
      ],
    };
  });
}

export function readinessReportMail(report: ReadinessReport, deadline: DeadlineInMail, offsetDays: number): MailContent {
  return bilingualMail(({ t, locale }) => {
    const deadlineName = t(`mail.report.deadline.${deadline.kind}`);
    return {
      subject: t(msg('mail.report.subject', { days: offsetDays, deadlineName })),
      lines: [
        t('mail.report.greeting'),
        '',
        t(msg('mail.report.intro', { time: hongKongDateTime(report.generatedAt, locale), deadlineName, deadline: announcedHongKongTime(deadline.at, locale) })),
        '',
        ...report.participants.map((row) =>
          t(msg('mail.report.line', { participant: row.participant_id, name: row.participant_name, ready: row.ready, users: row.users, percent: readyPercent(row), emailRegistered: row.email_registered, activated: row.activated })),
        ),
        '',
        t(msg('mail.report.total', { ready: report.totals.ready, users: report.totals.users, percent: readyPercent(report.totals) })),
        t(msg('mail.report.full', { command: 'ccass-auth report readiness --csv' })),
      ],
    };
  });
}
