/**
 * A login as the use cases see it: plain data about the request (which interaction, which
 * client and what it accepts, the phase in force, where the request came from) and, once the
 * password is proven, the user and what this login has proven so far. The routes build these
 * once per request; the use cases never see Koa or oidc-provider.
 */
import type { Clock } from '../kernel/clock.js';
import type { FactorHolder, FactorServices } from '../factors/second-factors.js';
import type { RecoveryCodeDependencies } from '../factors/recovery-codes.js';
import type { WebauthnDependencies } from '../factors/webauthn.js';
import type { LoginCredentials } from '../store/login-progress.js';
import type { PasswordHasher, PasswordRules } from '../factors/password.js';
import { msg, type Translatable, type MessageKey } from '../i18n/translate.js';
import type { SecurityNotices } from '../mail/security-notices.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { ProvenFactor } from '../oidc/assurance.js';
import type { ClientRequirement } from '../policy/access.js';
import type { LockoutPolicy } from '../policy/lockout.js';
import { isLocked } from '../policy/lockout.js';
import type { PolicySnapshot } from '../policy/phase-policy.js';
import type { Queries } from '../store/index.js';
import type { OidcRow } from '../store/oidc-rows.js';
import type { ProgressLookahead } from '../store/login-progress.js';
import type { UserRow } from '../store/users.js';
import type { DeadlineEnforcement } from '../reminders/enforcement.js';
import { firstSecondFactorClosed } from '../reminders/deadline-doors.js';
import { nextLoginStep, type LoginStep, type StepContext } from './steps.js';

export interface LoginServices extends FactorServices {
  queries: Queries;
  hasher: PasswordHasher;
  clock: Clock;
  lockout: LockoutPolicy;
  metrics: Metrics;
  log: Logger;
  notices: SecurityNotices;
  /** What a new password must satisfy (a user may change theirs during a login). */
  passwordRules: PasswordRules;
  /** How long a proven password holds for its interaction. */
  interactionTtlSeconds: number;
  webauthn: WebauthnDependencies;
  recoveryCodes: RecoveryCodeDependencies;
  /** Past the second-factor deadline, a user without one cannot start enrolling one here. */
  deadlines?: DeadlineEnforcement;
}

export interface LoginRequest {
  /** The oidc-provider interaction. */
  uid: string;
  clientId: string;
  /** Which methods this request's client accepts (its acr_values and its configuration). */
  requirement: ClientRequirement;
  /** The phase in force when the request came in (read once per request). */
  policy: PolicySnapshot;
  origin: { ip: string; requestId: string };
}

/** A login whose password is proven: the user, and what else it has proven so far. */
export interface Login {
  kind: 'login';
  request: LoginRequest;
  user: UserRow;
  /** What the user's second factors hold, loaded with the login (a TOTP secret, how many keys and recovery codes), so a step costs no lookup. */
  credentials: LoginCredentials;
  proven: ProvenFactor[];
  changeMethod: boolean;
  changePassword: boolean;
  /** The factor the user picked ("use another way"), or 'recovery'. */
  chosen: string | null;
  step: LoginStep;
}

/** The user as the second-factor registry sees them. */
export function factorHolder(login: Pick<Login, 'user' | 'credentials'>): FactorHolder {
  return { second_factor: login.user.second_factor, email: login.user.email, securityKeys: login.credentials.securityKeys };
}

/** What decides the next step besides the proven factors. */
export function stepContext(login: Pick<Login, 'changeMethod' | 'changePassword' | 'chosen' | 'request' | 'credentials'>): StepContext {
  return {
    changeMethod: login.changeMethod,
    changePassword: login.changePassword,
    chosen: login.chosen,
    phishingResistant: login.request.requirement.phishingResistant,
    recoveryCodes: login.credentials.recoveryCodes,
  };
}

/** The step after `proven`, for this login. */
export function stepAfter(login: Login, proven: readonly ProvenFactor[]): LoginStep {
  return nextLoginStep(proven, factorHolder(login), stepContext(login));
}

/** What became of a step: what the route shows next. */
export type LoginOutcome =
  /** Progress saved: show the page of the step that applies now (post/redirect/get). */
  | { kind: 'next' }
  /**
   * Every factor proven: oidc-provider gets the login. `resultWritten`: the interaction's result
   * was written with the completion (ResultRow), so only the redirect is left to do.
   */
  | { kind: 'complete'; accountId: string; acr: string; amr: string[]; resultWritten?: true }
  /** The same form again, saying why (a wrong code, a refused password), with this status. */
  | { kind: 'retry'; status: number; error: Translatable }
  /** The login cannot go on this way: an error page. */
  | LoginRefusal;

/** A completed login as oidc-provider receives it. */
export interface CompletedLogin {
  accountId: string;
  acr: string;
  amr: string[];
}

/**
 * The row of the interaction's result for a completed login (the routes make it from
 * oidc-provider's interaction, with rowOfSave): written by the statement that completes the
 * login, so that the login is complete exactly when oidc-provider can resume it.
 */
export type ResultRow = (login: CompletedLogin) => Promise<OidcRow>;

export interface LoginRefusal {
  kind: 'refused';
  status: number;
  title: MessageKey;
  message: Translatable;
}

export const refused = (status: number, title: MessageKey, message: Translatable): LoginRefusal => ({ kind: 'refused', status, title, message });

/** Locked or disabled since the password: nothing more of this login. */
export const CANNOT_LOG_IN_NOW = refused(403, 'login.error.cannotNow', 'login.error.locked');

/**
 * Where the login of this interaction stands: not started (no proven password, or it ran
 * out), a refusal (the user was locked or disabled meanwhile), or the login. `ahead`: the
 * progress the request's interaction lookup brought along, if it did.
 */
export async function findLogin(services: LoginServices, request: LoginRequest, ahead?: ProgressLookahead): Promise<Login | LoginRefusal | undefined> {
  const found = await services.queries.loginProgress.findWithUser(request.uid, services.clock.now(), ahead);
  if (!found) return undefined;
  const { progress, user, credentials } = found;
  if (user.status !== 'active' || isLocked(user, services.clock.now())) {
    await services.queries.loginProgress.finish(request.uid);
    return CANNOT_LOG_IN_NOW;
  }
  const proven = progress.factors as ProvenFactor[];
  const login: Login = {
    kind: 'login',
    request,
    user,
    credentials,
    proven,
    changeMethod: progress.changeMethod,
    changePassword: progress.changePassword,
    chosen: progress.chosenFactor,
    step: 'password',
  };
  const step = stepAfter(login, proven);
  const refusal = await enrolmentPastDeadline(services, login, step);
  if (refusal) {
    await services.queries.loginProgress.finish(request.uid);
    return refusal;
  }
  return { ...login, step };
}

/**
 * A user with no second factor at all is led to enrol one (their address proven by a code,
 * then a method chosen). Past `deadlines.secondFactor` that no longer starts, unless the user
 * has a live `second_factor_deadline` exception: the page names the deadline and whom to ask.
 */
async function enrolmentPastDeadline(services: LoginServices, login: Login, step: LoginStep): Promise<LoginRefusal | undefined> {
  if (step !== 'email-otp' && step !== 'choose-method') return undefined;
  const deadline = await firstSecondFactorClosed(services.deadlines, login.user.id, factorHolder(login));
  if (!deadline) return undefined;
  return refused(403, 'deadlines.secondFactor.pastTitle', msg(login.user.role === 'da' ? 'deadlines.secondFactor.pastDa' : 'deadlines.secondFactor.past', { deadline: deadline.at }));
}
