/**
 * The audit trail as a DA reads it: each event's type, outcome, author and details in words
 * of the catalogue (the reader's language), its time as a Date for the page to write in Hong
 * Kong time. The records themselves keep their machine form (the API and the CLI show it);
 * a type or a detail this module does not know yet is still shown, as its code.
 */
import { msg, type MessageKey, type Translatable } from '../i18n/translate.js';
import { PHASES } from '../policy/phases.js';
import { isExceptionKind } from '../policy/user-exception-kinds.js';
import type { FirmAuditEvent } from './administration.js';
import { isChangeRequestAction } from '../policy/maker-checker.js';
import { ACTION_WORDS } from './change-request-words.js';

/** A value on the page: words, something that is no language (an address, a fingerprint), or a time. */
export type Shown = { words: Translatable } | { literal: string } | { time: Date };

export interface AuditDetail {
  label: Translatable;
  value: Shown;
}

export interface AuditEventView {
  id: number;
  occurredAt: Date;
  event: Translatable;
  outcome: Translatable;
  userId: string | null;
  by: Shown | null;
  from: string | null;
  details: AuditDetail[];
}

/** The events a firm's trail holds, in the order the filter offers them. */
export const AUDIT_EVENT_WORDS: Readonly<Record<string, MessageKey>> = {
  login: 'dms.event.login',
  'login.password': 'dms.event.login.password',
  'login.totp': 'dms.event.login.totp',
  'login.email_otp': 'dms.event.login.email_otp',
  'login.smartcard': 'dms.event.login.smartcard',
  'login.webauthn': 'dms.event.login.webauthn',
  'login.recovery_code': 'dms.event.login.recovery_code',
  'email_otp.send': 'dms.event.email_otp.send',
  'account.lock': 'dms.event.account.lock',
  'account.unlock': 'dms.event.account.unlock',
  'account.access_revoked': 'dms.event.account.access_revoked',
  'second_factor.enrol': 'dms.event.second_factor.enrol',
  'second_factor.reset': 'dms.event.second_factor.reset',
  'user.add': 'dms.event.user.add',
  'user.password.set': 'dms.event.user.password.set',
  'user.password.change': 'dms.event.user.password.change',
  'user.enable': 'dms.event.user.enable',
  'user.disable': 'dms.event.user.disable',
  'activation.send': 'dms.event.activation.send',
  'activation.password': 'dms.event.activation.password',
  'email.register': 'dms.event.email.register',
  'email.change': 'dms.event.email.change',
  'dms.login': 'dms.event.dms.login',
  'dms.csv_upload': 'dms.event.dms.csv_upload',
  'da.add': 'dms.event.da.add',
  'smartcard.bind': 'dms.event.smartcard.bind',
  'smartcard.unbind': 'dms.event.smartcard.unbind',
  'participant.add': 'dms.event.participant.add',
  'phase.pilot_add': 'dms.event.phase.pilot_add',
  'phase.pilot_remove': 'dms.event.phase.pilot_remove',
  // The user's own security page (src/account).
  'account.login': 'dms.event.account.login',
  'account.session.end': 'dms.event.account.session.end',
  'account.sessions.end_others': 'dms.event.account.sessions.end_others',
  'webauthn.register': 'dms.event.webauthn.register',
  'webauthn.rename': 'dms.event.webauthn.rename',
  'webauthn.remove': 'dms.event.webauthn.remove',
  'recovery_codes.issue': 'dms.event.recovery_codes.issue',
  // Dated per-user exceptions (src/directory/user-exceptions.ts).
  'user.exception.grant': 'dms.event.user.exception.grant',
  'user.exception.revoke': 'dms.event.user.exception.revoke',
  // Maker-checker (src/dms/change-requests.ts) and the operator's sole-DA exemption.
  'change_request.create': 'dms.event.change_request.create',
  'change_request.approve': 'dms.event.change_request.approve',
  'change_request.reject': 'dms.event.change_request.reject',
  'change_request.expire': 'dms.event.change_request.expire',
  'change_request.stale': 'dms.event.change_request.stale',
  'participant.sole_da_exempt': 'dms.event.participant.sole_da_exempt',
};

const REASONS = new Set([
  'wrong_password',
  'unknown_user',
  'no_password',
  'disabled',
  'locked',
  'rejected',
  'replayed',
  'expired',
  'exhausted',
  'not_enrolled',
  'too_soon',
  'too_many',
  'mail_unavailable',
  'not_a_da',
  'not_active',
  'unknown_subject',
  'no_certificate',
  'unbound',
  'revoked',
  'smartcard_ended',
  'smartcard_not_for_client',
  'two_factor_not_open',
  'two_factor_not_for_client',
  // A refused security key (src/factors/webauthn.ts).
  'unknown_credential',
  'challenge_unknown',
  'counter_regressed',
  'invalid',
  'user_handle_mismatch',
  'malformed',
  'already_registered',
  'too_many_keys',
  'needs_key_login',
  // A door a passed deadline closed (src/reminders/deadline-doors.ts).
  'deadline_passed',
]);
const METHODS = new Set(['password', 'totp', 'email', 'email_otp', 'smartcard', 'webauthn', 'recovery']);
/** Parts of a login's method as recorded ("pwd+webauthn+user-verified"): the password's short name, and what a key said of itself (not a method). */
const METHOD_ALIASES: Readonly<Record<string, string>> = { pwd: 'password', sc: 'smartcard' };
const KEY_FLAGS = new Set(['user-verified', 'device-bound']);
const CAUSES = new Set(['password_change', 'second_factor_reset', 'second_factor_change', 'smartcard_unbind', 'lock', 'disable']);
const CHANGES = new Set(['created', 'promoted', 'unchanged']);
const DELIVERIES = new Set(['sent', 'sending']);
const DURING = new Set(['activation', 'enrolment', 'smartcard']);
const UPLOAD_COUNTS = ['registered', 'changed', 'unchanged', 'resent', 'rejected'] as const;
/** What the access revocation record counts (store/user-access.ts): all of it is "sessions and codes ended". */
const ENDED_COUNTS = ['oidc', 'dmsSessions', 'accountSessions', 'loginsInProgress', 'enrolmentSessions', 'emailCodes'];
/** Details that other columns already show, or that say nothing to a DA. */
const SILENT = new Set(['by', 'queued', 'amr', 'acr', 'bytes', 'interaction', 'credential', 'userVerified', 'deviceBound', 'deviceType', 'left', 'offered', 'securityKey', 'securityKeys']);

const words = (text: Translatable): Shown => ({ words: text });
const literal = (text: string): Shown => ({ literal: text });
const text = (value: unknown): string => (typeof value === 'string' ? value : JSON.stringify(value));

export const eventWords = (type: string): Translatable => {
  const key = AUDIT_EVENT_WORDS[type];
  return key ? key : msg('dms.event.other', { type });
};

export const phaseWords = (phase: string): Translatable =>
  (PHASES as readonly string[]).includes(phase) ? (`dms.phase.${phase as (typeof PHASES)[number]}` as const) : msg('dms.audit.reason.other', { code: phase });

const reasonWords = (reason: unknown): Shown =>
  typeof reason === 'string' && REASONS.has(reason) ? words(`dms.audit.reason.${reason}` as MessageKey) : words(msg('dms.audit.reason.other', { code: text(reason) }));

/** "password+totp" → "Password + Authenticator app". */
function methodWords(method: unknown): Shown {
  const parts = typeof method === 'string' ? method.split('+').filter((part) => !KEY_FLAGS.has(part)).map((part) => METHOD_ALIASES[part] ?? part) : [];
  if (!parts.length || !parts.every((part) => METHODS.has(part))) return literal(text(method));
  return words(parts.flatMap((part, index) => [...(index ? (['dms.audit.plus'] as const) : []), `dms.audit.method.${part}` as MessageKey]));
}

const fromSet = (set: ReadonlySet<string>, prefix: string, value: unknown): Shown =>
  typeof value === 'string' && set.has(value) ? words(`${prefix}.${value}` as MessageKey) : literal(text(value));

function count(value: unknown): number {
  if (typeof value === 'number') return value;
  if (value && typeof value === 'object') return Object.values(value).reduce((sum: number, item) => sum + count(item), 0);
  return 0;
}

type DetailLabel = 'kind' | 'until' | 'why' | 'replaced' | 'reason' | 'method' | 'previous' | 'email' | 'name' | 'expiresAt' | 'deadline' | 'phase' | 'cause' | 'ended' | 'locked' | 'after' | 'change' | 'upload' | 'card' | 'delivery' | 'during' | 'other';
const label = (key: DetailLabel): MessageKey => `dms.audit.detail.${key}`;

/** An event's details as labelled values, in a stable order. */
export function auditDetails(type: string, details: Record<string, unknown>): AuditDetail[] {
  const shown: AuditDetail[] = [];
  const rest: string[] = [];
  if (type === 'dms.csv_upload') {
    const counts = Object.fromEntries(UPLOAD_COUNTS.map((key) => [key, count(details[key])]));
    shown.push({ label: label('upload'), value: words(msg('dms.audit.upload', counts)) });
  }
  if (type === 'account.access_revoked') shown.push({ label: label('ended'), value: literal(String(ENDED_COUNTS.reduce((sum, key) => sum + count(details[key]), 0))) });
  for (const [key, value] of Object.entries(details)) {
    if (SILENT.has(key) || (type === 'dms.csv_upload' && (UPLOAD_COUNTS as readonly string[]).includes(key)) || (type === 'account.access_revoked' && ENDED_COUNTS.includes(key))) continue;
    // A change request's details and an exemption's: the reason is what a person wrote.
    if (type.startsWith('change_request.') || type === 'participant.sole_da_exempt') {
      const own = changeRequestDetail(key, value);
      if (own) {
        shown.push(own);
        continue;
      }
    }
    switch (key) {
      case 'reason':
        shown.push({ label: label(key), value: reasonWords(value) });
        break;
      case 'method':
      case 'after':
        shown.push({ label: label(key), value: methodWords(value) });
        break;
      case 'previous':
        // Of a second factor: the method it had (or none); of an email change: the old address.
        if (type.startsWith('second_factor.')) shown.push({ label: label(key), value: value === null ? words('dms.audit.none') : methodWords(value) });
        else shown.push({ label: label(key), value: literal(text(value)) });
        break;
      case 'email':
      case 'name':
        shown.push({ label: label(key), value: literal(text(value)) });
        break;
      case 'kind':
        shown.push({ label: label(key), value: isExceptionKind(value) ? words(`exceptions.kind.${value}`) : literal(text(value)) });
        break;
      case 'until':
      case 'replaced':
      case 'exceptionUntil':
        shown.push({ label: label(key === 'exceptionUntil' ? 'until' : key), value: typeof value === 'string' && !Number.isNaN(Date.parse(value)) ? { time: new Date(value) } : literal(text(value)) });
        break;
      case 'why':
        shown.push({ label: label(key), value: literal(text(value)) });
        break;
      case 'replacedWhy':
      case 'replacedBy':
        break;
      case 'expiresAt':
      case 'deadline':
        shown.push({ label: label(key), value: typeof value === 'string' && !Number.isNaN(Date.parse(value)) ? { time: new Date(value) } : literal(text(value)) });
        break;
      case 'phase':
        shown.push({ label: label(key), value: words(phaseWords(text(value))) });
        break;
      case 'cause':
        shown.push({ label: label(key), value: fromSet(CAUSES, 'dms.audit.cause', value) });
        break;
      case 'locked':
        if (value === true) shown.push({ label: label(key), value: words('dms.audit.yes') });
        break;
      case 'change':
        shown.push({ label: label(key), value: fromSet(CHANGES, 'dms.audit.change', value) });
        break;
      case 'delivery':
        shown.push({ label: label(key), value: fromSet(DELIVERIES, 'dms.audit.delivery', value) });
        break;
      case 'during':
      case 'purpose':
      case 'vouchedBy':
        shown.push({ label: label('during'), value: fromSet(DURING, 'dms.audit.during', value) });
        break;
      case 'certificate':
      case 'fingerprint':
      case 'fingerprints': {
        const card = value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>)['fingerprint'] ?? (value as Record<string, unknown>)['serial'] : value;
        shown.push({ label: label('card'), value: literal(Array.isArray(card) ? card.join(', ') : text(card)) });
        break;
      }
      case 'serial':
      case 'issuer':
        break; // the fingerprint names the card
      default:
        // Machine data, written as such ("key=value"): a detail recorded since these words were written.
        rest.push(`${key}=${text(value)}`);
    }
  }
  if (rest.length) shown.push({ label: label('other'), value: literal(rest.join(' ')) });
  return shown;
}

function changeRequestDetail(key: string, value: unknown): AuditDetail | undefined {
  switch (key) {
    case 'reason':
      return { label: 'approvals.detail.reason', value: literal(text(value)) };
    case 'request':
      return { label: 'approvals.detail.request', value: literal(text(value)) };
    case 'maker':
      return { label: 'approvals.detail.maker', value: literal(text(value)) };
    case 'because':
      // Why a request was not applied, when something other than its users stopped it (the email registration deadline).
      return { label: label('reason'), value: reasonWords(value) };
    case 'action':
      return { label: 'approvals.detail.action', value: isChangeRequestAction(value) ? words(ACTION_WORDS[value]) : literal(text(value)) };
    case 'exempt':
      return { label: 'approvals.detail.exempt', value: words(value === true ? 'dms.audit.yes' : 'approvals.detail.no') };
    case 'changed':
      return { label: 'approvals.detail.changed', value: words(value === true ? 'dms.audit.yes' : 'approvals.detail.no') };
    default:
      return undefined;
  }
}

/** Who did it: the DA, the user, an HKSCC operator, the system; an author of another kind as recorded. */
export function authorWords(actor: string | null): Shown | null {
  if (!actor) return null;
  const colon = actor.indexOf(':');
  const kind = colon > 0 ? actor.slice(0, colon) : '';
  const name = actor.slice(colon + 1);
  // "da:B01234/ADMIN": the firm is the DA's own, the user ID is enough.
  const user = name.includes('/') ? name.slice(name.indexOf('/') + 1) : name;
  if (kind === 'da') return words(msg('dms.audit.by.da', { user }));
  if (kind === 'user') return words(msg('dms.audit.by.user', { user }));
  if (kind === 'operator') return words(msg('dms.audit.by.operator', { name }));
  if (kind === 'system') return words('dms.audit.by.system');
  return literal(actor);
}

export function auditEventView(event: FirmAuditEvent): AuditEventView {
  return {
    id: event.id,
    occurredAt: new Date(event.occurredAt),
    event: eventWords(event.type),
    outcome: event.outcome === 'success' || event.outcome === 'failure' ? (`dms.audit.outcome.${event.outcome}` as const) : msg('dms.audit.reason.other', { code: event.outcome }),
    userId: event.userId,
    by: authorWords(event.actor),
    from: event.ip,
    details: auditDetails(event.type, event.details),
  };
}
