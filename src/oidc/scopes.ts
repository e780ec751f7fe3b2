/**
 * The scopes this provider offers, and what each means to the user who is asked to allow it:
 * the consent page lists descriptions, never scope names.
 */
import { msg, type Message } from '../i18n/translate.js';

export const SCOPES = ['openid', 'offline_access', 'profile', 'email'] as const;
export type Scope = (typeof SCOPES)[number];

const DESCRIPTIONS: Readonly<Record<Scope, Message>> = {
  openid: msg('pages.scope.openid'),
  offline_access: msg('pages.scope.offline_access'),
  profile: msg('pages.scope.profile'),
  email: msg('pages.scope.email'),
};

const isScope = (scope: string): scope is Scope => (SCOPES as readonly string[]).includes(scope);

/** One line per scope, for the consent page ("If you continue, … receives:"). */
export function scopeDescriptions(scopes: Iterable<string>): Message[] {
  return [...new Set(scopes)].map((scope) => (isScope(scope) ? DESCRIPTIONS[scope] : msg('pages.scope.other', { scope })));
}
