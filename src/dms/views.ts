/**
 * The DMS pages and the data each takes (see `http/views.ts`). Whatever a DA reads is a
 * catalogue message (`Translatable`), so the compiler refuses an English string; raw strings
 * are only what is no language: IDs, names and addresses people typed, URLs, form values.
 * Times are Dates, written by the page in Hong Kong time (`hkTime`).
 */
import type { ReadinessDeadlinesView } from './readiness-deadlines.js';
import type { Translatable } from '../i18n/translate.js';
import type { ReadinessState } from '../store/users.js';
import type { FirmUser, UserList } from './administration.js';
import type { AuditEventView } from './audit-words.js';
import type { CsvLimits } from './csv-registrations.js';
import type { SecurityFacts } from '../account/security-page.js';
import type { PreviewRowWords } from './change-request-words.js';

/** What every signed-in DMS page shows in its banner: the participant, the DA, the logout form. */
export interface DmsFrame {
  dms: { participantId: string; userId: string; csrf: string };
}

export interface UsersView extends DmsFrame {
  list: UserList;
  query: { q: string; state: string };
  states: ReadonlyArray<{ id: ReadinessState; label: Translatable }>;
  /** The caption: how many users, and whether the list is filtered. */
  count: Translatable;
  previousPage?: string | undefined;
  nextPage?: string | undefined;
}

export interface UserView extends DmsFrame {
  user: FirmUser;
  /** The page of the signed-in DA: no lock or reset (they would shut themselves out). */
  self: boolean;
  notice?: Translatable | undefined;
  error?: Translatable | undefined;
  emailValue?: string | undefined;
  /** The user's security keys, recovery codes left and open sessions (what their security page shows them). */
  security?: SecurityFacts | undefined;
  /** The kinds of exception the DA may give this user (the form is shown when set). */
  exceptionKinds?: ReadonlyArray<{ id: string; label: Translatable }> | undefined;
  /** The user's dated exceptions from the schedule in force (read-only here). */
  exceptions?: readonly ExceptionShown[] | undefined;
}

/** A dated per-user exception as DMS shows it: what it allows (words), until when, and why. */
export interface ExceptionShown {
  kind: Translatable;
  until: Date;
  reason: string;
}

/** "Are you sure?" before an action a click must not do by itself (reset, lock). */
export interface ConfirmView extends DmsFrame {
  user: FirmUser;
  title: Translatable;
  /** What will happen, in sentences. */
  what: Translatable;
  submit: Translatable;
  /** Where the confirmed form posts. */
  action: string;
  /** The action waits for another DA (maker-checker): the form asks why. */
  asksReason?: boolean | undefined;
}

export interface UploadRowView {
  line: number;
  userId: string | null;
  result: Translatable;
  activation: Translatable;
  problems: readonly Translatable[];
}

export interface UploadView extends DmsFrame {
  limits: CsvLimits;
  /** The upload waits for another DA (maker-checker): the form asks why. */
  asksReason?: boolean | undefined;
  /** Why the file was not applied at all. */
  problem?: Translatable | undefined;
  report?: { summary: Record<'registered' | 'changed' | 'unchanged' | 'resent' | 'rejected', number>; rows: readonly UploadRowView[] } | undefined;
}

export interface ReadinessView extends DmsFrame, ReadinessDeadlinesView {
  windowDays: number;
  generatedAt: Date;
  readyPercent: string;
  /** The phase in force and the next switch, in words. */
  phase: Translatable;
  next?: { phase: Translatable; at: Date } | undefined;
  /** The phase that shuts out smartcard-only users, named in the "at risk" row. */
  cutOffPhase: Translatable;
  rows: ReadonlyArray<{ label: Translatable; value: number }>;
  /** The firm's users (not disabled) with no security key or passkey, the first of them by user ID. */
  withoutKey: {
    caption: Translatable;
    /** Set when there are more than the users listed. */
    more?: Translatable | undefined;
    users: ReadonlyArray<{ userId: string; displayName: string; state: ReadinessState; lastSmartcardLoginAt: Date | null }>;
  };
  /** The firm's users with a dated exception in force. */
  exceptions?: ReadonlyArray<ExceptionShown & { userId: string }> | undefined;
}

export interface AuditView extends DmsFrame {
  events: readonly AuditEventView[];
  query: { user: string; type: string };
  types: ReadonlyArray<{ id: string; label: Translatable }>;
  olderPage?: string | undefined;
}

/** A change request as a DA reads it (maker-checker). */
export interface ChangeRequestSummaryView {
  id: string;
  action: Translatable;
  what: Translatable;
  maker: string;
  createdAt: Date;
  status: Translatable;
  pending: boolean;
}

export interface ApprovalsView extends DmsFrame {
  requests: readonly ChangeRequestSummaryView[];
}

export interface ApprovalView extends DmsFrame {
  request: ChangeRequestSummaryView & {
    userId: string | null;
    reason: string | null;
    expiresAt: Date;
    decidedBy: string | null;
    decidedAt: Date | null;
  };
  /** The signed-in DA proposed it: no approve or reject for them. */
  own: boolean;
  /** For a CSV upload: the preview the maker saw, row by row. */
  rows?: readonly PreviewRowWords[] | undefined;
  notice?: Translatable | undefined;
  error?: Translatable | undefined;
  /** What approving would do that the request's words do not say (a reset past the second-factor deadline). */
  warning?: Translatable | undefined;
}

export interface DmsViews {
  'dms-users': UsersView;
  'dms-user': UserView;
  'dms-confirm': ConfirmView;
  'dms-upload': UploadView;
  'dms-readiness': ReadinessView;
  'dms-audit': AuditView;
  'dms-approvals': ApprovalsView;
  'dms-approval': ApprovalView;
  'dms-logged-out': Record<string, never>;
}
