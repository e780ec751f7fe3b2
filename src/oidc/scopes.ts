/**
 * The scopes this provider offers, and what each means to the user who is asked to allow it:
 * the consent page lists descriptions, never scope or claim names.
 */
import { msg, type Message } from '../i18n/translate.js';
import { CLAIMS_BY_SCOPE } from './accounts.js';

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

/**
 * The claims a relying party may ask for one by one (the `claims` parameter, OIDC Core 5.5),
 * in words: every claim this server holds, but those that only say how and when the user
 * logged in, which every ID token carries and nobody is asked about (oidc-provider leaves
 * them out of what consent must grant). A claim added to CLAIMS_BY_SCOPE needs a line here
 * (test/unit/oidc/claims-parameter.test.ts checks).
 */
const CLAIM_DESCRIPTIONS: Readonly<Record<string, Message>> = {
  participant_id: msg('pages.claim.participant_id'),
  user_id: msg('pages.claim.user_id'),
  name: msg('pages.claim.name'),
  email: msg('pages.claim.email'),
};

const OTHER_CLAIM = msg('pages.claim.other');
const NEVER_ASKED: ReadonlySet<string> = new Set(['sub', 'sid', 'iss', 'acr', 'amr', 'auth_time']);

/**
 * One line per claim asked for by name, for the consent page, after the scopes' lines: a claim
 * that a scope on the same page already gives is not listed twice (`profile` is the name). Only
 * held claims reach the page (oidc-provider asks consent for supported claims only); anything
 * else would be named in general words, never by its claim name.
 */
export function claimDescriptions(claims: Iterable<string>, scopesOnPage: Iterable<string> = []): Message[] {
  const byScope = CLAIMS_BY_SCOPE as Readonly<Record<string, readonly string[]>>;
  const covered = new Set([...scopesOnPage].flatMap((scope) => byScope[scope] ?? []));
  const lines = [...new Set(claims)]
    .filter((claim) => !NEVER_ASKED.has(claim) && !covered.has(claim))
    .map((claim) => CLAIM_DESCRIPTIONS[claim] ?? OTHER_CLAIM);
  return [...new Set(lines)];
}
