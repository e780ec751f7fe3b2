/**
 * How an oidc-provider artefact is written as a row of oidc_payloads: the insert, what a
 * conflict updates, and the columns' types. Shared by the adapter (oidc-adapter.ts) and the
 * statements that write an artefact together with work of their own (a login's completion
 * with its interaction's result, login-progress.ts).
 */
export const OIDC_TABLE = 'oidc_payloads';

export const UPSERT_INTO = `insert into ${OIDC_TABLE} (model, id_hash, payload, grant_id_hash, user_code, uid, account_id, expires_at)`;

export const UPSERT_CONFLICT = `on conflict (model, id_hash) do update set payload = excluded.payload, grant_id_hash = excluded.grant_id_hash,
         user_code = excluded.user_code, uid = excluded.uid, account_id = excluded.account_id, expires_at = excluded.expires_at`;

/** The types of UPSERT_INTO's columns, in its order: a row selected rather than given as VALUES says them. */
export const UPSERT_TYPES = ['text', 'text', 'jsonb', 'text', 'text', 'text', 'text', 'timestamptz'] as const;

/** One artefact as the values of UPSERT_INTO's columns, in its order (model, id hash, payload, …). */
export type OidcRow = readonly unknown[];

/** The insert of one row whose eight values start at parameter `first`, only when `condition` holds (an SQL expression). */
export function upsertRowWhen(first: number, condition: string): string {
  const columns = UPSERT_TYPES.map((type, index) => `$${first + index}::${type}`).join(', ');
  return `${UPSERT_INTO} select ${columns} where ${condition} ${UPSERT_CONFLICT}`;
}
