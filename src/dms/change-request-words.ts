/**
 * A change request in words of the catalogue (the reader's language): what it will do, its
 * status, and each previewed row of an upload. The user a request names and the addresses are
 * values, never words.
 */
import { msg, type MessageKey, type Translatable } from '../i18n/translate.js';
import { isExceptionKind } from '../policy/user-exception-kinds.js';
import type { ChangeRequestAction } from '../policy/maker-checker.js';
import { rowProblemMessage } from './messages.js';
import type { ChangeEffect, ChangeRequestView, PreviewRow } from './change-requests.js';

/**
 * What the request does. `secondFactorDeadline`: a pending reset of a user past the second-factor
 * deadline with no live exception — the words do not promise a new method at the next login.
 */
export function effectWords(effect: ChangeEffect, context: { secondFactorDeadline?: Date | string | undefined } = {}): Translatable {
  switch (effect.action) {
    case 'email':
      return effect.previous
        ? { key: 'approvals.effect.email.change', params: { user: effect.userId, previous: effect.previous, email: effect.email } }
        : { key: 'approvals.effect.email.register', params: { user: effect.userId, email: effect.email } };
    case 'csv_upload':
      return { key: 'approvals.effect.csv_upload', params: { ...effect.summary } };
    case 'exception_grant':
      return [
        { key: 'approvals.effect.exception_grant', params: { user: effect.userId, until: new Date(effect.until) } },
        isExceptionKind(effect.kind) ? (`exceptions.kind.${effect.kind}` as const) : msg('dms.audit.reason.other', { code: effect.kind }),
      ];
    case 'second_factor_reset':
      return context.secondFactorDeadline
        ? { key: 'approvals.effect.second_factor_reset.pastDeadline', params: { user: effect.userId, deadline: new Date(context.secondFactorDeadline) } }
        : { key: 'approvals.effect.second_factor_reset', params: { user: effect.userId } };
    default:
      return { key: `approvals.effect.${effect.action}`, params: { user: effect.userId } };
  }
}

export const ACTION_WORDS: Readonly<Record<ChangeRequestAction, MessageKey>> = {
  email: 'approvals.action.email',
  csv_upload: 'approvals.action.csv_upload',
  second_factor_reset: 'approvals.action.second_factor_reset',
  lock: 'approvals.action.lock',
  unlock: 'approvals.action.unlock',
  exception_grant: 'approvals.action.exception_grant',
};

/** A request's status; not applied because a deadline had passed: with that deadline (Hong Kong time). */
export function statusWords(request: Pick<ChangeRequestView, 'status' | 'deadline'>): Translatable {
  if (request.status === 'deadline_passed') return { key: 'approvals.status.deadline_passed', params: { deadline: request.deadline ? new Date(request.deadline) : '' } };
  return `approvals.status.${request.status}`;
}

export interface PreviewRowWords {
  line: number;
  userId: string | null;
  email: string | null;
  result: Translatable;
  problems: readonly Translatable[];
}

export function previewRowWords(row: PreviewRow): PreviewRowWords {
  const result: Translatable = row.outcome === 'changed' ? { key: 'approvals.preview.changed', params: { previous: row.previous ?? '' } } : `approvals.preview.${row.outcome}`;
  return { line: row.line, userId: row.userId, email: row.email ?? null, result, problems: row.problems.map(rowProblemMessage) };
}
