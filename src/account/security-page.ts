/**
 * What a user does on their own security page, as use cases on plain data: see their
 * sessions and end them (ASVS 5.0 V7.5.2), list, rename, remove and register security keys,
 * make a new set of recovery codes, change their password, switch between an authenticator
 * app and emailed codes. Every change is audited and tells the user by email (the security
 * notice), in the one transaction of the change (ASVS V6.3.7). No change may leave the user
 * without a second factor. The caller is the security-page session (`AccountSession`) of a
 * login made moments before (sign-in.ts); these functions never see Koa.
 *
 * A user who has a security key could still have opened the page with a code ("use a code
 * instead"), and a code can be phished in real time. So for a key holder the changes that
 * would hand a phisher lasting access — registering a key, making new recovery codes,
 * changing the password, switching the code method — need a session opened with the key
 * (`keyLoginNeeded`); refused, they change nothing and are audited. Removing or renaming a key
 * and ending sessions stay open to a code-level session: a user who lost their key must be able
 * to remove it (removal ends what the key opened). A user with no key registers their first
 * one from a code-level session: that is the bootstrap, there being no key to log in with yet.
 * A session that opened while the user had a key stays code-level when every key is removed
 * meanwhile: removing the key and registering another is no way around the rule.
 */
import type { PublicKeyCredentialCreationOptionsJSON } from '@simplewebauthn/server';
import { revokeUserAccess } from '../directory/access-revocation.js';
import type { PasswordHasher, PasswordRules } from '../factors/password.js';
import { checkPasswordChange, type PasswordChangeInput } from '../factors/password-change.js';
import { issueRecoveryCodes, type RecoveryCodeDependencies } from '../factors/recovery-codes.js';
import { switchSecondFactor, usableFactors, type CodeMethod } from '../factors/second-factors.js';
import { confirmTotpEnrolment, type TotpDependencies } from '../factors/totp-service.js';
import { beginRegistration, cleanKeyName, finishRegistration, parseCredentialResponse, type WebauthnDependencies } from '../factors/webauthn.js';
import type { Translatable } from '../i18n/translate.js';
import { auditEvent, userActor, type Actor } from '../kernel/actor.js';
import type { Clock } from '../kernel/clock.js';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../kernel/errors.js';
import type { NoticeCause, SecurityNotices } from '../mail/security-notices.js';
import { lockEndsAt, type LockoutPolicy } from '../policy/lockout.js';
import type { Queries } from '../store/index.js';
import type { UserSession } from '../store/user-access.js';
import type { UserRow } from '../store/users.js';
import type { WebauthnCredentialRow } from '../store/webauthn-credentials.js';
import { ACCOUNT_CLIENT_ID } from '../oidc/first-party-clients.js';
import type { AccountSession } from './sign-in.js';

export interface AccountServices {
  queries: Queries;
  notices: SecurityNotices;
  hasher: PasswordHasher;
  passwordRules: PasswordRules;
  lockout: LockoutPolicy;
  totp: TotpDependencies;
  webauthn: WebauthnDependencies;
  recoveryCodes: RecoveryCodeDependencies;
  clock: Clock;
}

/** Who acts: the security-page session, and where the request came from. */
export interface AccountRequest {
  session: AccountSession;
  origin: { ip: string; requestId: string };
}

/** A security key as its owner sees it. */
export interface SecurityKeyFacts {
  id: string;
  name: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  /** A passkey that may be synced to the user's other devices, or a key bound to one authenticator. */
  synced: boolean;
}

export interface SessionFacts {
  uid: string;
  loginAt: Date | null;
  lastActiveAt: Date | null;
  ip: string | null;
  clientIds: string[];
  /** The login that opened this security page. */
  current: boolean;
}

export interface SecurityOverview {
  /** What this session must do first before the changes only a key login may make (none: it may make them). */
  keyLogin: KeyLoginNeed;
  secondFactor: CodeMethod | null;
  email: string | null;
  keys: SecurityKeyFacts[];
  recoveryCodes: { unused: number; total: number; createdAt: Date } | undefined;
  sessions: SessionFacts[];
}

/** The name a key may have: what the user typed, trimmed, 1 to 64 characters. */
export const KEY_NAME_MAX = 64;

const keyFacts = (row: WebauthnCredentialRow): SecurityKeyFacts => ({
  id: row.id,
  name: row.name,
  createdAt: row.created_at,
  lastUsedAt: row.last_used_at,
  synced: row.device_type === 'multiDevice',
});

const actorOf = (request: AccountRequest): Actor => userActor(request.session.user, request.origin);

/** The security page keeps its own login going; a change ends everything else the user had open. */
const thisLogin = (request: AccountRequest) => ({ oidcSessionUid: request.session.oidcSessionUid ?? undefined, accountSession: request.session.idHash });

/** Audit record and security notice of a change, on the change's transaction. */
async function recordChange(services: AccountServices, within: Queries, request: AccountRequest, type: string, cause: NoticeCause | undefined, details: Record<string, unknown> = {}): Promise<void> {
  const actor = actorOf(request);
  await within.audit.record({ ...auditEvent(actor, type, 'success', request.session.user, { ...details, via: 'security_page' }), clientId: ACCOUNT_CLIENT_ID });
  if (cause) await services.notices.send(within, request.session.user, cause, { by: actor.name, ip: actor.ip ?? null, ...(details['name'] ? { params: { name: String(details['name']) } } : {}) });
}

/**
 * Whether a session must log in again before registering a key, making recovery codes,
 * changing the password or switching the code method: `key` when it was opened with a code and
 * the user has a key now (log in again with it); `again` when the user had a key when it opened
 * but has none now (a new login, then a bootstrap session); undefined when it may go ahead (a
 * key login, or a user who had and has no key).
 */
export type KeyLoginNeed = 'key' | 'again' | undefined;

export function keyLoginNeeded(session: Pick<AccountSession, 'phishingResistant' | 'hadSecurityKey'>, keysNow: number): KeyLoginNeed {
  if (session.phishingResistant) return undefined;
  if (keysNow > 0) return 'key';
  return session.hadSecurityKey ? 'again' : undefined;
}

const keyLoginRefusal = (need: 'key' | 'again') => new ForbiddenError(need === 'key' ? 'account.refusal.needsKeyLogin' : 'account.refusal.needsNewLogin');

/**
 * Refuses a change `type` that this session may not make without a key login: audited as a
 * failure (in its own statement: the refusal is kept), and a 403 that changes nothing.
 */
async function requireKeyLogin(services: AccountServices, request: AccountRequest, type: string): Promise<void> {
  const { user } = request.session;
  const need = keyLoginNeeded(request.session, (await services.queries.webauthnCredentials.listForUser(user.id)).length);
  if (!need) return;
  await services.queries.audit.record({ ...auditEvent(actorOf(request), type, 'failure', user, { reason: 'needs_key_login', via: 'security_page' }), clientId: ACCOUNT_CLIENT_ID });
  throw keyLoginRefusal(need);
}

/** For a page that only shows a form (the new key's, the new authenticator's): refused as the change it leads to would be, not audited. */
export async function assertMayChangeFactors(services: AccountServices, request: AccountRequest): Promise<void> {
  const need = keyLoginNeeded(request.session, (await services.queries.webauthnCredentials.listForUser(request.session.user.id)).length);
  if (need) throw keyLoginRefusal(need);
}

/** The facts the page shows (and DMS shows a DA, read-only: `securityFacts`). */
export async function securityOverview(services: AccountServices, request: AccountRequest): Promise<SecurityOverview> {
  const { user } = request.session;
  const [keys, recoveryCodes, sessions] = await Promise.all([
    services.queries.webauthnCredentials.listForUser(user.id),
    services.queries.recoveryCodes.summary(user.id),
    services.queries.userAccess.sessionsOf(user),
  ]);
  return {
    keyLogin: keyLoginNeeded(request.session, keys.length),
    secondFactor: user.second_factor,
    email: user.email,
    keys: keys.map(keyFacts),
    recoveryCodes,
    sessions: sessions.map((session: UserSession) => ({
      uid: session.uid,
      loginAt: session.loginAt,
      lastActiveAt: session.lastActiveAt,
      ip: session.ip,
      clientIds: session.clientIds,
      current: session.uid === request.session.oidcSessionUid,
    })),
  };
}

/** What a Delegated Administrator reads about a user of their firm in DMS: the same facts, without session details. */
export interface SecurityFacts {
  keys: ReadonlyArray<Pick<SecurityKeyFacts, 'name' | 'createdAt' | 'lastUsedAt' | 'synced'>>;
  recoveryCodesLeft: number | undefined;
  sessions: number;
}

export async function securityFacts(queries: Pick<Queries, 'webauthnCredentials' | 'recoveryCodes' | 'userAccess'>, user: { id: string; participant_id: string; user_id: string }): Promise<SecurityFacts> {
  const [keys, codes, sessions] = await Promise.all([queries.webauthnCredentials.listForUser(user.id), queries.recoveryCodes.summary(user.id), queries.userAccess.sessionsOf(user)]);
  return {
    keys: keys.map(({ name, created_at, last_used_at, device_type }) => ({ name, createdAt: created_at, lastUsedAt: last_used_at, synced: device_type === 'multiDevice' })),
    recoveryCodesLeft: codes?.unused,
    sessions: sessions.length,
  };
}

// --- sessions ------------------------------------------------------------------------------

/** Ends one of the user's other sessions and whatever was issued in it. */
export async function endOtherSession(services: AccountServices, request: AccountRequest, sessionUid: string): Promise<void> {
  if (sessionUid === request.session.oidcSessionUid) throw new ValidationError('account.refusal.currentSession');
  await services.queries.transaction(async (within) => {
    const ended = await within.userAccess.endOidcSession(request.session.user.id, sessionUid);
    if (!ended) throw new NotFoundError('account.refusal.noSuchSession');
    await recordChange(services, within, request, 'account.session.end', 'sessions_ended', { ended });
  });
}

/** "Sign out everywhere else": every session and token but this page's own login (ASVS V7.5.2). */
export async function signOutEverywhereElse(services: AccountServices, request: AccountRequest): Promise<number> {
  return services.queries.transaction(async (within) => {
    await recordChange(services, within, request, 'account.sessions.end_others', undefined);
    const revoked = await revokeUserAccess({ queries: within, notices: services.notices }, request.session.user, 'sessions_ended', actorOf(request), thisLogin(request));
    return (revoked.oidc['Session'] ?? 0) + revoked.dmsSessions + revoked.accountSessions;
  });
}

// --- security keys -------------------------------------------------------------------------

/** The ceremony's challenge is bound to this security-page session: another session cannot finish it. */
const ceremonyOf = (request: AccountRequest) => ({ user: request.session.user, binding: `account:${request.session.idHash}` });

function keyName(typed: unknown): string {
  const untrimmed = typeof typed === 'string' ? typed.trim() : '';
  // Too long as typed is refused (not cut); what is kept has no control or direction-override characters.
  const name = untrimmed.length > KEY_NAME_MAX ? untrimmed : cleanKeyName(untrimmed);
  if (name.length < 1 || name.length > KEY_NAME_MAX) throw new ValidationError({ key: 'account.refusal.keyName', params: { max: KEY_NAME_MAX } }, { name: 'length' });
  return name;
}

/** The options for a new key; none (and no challenge) for a session that may not register one. */
export async function beginKeyRegistration(services: AccountServices, request: AccountRequest): Promise<PublicKeyCredentialCreationOptionsJSON> {
  await assertMayChangeFactors(services, request);
  return beginRegistration(services.webauthn, ceremonyOf(request));
}

/** Registers the key the browser made; a refusal stores nothing and says one sentence. */
export async function registerKey(services: AccountServices, request: AccountRequest, input: { name: unknown; credential: unknown }): Promise<SecurityKeyFacts> {
  // A key holder's code-level session registers no key (the phisher's); a user's first key needs no key login (the bootstrap).
  await requireKeyLogin(services, request, 'webauthn.register');
  const name = keyName(input.name);
  const response = typeof input.credential === 'string' ? parseCredentialResponse('registration', input.credential) : undefined;
  if (!response) throw new ValidationError('account.refusal.keyNotRegistered', { credential: 'malformed' });
  const verdict = await services.queries.transaction(async (within) => {
    const result = await finishRegistration({ ...services.webauthn, credentials: within.webauthnCredentials, challenges: within.webauthnChallenges }, ceremonyOf(request), response, { name, registeredWith: 'security_page' });
    if (result.kind === 'registered') await recordChange(services, within, request, 'webauthn.register', 'security_key_added', { name, credential: result.credential.id, userVerified: result.userVerified });
    else await within.audit.record({ ...auditEvent(actorOf(request), 'webauthn.register', 'failure', request.session.user, { reason: result.reason, via: 'security_page' }), clientId: ACCOUNT_CLIENT_ID });
    return result;
  });
  if (verdict.kind !== 'registered') throw new ValidationError(verdict.reason === 'too_many_keys' ? 'account.refusal.tooManyKeys' : 'account.refusal.keyNotRegistered', { credential: verdict.reason });
  return keyFacts(verdict.credential);
}

export async function renameKey(services: AccountServices, request: AccountRequest, keyId: string, typed: unknown): Promise<void> {
  const name = keyName(typed);
  const { user } = request.session;
  await services.queries.transaction(async (within) => {
    const key = isUuid(keyId) ? await within.webauthnCredentials.find(user.id, keyId) : undefined;
    if (!key) throw new NotFoundError('account.refusal.noSuchKey');
    if (key.name === name) return;
    await within.webauthnCredentials.rename(user.id, keyId, name);
    await recordChange(services, within, request, 'webauthn.rename', 'security_key_renamed', { credential: keyId, name, previous: key.name });
  });
}

/** Removes a key, unless it is the user's last second factor (no code method and no other key). */
export async function removeKey(services: AccountServices, request: AccountRequest, keyId: string): Promise<void> {
  await services.queries.transaction(async (within) => {
    // The user's row, locked: two removals at once cannot each leave the other's key as the last one.
    const user = await within.users.findForUpdate(request.session.user.id);
    if (!user) throw new NotFoundError('account.refusal.noSuchKey');
    const keys = await within.webauthnCredentials.listForUser(user.id);
    const key = keys.find((row) => row.id === keyId);
    if (!key) throw new NotFoundError('account.refusal.noSuchKey');
    // What the user could still log in with: a code method they can receive (email needs an address), or another key.
    if (usableFactors({ second_factor: user.second_factor, email: user.email, securityKeys: keys.length - 1 }).length === 0) throw new ConflictError('account.refusal.lastFactor');
    await within.webauthnCredentials.remove(user.id, keyId);
    await recordChange(services, within, request, 'webauthn.remove', 'security_key_removed', { credential: keyId, name: key.name });
    // A removed key may be a lost one: what it may have opened ends (this page's own login stays). The removal's notice says it.
    await revokeUserAccess({ queries: within }, user, 'second_factor_change', actorOf(request), thisLogin(request));
  });
}

// --- recovery codes ------------------------------------------------------------------------

/** A new set of ten codes, to be shown once; the old set stops working. */
export async function regenerateRecoveryCodes(services: AccountServices, request: AccountRequest): Promise<string[]> {
  await requireKeyLogin(services, request, 'recovery_codes.issue');
  return services.queries.transaction(async (within) => {
    const codes = await issueRecoveryCodes({ ...services.recoveryCodes, codes: within.recoveryCodes }, request.session.user.id);
    await recordChange(services, within, request, 'recovery_codes.issue', 'recovery_codes_regenerated', { count: codes.length });
    return codes;
  });
}

// --- password ------------------------------------------------------------------------------

export type ChangeOutcome = { kind: 'changed' } | { kind: 'retry'; status: number; error: Translatable } | { kind: 'locked' };

/**
 * A new password; the current one is typed again (ASVS V6.2.3). A wrong current password
 * counts towards the lock as at login (someone at an unattended screen is guessing).
 */
export async function changePassword(services: AccountServices, request: AccountRequest, input: PasswordChangeInput): Promise<ChangeOutcome> {
  // Before the current password is checked: a refused session neither learns whether it was right nor counts towards the lock.
  await requireKeyLogin(services, request, 'user.password.change');
  const user = (await services.queries.users.findBySubject(request.session.user.id)) as UserRow;
  const check = await checkPasswordChange(services, user, input);
  if (check.kind === 'wrongCurrent') return wrongCurrentPassword(services, request, user);
  if (check.kind === 'refused') return { kind: 'retry', status: 400, error: check.error };
  await services.queries.transaction(async (within) => {
    await within.users.setPasswordHash(user.id, check.hash);
    await recordChange(services, within, request, 'user.password.change', undefined, { by: 'user' });
    // Whoever logged in with the old password logs in again; this page goes on (ASVS V7.4.3).
    await revokeUserAccess({ queries: within, notices: services.notices }, user, 'password_change', actorOf(request), thisLogin(request));
  });
  return { kind: 'changed' };
}

/**
 * Counted towards the same lock as a login's failed factor, but not through it
 * (login/failed-factor.ts): that path belongs to a login interaction (its metrics, its events,
 * a lock finishes it), and here there is none; the page's audit record names the page.
 */
async function wrongCurrentPassword(services: AccountServices, request: AccountRequest, user: UserRow): Promise<ChangeOutcome> {
  const locked = await services.queries.transaction(async (within) => {
    const counted = await within.users.recordFailure(user.id, services.lockout.threshold, lockEndsAt(services.lockout, user.lockout_count, services.clock.now()), true);
    await within.audit.record({ ...auditEvent(actorOf(request), 'user.password.change', 'failure', user, { reason: 'wrong_password', locked: counted.locked, via: 'security_page' }), clientId: ACCOUNT_CLIENT_ID });
    if (counted.locked) {
      await within.audit.record(auditEvent({ name: 'system:lockout', ip: request.origin.ip, requestId: request.origin.requestId }, 'account.lock', 'success', user, { after: 'password_change' }));
      await revokeUserAccess({ queries: within, notices: services.notices }, user, 'lock', { name: 'system:lockout', ip: request.origin.ip, requestId: request.origin.requestId });
    }
    return counted.locked;
  });
  return locked ? { kind: 'locked' } : { kind: 'retry', status: 401, error: 'change.wrongCurrent' };
}

// --- second factor -------------------------------------------------------------------------

/** Makes `method` the user's code method, audited, ending the sessions opened with the old one: in `within`. */
async function switchTo(services: AccountServices, within: Queries, request: AccountRequest, method: CodeMethod): Promise<void> {
  const { user } = request.session;
  await switchSecondFactor(within, user, method);
  await recordChange(services, within, request, 'second_factor.enrol', undefined, { method, previous: user.second_factor });
  await revokeUserAccess({ queries: within, notices: services.notices }, user, 'second_factor_change', actorOf(request), thisLogin(request));
}

/** Codes by email from now on (to the designated address). */
export async function switchToEmailCodes(services: AccountServices, request: AccountRequest): Promise<void> {
  const { user } = request.session;
  await requireKeyLogin(services, request, 'second_factor.enrol');
  if (!user.email) throw new ValidationError('account.refusal.noEmail');
  if (user.second_factor === 'email') throw new ConflictError('account.refusal.alreadyEmail');
  await services.queries.transaction((within) => switchTo(services, within, request, 'email'));
}

/** The first code of the new authenticator app confirms its secret and makes it the user's method. */
export async function confirmAuthenticatorApp(services: AccountServices, request: AccountRequest, code: string): Promise<'accepted' | 'rejected'> {
  await requireKeyLogin(services, request, 'second_factor.enrol');
  return services.queries.transaction(async (within) => {
    const verdict = await confirmTotpEnrolment({ ...services.totp, credentials: within.totpCredentials }, request.session.user.id, code);
    if (verdict !== 'accepted') return 'rejected';
    await switchTo(services, within, request, 'totp');
    return 'accepted';
  });
}

function isUuid(value: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value);
}

/** A key id from a URL: one of the user's keys is named by its UUID (anything else is not found). */
export function assertKeyId(value: string): string {
  if (!isUuid(value)) throw new NotFoundError('account.refusal.noSuchKey');
  return value.toLowerCase();
}
