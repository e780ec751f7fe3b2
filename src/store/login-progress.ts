import { AsyncLocalStorage } from 'node:async_hooks';
import { hashId } from '../kernel/hash-id.js';
import type { Database } from './database.js';
import { prepared } from './prepared.js';
import { AUDIT_PARAMETERS, auditColumns, auditInsertFrom, type AuditEvent } from './audit.js';
import { upsertRowWhen, type OidcRow } from './oidc-rows.js';
import { claimStepStatement, type TotpCredentialRow } from './totp-credentials.js';
import { USER_COLUMNS, type UserRow } from './users.js';

/** The factors one login (one oidc-provider interaction) has proven so far, for which user. */
export interface LoginProgress {
  userId: string;
  factors: string[];
  /** The user asked to change their second factor once the current one is proven. */
  changeMethod: boolean;
  /** The user asked to set a new password once the second factor is proven. */
  changePassword: boolean;
  /** The second factor the user picked for this login ("use another way"), if not the one offered first. */
  chosenFactor: string | null;
}

/** What the login's user holds besides the user row: the TOTP secret, how many keys and unused recovery codes. */
export interface LoginCredentials {
  totp: TotpCredentialRow | null;
  securityKeys: number;
  recoveryCodes: number;
}

/** A login step's progress with its user as they are now and the user's TOTP credential: one row (see PROGRESS_WITH_USER). */
export type ProgressWithUserRow = {
  lp_user_id: string;
  lp_factors: string[];
  lp_change_method: boolean;
  lp_change_password: boolean;
  lp_chosen_factor: string | null;
  lp_expires_at: Date;
  lp_totp: TotpCredentialRow | null;
  lp_security_keys: number;
  lp_recovery_codes: number;
} & UserRow;

/**
 * The select list of a progress row `lp` joined with its user `u`: the progress columns
 * prefixed `lp_`, the user's own, and the user's TOTP credential (the code step checks it;
 * other steps ignore it). Shared by the progress lookup and the interaction lookup that
 * brings the progress along (oidc-adapter.ts).
 */
export const PROGRESS_WITH_USER = `lp.user_id as lp_user_id, lp.factors as lp_factors, lp.change_method as lp_change_method,
            lp.change_password as lp_change_password, lp.chosen_factor as lp_chosen_factor, lp.expires_at as lp_expires_at,
            ${USER_COLUMNS.map((column) => `u.${column}`).join(', ')},
            (select to_jsonb(tc) from totp_credentials tc where tc.user_id = u.id) as lp_totp,
            (select count(*)::int from webauthn_credentials wc where wc.user_id = u.id) as lp_security_keys,
            (select count(*)::int from recovery_codes rc where rc.user_id = u.id and rc.used_at is null) as lp_recovery_codes`;

/** The select list of a user `cu` whom a password step names, each column prefixed `cu_` (see ProgressLookahead). */
export const CANDIDATE_USER = USER_COLUMNS.map((column) => `cu.${column} as cu_${column}`).join(', ');

/** The user of a row selected with CANDIDATE_USER, if it found one. */
export function candidateOf(row: Record<string, unknown>): UserRow | undefined {
  if (row['cu_id'] === null || row['cu_id'] === undefined) return undefined;
  return Object.fromEntries(USER_COLUMNS.map((column) => [column, row[`cu_${column}`]])) as unknown as UserRow;
}

const lookaheadScope = new AsyncLocalStorage<ProgressLookahead>();

/**
 * A login page request's progress, read in the statement that finds its interaction: every
 * login request looks its oidc-provider interaction up first (by the browser's cookie) and
 * its progress next (by the same interaction), so one round trip serves both. The
 * interaction lookup keeps what it found here (the oidc adapter asks `progressLookahead()`
 * whether one is wanted); `findWithUser` takes it once, for the interaction it belongs to,
 * and reads the database as before when there is nothing (else) to take. It is meant for a
 * request's first look at its login, before that request changes anything.
 */
export class ProgressLookahead {
  private found: { interactionHash: string; row: ProgressWithUserRow | undefined } | undefined;
  private candidateFound: { user: UserRow | undefined } | undefined;

  /**
   * `now`: the instant the progress must still be live at (checked again when it is taken).
   * `candidate`: the user a password step names (normalised IDs), looked up in the same
   * statement — the password step's next read (takeCandidate).
   */
  constructor(
    readonly now: Date,
    readonly candidate?: { participantId: string; userId: string },
  ) {}

  /** For the adapter: the user the candidate IDs name, or none. */
  keepCandidate(user: UserRow | undefined): void {
    this.candidateFound = { user };
  }

  /** The user looked up for these IDs, once; undefined when none was (the database is asked). */
  takeCandidate(participantId: string, userId: string): { user: UserRow | undefined } | undefined {
    const found = this.candidateFound;
    this.candidateFound = undefined;
    return found && this.candidate?.participantId === participantId && this.candidate.userId === userId ? found : undefined;
  }

  /** Runs `lookup` (oidc-provider's interaction lookup); an interaction it finds brings its progress along. */
  during<T>(lookup: () => Promise<T>): Promise<T> {
    return lookaheadScope.run(this, lookup);
  }

  /** For the adapter: what the interaction lookup found for `interactionHash` (undefined: no live progress). */
  keep(interactionHash: string, row: ProgressWithUserRow | undefined): void {
    this.found = { interactionHash, row };
  }

  /** What was kept for this interaction, once; undefined when nothing was (the database is asked). */
  take(interactionHash: string): { row: ProgressWithUserRow | undefined } | undefined {
    const found = this.found;
    this.found = undefined;
    return found?.interactionHash === interactionHash ? { row: found.row } : undefined;
  }
}

/** The lookahead of the interaction lookup under way, if the caller asked for one. */
export function progressLookahead(): ProgressLookahead | undefined {
  return lookaheadScope.getStore();
}

export function loginProgressQueries(db: Database) {
  const findLive = prepared<{ user_id: string; factors: string[]; change_method: boolean; change_password: boolean; chosen_factor: string | null }>(
    db,
    'login_progress_find',
    'select user_id, factors, change_method, change_password, chosen_factor from login_progress where interaction_hash = $1 and expires_at > $2',
  );
  // A login step's whole state in one round trip: its progress, its user as they are now, and
  // the user's TOTP credential.
  const findLiveWithUser = prepared<ProgressWithUserRow>(
    db,
    'login_progress_find_with_user',
    `select ${PROGRESS_WITH_USER}
       from login_progress lp join users u on u.id = lp.user_id
      where lp.interaction_hash = $1 and lp.expires_at > $2`,
  );
  // A proven password: the progress begins (or begins again), with its audit records.
  const start = prepared(
    db,
    'login_progress_start',
    `with started as (
       insert into login_progress (interaction_hash, user_id, factors, change_method, change_password, chosen_factor, expires_at)
       values ($1, $2, $3, false, false, null, $4)
       on conflict (interaction_hash) do update set user_id = excluded.user_id, factors = excluded.factors,
         change_method = false, change_password = false, chosen_factor = null, expires_at = excluded.expires_at)
     ${auditInsertFrom(5)}`,
  );
  // The end of a password + code login: its progress gone, the user's login noted and failures
  // cleared, and its audit records — one statement, so all of it happens or none. It happens
  // only if the progress was still there and the user is still active and unlocked *now*: a
  // lock or a disable that landed while this request ran (a DA's, or a parallel wrong code's)
  // deleted the progress or changed the user, and must not be undone by this login.
  //
  // Two things may join it. A TOTP code's time step, claimed first (totp-credentials.ts says why
  // a step is used once): nothing of the login happens unless the step was still free — of two
  // requests with one code, exactly one completes — and a step that was taken leaves the
  // progress as it was, for the failed-factor path to count. And the interaction's result, the
  // row oidc-provider resumes the login from: written only if the login completed, so a login
  // is complete in the database exactly when oidc-provider can resume it.
  const completion = (claiming: boolean, withResult: boolean) => {
    const audit = claiming ? 5 : 4;
    const claimed = claiming
      ? `claimed as (${claimStepStatement('$4', '$2')} returning user_id),
          `
      : '';
    const saved = withResult ? `,
          saved as (${upsertRowWhen(audit + AUDIT_PARAMETERS, 'exists (select 1 from noted)')} returning 1)` : '';
    return prepared<{ claimed: number; completed: number }>(
      db,
      `login_progress_complete${claiming ? '_claiming_step' : ''}${withResult ? '_with_result' : ''}`,
      `with ${claimed}finished as (delete from login_progress where interaction_hash = $1${claiming ? ' and exists (select 1 from claimed)' : ''} returning user_id),
          noted as (
            update users set last_two_factor_login_at = $3, failed_attempts = 0, lockout_count = 0, locked_until = null
             where id = $2 and exists (select 1 from finished where finished.user_id = $2)
               and status = 'active' and (locked_until is null or locked_until <= $3)
            returning id),
          recorded as (${auditInsertFrom(audit)} where exists (select 1 from noted) returning 1)${saved}
     select ${claiming ? '(select count(*) from claimed)::int' : '1'} as claimed, (select count(*) from recorded)::int as completed`,
    );
  };
  const completions = {
    plain: completion(false, false),
    withResult: completion(false, true),
    claiming: completion(true, false),
    claimingWithResult: completion(true, true),
  };
  return {
    /** A lookahead for the next interaction lookup (see ProgressLookahead). */
    lookahead(now: Date, candidate?: { participantId: string; userId: string }): ProgressLookahead {
      return new ProgressLookahead(now, candidate);
    },
    /**
     * The progress of an interaction and its user, in one statement — or none, when `ahead`
     * holds what the interaction's own lookup brought along (see ProgressLookahead).
     */
    async findWithUser(
      interactionUid: string,
      now: Date,
      ahead?: ProgressLookahead,
    ): Promise<{ progress: LoginProgress; user: UserRow; credentials: LoginCredentials } | undefined> {
      const interactionHash = hashId(interactionUid);
      const prefetched = ahead?.take(interactionHash);
      const row = prefetched ? prefetched.row : (await findLiveWithUser([interactionHash, now])).rows[0];
      // A prefetched row was live at the lookahead's instant, a moment ago: it must still be now.
      if (!row || !(row.lp_expires_at > now)) return undefined;
      const {
        lp_user_id: userId,
        lp_factors: factors,
        lp_change_method: changeMethod,
        lp_change_password: changePassword,
        lp_chosen_factor: chosenFactor,
        lp_expires_at: _expiresAt,
        lp_totp: totp,
        lp_security_keys: securityKeys,
        lp_recovery_codes: recoveryCodes,
        ...user
      } = row;
      // to_jsonb gives the credential as JSON: its timestamp comes back as text.
      const credential = totp && { ...totp, confirmed_at: new Date(totp.confirmed_at) };
      return { progress: { userId, factors, changeMethod, changePassword, chosenFactor }, user: user as UserRow, credentials: { totp: credential, securityKeys, recoveryCodes } };
    },
    /**
     * A completed password + code login: what `finish` and `users.recordLogin(…, 'two-factor')`
     * do, in one statement.
     */
    /**
     * 'ended': the login may not complete after all (its progress was ended, or the user locked
     * or disabled meanwhile). With `use`, the code's time step is claimed in the same statement,
     * and 'code_used' says it was taken already (nothing else happened). With `result`, the
     * interaction's row (rowOfSave) is written in it too, only if the login completed.
     */
    async complete(
      interactionUid: string,
      userId: string,
      at: Date,
      events: readonly AuditEvent[],
      use?: { totpStep: number },
      result?: OidcRow,
    ): Promise<'completed' | 'ended' | 'code_used'> {
      if (events.length === 0) throw new Error('a completed login is always audited');
      const statement = use ? (result ? completions.claimingWithResult : completions.claiming) : result ? completions.withResult : completions.plain;
      const values = [hashId(interactionUid), userId, at, ...(use ? [use.totpStep] : []), ...auditColumns(events), ...(result ?? [])];
      const [row] = (await statement(values)).rows;
      if (!row?.claimed) return 'code_used';
      return row.completed ? 'completed' : 'ended';
    },
    /** Starts (or restarts, after a new password step) the progress of an interaction, with the records of why. */
    async start(interactionUid: string, userId: string, factors: string[], expiresAt: Date, events: readonly AuditEvent[] = []): Promise<void> {
      await start([hashId(interactionUid), userId, factors, expiresAt, ...auditColumns(events)]);
    },
    async find(interactionUid: string, now: Date): Promise<LoginProgress | undefined> {
      const [row] = (await findLive([hashId(interactionUid), now])).rows;
      return row ? { userId: row.user_id, factors: row.factors, changeMethod: row.change_method, changePassword: row.change_password, chosenFactor: row.chosen_factor } : undefined;
    },
    async requestMethodChange(interactionUid: string): Promise<void> {
      await db('login_progress').where({ interaction_hash: hashId(interactionUid) }).update({ change_method: true });
    },
    /** The second factor the user picked for this login ("use another way"). */
    async chooseFactor(interactionUid: string, method: string): Promise<void> {
      await db('login_progress').where({ interaction_hash: hashId(interactionUid) }).update({ chosen_factor: method });
    },
    async setPasswordChange(interactionUid: string, wanted: boolean): Promise<void> {
      await db('login_progress').where({ interaction_hash: hashId(interactionUid) }).update({ change_password: wanted });
    },
    async addFactor(interactionUid: string, factor: string): Promise<void> {
      await db('login_progress')
        .where({ interaction_hash: hashId(interactionUid) })
        .update({ factors: db.raw('array_append(factors, ?)', [factor]) });
    },
    async addFactors(interactionUid: string, factors: readonly string[]): Promise<void> {
      await db('login_progress')
        .where({ interaction_hash: hashId(interactionUid) })
        .update({ factors: db.raw('factors || ?::text[]', [[...factors]]) });
    },
    async finish(interactionUid: string): Promise<void> {
      await db('login_progress').where({ interaction_hash: hashId(interactionUid) }).delete();
    },
    async purgeExpired(now: Date): Promise<number> {
      return db('login_progress').where('expires_at', '<=', now).delete();
    },
  };
}

export type LoginProgressQueries = ReturnType<typeof loginProgressQueries>;
