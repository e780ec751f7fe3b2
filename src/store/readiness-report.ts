/**
 * The migration readiness report's one query: every participant with its users counted by
 * how far they are on the way to password + OTP login, and who has a phishing-resistant
 * factor (a security key or passkey). A single pass over `users` (with the activation links
 * and the security keys aggregated once each), so it stays fast however many users there are.
 */
import type { Database } from './database.js';
import { READINESS_SQL, type ReadinessState } from './users.js';

export interface ParticipantReadinessRow {
  participant_id: string;
  participant_name: string;
  /** Users who are not disabled; every count below is of these. */
  users: number;
  disabled: number;
  email_registered: number;
  activation_sent: number;
  /** Opened their activation link and set a password through it. */
  activated: number;
  password_set: number;
  totp: number;
  email_otp: number;
  /** With at least one security key or passkey: a phishing-resistant factor. */
  security_key: number;
  locked: number;
  /**
   * Email, password and second factor (a code method or a security key) in place and not
   * locked: can log in at `2fa-only`.
   */
  ready: number;
  /** Logged in within the window, by smartcard only. */
  smartcard_only: number;
  /** Of those, not ready: shut out when `2fa-only` starts unless they finish. */
  smartcard_only_not_ready: number;
  /** Of those, without a security key: no phishing-resistant login left once smartcards end. */
  smartcard_only_without_key: number;
}

/** A user (not disabled) without a security key or passkey: no phishing-resistant factor yet. */
export interface UserWithoutKeyRow {
  user_id: string;
  display_name: string;
  readiness: ReadinessState;
  last_smartcard_login_at: Date | null;
}

export const READINESS_COUNTS = [
  'users',
  'disabled',
  'email_registered',
  'activation_sent',
  'activated',
  'password_set',
  'totp',
  'email_otp',
  'security_key',
  'locked',
  'ready',
  'smartcard_only',
  'smartcard_only_not_ready',
  'smartcard_only_without_key',
] as const satisfies ReadonlyArray<keyof ParticipantReadinessRow>;

// Named bindings: :now (locks), :since (start of the smartcard window).
const COUNTS_SQL = `
  count(u.id) filter (where u.status <> 'disabled') as users,
  count(u.id) filter (where u.status = 'disabled') as disabled,
  count(u.id) filter (where u.status <> 'disabled' and u.email is not null) as email_registered,
  count(u.id) filter (where u.status <> 'disabled' and links.user_id is not null) as activation_sent,
  count(u.id) filter (where u.status <> 'disabled' and links.used) as activated,
  count(u.id) filter (where u.status <> 'disabled' and u.password_hash is not null) as password_set,
  count(u.id) filter (where u.status <> 'disabled' and u.second_factor = 'totp') as totp,
  count(u.id) filter (where u.status <> 'disabled' and u.second_factor = 'email') as email_otp,
  count(u.id) filter (where u.status <> 'disabled' and keys.user_id is not null) as security_key,
  count(u.id) filter (where u.status <> 'disabled' and u.locked_until > :now) as locked,
  count(u.id) filter (where ${readySql('u')}) as ready,
  count(u.id) filter (where u.status <> 'disabled' and ${smartcardOnlySql('u')}) as smartcard_only,
  count(u.id) filter (where u.status <> 'disabled' and ${smartcardOnlySql('u')} and not (${readySql('u')})) as smartcard_only_not_ready,
  count(u.id) filter (where u.status <> 'disabled' and ${smartcardOnlySql('u')} and keys.user_id is null) as smartcard_only_without_key`;

/** A second factor is a code method or a security key (`keys`: the aggregated credentials). */
function readySql(alias: string): string {
  return `(${alias}.status = 'active' and ${alias}.email is not null and ${alias}.password_hash is not null
    and (${alias}.second_factor is not null or keys.user_id is not null) and (${alias}.locked_until is null or ${alias}.locked_until <= :now))`;
}

function smartcardOnlySql(alias: string): string {
  return `(${alias}.last_smartcard_login_at >= :since
    and (${alias}.last_two_factor_login_at is null or ${alias}.last_two_factor_login_at < :since))`;
}

export function readinessReportQueries(db: Database) {
  return {
    /** One row per participant (or only `participantId`'s), ordered by participant ID. */
    async byParticipant(query: { participantId?: string | undefined; now: Date; smartcardSince: Date }): Promise<ParticipantReadinessRow[]> {
      const result = await db.raw<{ rows: Array<Record<string, string | number>> }>(
        `select p.id as participant_id, p.name as participant_name, ${COUNTS_SQL}
         from participants p
         left join users u on u.participant_id = p.id
         left join (
           select user_id, bool_or(used_at is not null) as used from activation_tokens group by user_id
         ) links on links.user_id = u.id
         left join (select distinct user_id from webauthn_credentials) keys on keys.user_id = u.id
         where (cast(:participantId as text) is null or p.id = cast(:participantId as text))
         group by p.id, p.name
         order by p.id`,
        { now: query.now, since: query.smartcardSince, participantId: query.participantId ?? null },
      );
      // count() comes back as bigint (a string in node-postgres); these fit in a number.
      return result.rows.map((row) => {
        const converted = { participant_id: String(row['participant_id']), participant_name: String(row['participant_name']) } as ParticipantReadinessRow;
        for (const key of READINESS_COUNTS) converted[key] = Number(row[key]);
        return converted;
      });
    },
    /**
     * One participant's users (not disabled) who have no security key, by user ID, at most
     * `limit` of them, with how many there are in all. The participant is part of the query:
     * a DA's page asks with the DA's own participant and reaches no other firm's users.
     */
    async withoutSecurityKey(participantId: string, query: { now: Date; limit: number }): Promise<{ rows: UserWithoutKeyRow[]; total: number }> {
      const base = db('users')
        .where({ participant_id: participantId })
        .whereNot({ status: 'disabled' })
        .whereNotExists(db('webauthn_credentials').select(db.raw('1')).whereRaw('webauthn_credentials.user_id = users.id'));
      const [counted] = await base.clone().count<{ count: string }[]>({ count: '*' });
      const rows = (await base
        .select('user_id', 'display_name', 'last_smartcard_login_at', db.raw(`${READINESS_SQL} as readiness`, [query.now, query.now]))
        .orderBy('user_id')
        .limit(query.limit)) as UserWithoutKeyRow[];
      return { rows, total: Number(counted?.count ?? 0) };
    },
  };
}

export type ReadinessReportQueries = ReturnType<typeof readinessReportQueries>;
