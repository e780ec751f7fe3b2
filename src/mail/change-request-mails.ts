/**
 * The mails of maker-checker (src/dms/change-requests.ts queues them, in the request's own
 * transaction): to each other active DA of the firm when a change waits for a checker, and to
 * the maker when it is approved, rejected, refused as stale, not applied because a deadline had
 * passed, or recorded expired. They go to DAs
 * only, so they name the DAs by user ID (the firm's DAs know each other); they say what the
 * change does in the words DMS uses, but never a user's designated email (the address is shown
 * in DMS), nor a link other than the approvals page, nor the maker's free-text reason.
 */
import type { Translatable } from '../i18n/translate.js';
import type { ChangeEffect, ChangeRequestStatus } from '../dms/change-requests.js';
import { effectWords } from '../dms/change-request-words.js';
import { bilingualMail, type MailContent } from './bilingual.js';
import type { MailRecipientUser } from './registration-mails.js';

/** What a request's mail says of it. */
export interface RequestInMail {
  id: string;
  participantId: string;
  /** The maker's user ID. */
  maker: string;
  effect: ChangeEffect;
  createdAt: Date;
  expiresAt: Date;
  /** A reset whose user the second-factor deadline leaves without a way to set up a new factor (no live exception). */
  secondFactorDeadline?: Date | undefined;
}

/**
 * The outcome, who decided (none for an expiry nobody tried to decide) and when it was recorded;
 * `deadline`: with `deadline_passed`, the email registration deadline that stopped it.
 */
export type DecisionInMail = { outcome: Exclude<ChangeRequestStatus, 'pending'>; checker: string | null; at: Date; deadline?: Date | undefined };

/** What the request does, without any address: DMS's words, except for a designated email, whose address stays in DMS. */
export function requestWordsForMail(effect: ChangeEffect, secondFactorDeadline?: Date): Translatable {
  if (effect.action === 'email') return { key: effect.previous ? 'mail.changeRequest.what.emailChange' : 'mail.changeRequest.what.emailRegister', params: { user: effect.userId } };
  return effectWords(effect, { secondFactorDeadline });
}

/** To a DA who can approve or reject the request (not its maker). */
export function changeRequestMail(da: MailRecipientUser, request: RequestInMail, approvalsUrl: string): MailContent {
  const values = { id: request.id, participant: request.participantId, maker: request.maker };
  return bilingualMail(({ t }) => ({
    subject: t('mail.changeRequest.subject', values),
    lines: [
      t('mail.greeting', { name: da.display_name }),
      '',
      t('mail.changeRequest.intro', { ...values, created: request.createdAt }),
      '',
      `- ${t(requestWordsForMail(request.effect, request.secondFactorDeadline))}`,
      '',
      t('mail.changeRequest.pending', values),
      t('mail.changeRequest.expiry', { expires: request.expiresAt }),
      '',
      t('mail.changeRequest.link'),
      approvalsUrl,
      '',
      t('mail.changeRequest.warning', values),
    ],
  }));
}

/** To the maker, once the request is decided (or found expired). */
export function changeDecisionMail(maker: MailRecipientUser, request: RequestInMail, decision: DecisionInMail, approvalsUrl: string): MailContent {
  const values = { id: request.id, participant: request.participantId, checker: decision.checker ?? '' };
  return bilingualMail(({ t }) => ({
    subject: t(`mail.changeDecision.subject.${decision.outcome}`, values),
    lines: [
      t('mail.greeting', { name: maker.display_name }),
      '',
      t('mail.changeDecision.intro', { ...values, created: request.createdAt }),
      '',
      `- ${t(requestWordsForMail(request.effect))}`,
      '',
      decision.outcome === 'deadline_passed'
        ? t('mail.changeDecision.text.deadline_passed', { ...values, at: decision.at, deadline: decision.deadline ?? '' })
        : t(`mail.changeDecision.text.${decision.outcome}`, { ...values, at: decision.at, expires: request.expiresAt }),
      '',
      t('mail.changeDecision.link'),
      approvalsUrl,
      '',
      t('mail.changeDecision.warning', values),
    ],
  }));
}
