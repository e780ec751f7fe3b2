/**
 * oidc-provider's storage adapter on PostgreSQL: one table for every model, so that
 * sessions, interactions, codes, tokens and grants are shared by all nodes.
 *
 * Ids are stored as SHA-256 hashes (see the migration): `find(id)` hashes what it is given.
 * The model's own `jti` is removed from the stored payload and put back on the way out.
 * A Session found by `uid` comes back without its `jti`; oidc-provider only reads such
 * sessions (to check that a token or an interaction still belongs to a live session).
 *
 * Finding a token or code also fetches, in the same statement, the grant it belongs to, the
 * session it lives with and the account (user) it was issued for: oidc-provider asks for all
 * three right after (a refresh grant is token → session → grant → account → new access
 * token); finding a finished interaction fetches its account too (the login's resumption asks
 * for it next). They are kept for the rest of the request only — handed out once, to the
 * request that fetched them — so a refresh costs two statements instead of five (three when
 * the refresh token rotates: the used one is consumed) and nothing is cached across requests. A login page's lookup of its interaction (outside oidc-provider's
 * requests) brings what the page reads next — the login's progress with its user — when the
 * login routes ask for it (ProgressLookahead, login-progress.ts). Writes through
 * this adapter forget what the request kept; the two writes made beside it
 * (revokeOidcArtefactsOf, extendOidcSession) run in our own routes, where there is no
 * provider request, or after the session was taken.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { hashId } from '../kernel/hash-id.js';
import { errors, type Adapter, type AdapterPayload } from 'oidc-provider';
import type { Database } from './database.js';
import { namedShape, prepared, unnamed } from './prepared.js';
import { OIDC_TABLE as TABLE, UPSERT_CONFLICT, UPSERT_INTO, UPSERT_TYPES, type OidcRow } from './oidc-rows.js';
import { CANDIDATE_USER, candidateOf, PROGRESS_WITH_USER, progressLookahead, type ProgressWithUserRow } from './login-progress.js';
import { problemIn } from '../kernel/storable-text.js';
import type { EndedArtefact } from '../oidc/backchannel-logout.js';

/** Models whose artefacts belong to a grant and die with it (revokeByGrantId). */
const GRANT_MEMBERS = new Set([
  'AccessToken',
  'AuthorizationCode',
  'RefreshToken',
  'DeviceCode',
  'BackchannelAuthenticationRequest',
]);

export { hashId };

interface Row {
  payload: AdapterPayload;
  consumed_at: Date | null;
  expires_at: Date | null;
}

/** A token or code with the grant and session it belongs to, when they are alive. */
interface RowWithRelatives extends Row {
  account: KeptAccount | null;
  grant_id_hash: string | null;
  grant_payload: AdapterPayload | null;
  session_payload: AdapterPayload | null;
  session_consumed_at: Date | null;
}

/**
 * The request an adapter call is made for (oidc-provider's own request context), or undefined
 * outside a request. Only identity matters: fetched relatives are kept per request object.
 */
export type RequestScope = () => object | undefined;

const LIVE = '(expires_at is null or expires_at > now())';

/** The account an artefact belongs to, as findAccount needs it (what ID tokens and sessions are issued for). */
export interface KeptAccount {
  id: string;
  status: string;
  participant_id: string;
  user_id: string;
  display_name: string;
  email: string | null;
}

/**
 * The user a row of this table (alias `t`) belongs to, read in the same statement: oidc-provider
 * asks for the account right after the code, token or finished interaction it found. The
 * CASE keeps the cast from ever seeing an account id that is not a UUID.
 */
const ACCOUNT_OF_ROW = `(select json_build_object('id', u.id, 'status', u.status, 'participant_id', u.participant_id, 'user_id', u.user_id,
            'display_name', u.display_name, 'email', u.email)
          from users u
         where u.id = case when t.account_id ~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' then t.account_id::uuid end) as account`;
const COLUMNS = 'payload, consumed_at, expires_at';

/** Marks an artefact consumed, only if no request did before (one row: this one won). The placeholders of its model and id hash. */
function consumeStatement(model: string, idHash: string): string {
  return `update ${TABLE} set consumed_at = now() where model = ${model} and id_hash = ${idHash} and consumed_at is null`;
}

/** The adapter's statements, prepared once per pool (see prepared.ts). */
function statements(db: Database) {
  return {
    db,
    upsert: prepared(db, 'oidc_upsert', `${UPSERT_INTO}\n       values ($1, $2, $3, $4, $5, $6, $7, $8)\n       ${UPSERT_CONFLICT}`),
    find: prepared<Row>(db, 'oidc_find', `select ${COLUMNS} from ${TABLE} where model = $1 and id_hash = $2 and ${LIVE} limit 1`),
    findWithRelatives: prepared<RowWithRelatives>(
      db,
      'oidc_find_with_relatives',
      `select t.payload, t.consumed_at, t.expires_at, t.grant_id_hash,
              g.payload as grant_payload, s.payload as session_payload, s.consumed_at as session_consumed_at,
              ${ACCOUNT_OF_ROW}
       from ${TABLE} t
       left join ${TABLE} g on g.model = 'Grant' and g.id_hash = t.grant_id_hash and (g.expires_at is null or g.expires_at > now())
       left join ${TABLE} s on s.model = 'Session' and s.uid = t.payload->>'sessionUid'
         and t.payload @> '{"expiresWithSession": true}' and (s.expires_at is null or s.expires_at > now())
       where t.model = $1 and t.id_hash = $2 and (t.expires_at is null or t.expires_at > now()) limit 1`,
    ),
    findWithAccount: prepared<Row & { account: KeptAccount | null }>(
      db,
      'oidc_find_with_account',
      `select t.payload, t.consumed_at, t.expires_at, ${ACCOUNT_OF_ROW}
       from ${TABLE} t where t.model = $1 and t.id_hash = $2 and (t.expires_at is null or t.expires_at > now()) limit 1`,
    ),
    // A login page's interaction with its login's progress (login_progress is keyed by the interaction's id hash too).
    findInteractionWithProgress: prepared<Row & NullableColumns<ProgressWithUserRow>>(
      db,
      'oidc_find_interaction_with_progress',
      `select t.payload, t.consumed_at, t.expires_at, ${PROGRESS_WITH_USER}
       from ${TABLE} t
       left join login_progress lp on lp.interaction_hash = t.id_hash and lp.expires_at > $2
       left join users u on u.id = lp.user_id
       where t.model = 'Interaction' and t.id_hash = $1 and (t.expires_at is null or t.expires_at > now()) limit 1`,
    ),
    // The same, for a password step: the user it names comes along too (see ProgressLookahead).
    findInteractionWithCandidate: prepared<Row & NullableColumns<ProgressWithUserRow> & Record<string, unknown>>(
      db,
      'oidc_find_interaction_with_candidate',
      `select t.payload, t.consumed_at, t.expires_at, ${PROGRESS_WITH_USER}, ${CANDIDATE_USER}
       from ${TABLE} t
       left join login_progress lp on lp.interaction_hash = t.id_hash and lp.expires_at > $2
       left join users u on u.id = lp.user_id
       left join users cu on cu.participant_id = $3 and cu.user_id = $4
       where t.model = 'Interaction' and t.id_hash = $1 and (t.expires_at is null or t.expires_at > now()) limit 1`,
    ),
    findByUid: prepared<Row>(db, 'oidc_find_by_uid', `select ${COLUMNS} from ${TABLE} where model = $1 and uid = $2 and ${LIVE} limit 1`),
    findByUserCode: prepared<Row>(db, 'oidc_find_by_user_code', `select ${COLUMNS} from ${TABLE} where model = $1 and user_code = $2 and ${LIVE} limit 1`),
    consume: prepared(db, 'oidc_consume', consumeStatement('$1', '$2')),
    revokeGrantOf: prepared(
      db,
      'oidc_revoke_grant_of',
      `with source as (select grant_id_hash from ${TABLE} where model = $1 and id_hash = $2 and grant_id_hash is not null)
       delete from ${TABLE} where grant_id_hash in (select grant_id_hash from source) or (model = 'Grant' and id_hash in (select grant_id_hash from source))`,
    ),
    destroy: prepared(db, 'oidc_destroy', `delete from ${TABLE} where model = $1 and id_hash = $2`),
    revokeByGrant: prepared(db, 'oidc_revoke_by_grant', `delete from ${TABLE} where grant_id_hash = $1`),
  };
}

type Statements = ReturnType<typeof statements>;

/** A row of left-joined columns: each may be null. */
type NullableColumns<T> = { [K in keyof T]: T[K] | null };

/**
 * Grants and sessions fetched along with a token, per request, until asked for. A WeakMap:
 * what a request did not ask for goes with the request.
 */
class Relatives {
  private readonly byRequest = new WeakMap<object, Map<string, AdapterPayload>>();

  constructor(private readonly scope: RequestScope) {}

  /** Whether there is a request to keep things for (not in the CLI, nor in our own routes). */
  inRequest(): boolean {
    return this.scope() !== undefined;
  }

  keep(key: string, payload: AdapterPayload): void {
    const request = this.scope();
    if (!request) return;
    let kept = this.byRequest.get(request);
    if (!kept) this.byRequest.set(request, (kept = new Map()));
    kept.set(key, payload);
  }

  /** Forgets what was kept under `key` for this request (it is being written). */
  drop(key: string): void {
    const request = this.scope();
    if (request) this.byRequest.get(request)?.delete(key);
  }

  /** Forgets every session kept for this request (one of them is being deleted, known by its id, not its uid). */
  dropSessions(): void {
    const kept = this.byRequest.get(this.scope() ?? {});
    for (const key of kept?.keys() ?? []) if (key.startsWith(sessionKey(''))) kept?.delete(key);
  }

  /** The payload kept under `key` for this request, once: a second call reads the database again. */
  take(key: string): AdapterPayload | undefined {
    const request = this.scope();
    const kept = request ? this.byRequest.get(request) : undefined;
    const payload = kept?.get(key);
    if (payload) kept?.delete(key);
    return payload;
  }
}

/**
 * The writes of one oidc-provider request, sent together when it ends: a login's resumption
 * (the interaction deleted; the grant, the session and the authorization code written) is one
 * statement instead of four, and a code exchange writes its access and refresh tokens in one.
 * Only consecutive writes wait: before any read or any other statement of the adapter the
 * waiting writes go first, so the request reads what it wrote. Together means all or nothing,
 * too: a node that dies in the middle leaves none of a request's artefacts rather than some.
 *
 * Consuming a code or a refresh token decides a race (of two requests with one, exactly one
 * may win). The consumption waits for the writes that follow it — the tokens it is exchanged
 * for — and goes in their statement, which writes them only if the consumption won: one round
 * trip and one commit fewer per code exchange and per rotating refresh, and a loser's tokens
 * never exist. A read in between sends it at once, as before. A lost race is what it always
 * was: the grant revoked and invalid_grant, thrown where the statement is sent.
 *
 * Work of our own can join that statement's transaction (commitWithSessionWrite): it waits for
 * the send with the session write it asks for, and is dropped if none comes.
 */
class WriteBehind {
  private pending = new Map<string, PendingWrite>();
  private withSessionWrite: Array<{ work: (trx: Database) => Promise<void>; when: (write: SessionWrite) => boolean }> = [];
  private db: Database | undefined;
  /** The flush under way: the next one waits for it, so writes commit in their order and a read after a flush sees them. */
  private flushing: Promise<void> = Promise.resolve();
  /** A consumption waiting for the writes after it, and what follows when another request won it (see above). */
  private consumption: PendingConsumption | undefined;

  /** Waits with the consumption of `idHash` for the writes that follow (the caller flushed what came before). */
  consume(db: Database, consumption: PendingConsumption): void {
    this.db = db;
    this.consumption = consumption;
  }

  upsert(db: Database, model: string, idHash: string, values: unknown[], payload: AdapterPayload): void {
    this.db = db;
    // The latest write of a key is the one that counts, in its place in the order.
    this.pending.delete(`${model}\u0000${idHash}`);
    this.pending.set(`${model}\u0000${idHash}`, { model, idHash, values, payload });
  }

  destroy(db: Database, model: string, idHash: string): void {
    this.db = db;
    this.pending.delete(`${model}\u0000${idHash}`);
    this.pending.set(`${model}\u0000${idHash}`, { model, idHash });
  }

  /** `work` commits in the transaction of this request's first session write that `when` accepts; without one, never. */
  joinSessionWrite(db: Database, work: (trx: Database) => Promise<void>, when: (write: SessionWrite) => boolean): void {
    this.db ??= db;
    this.withSessionWrite.push({ work, when });
  }

  flush(): Promise<void> {
    const run = this.flushing.then(() => this.send());
    this.flushing = run.catch(() => undefined);
    return run;
  }

  private async send(): Promise<void> {
    const writes = [...this.pending.values()];
    this.pending = new Map();
    const sessionWrites: SessionWrite[] = writes
      .filter((write) => write.model === 'Session')
      .map((write) => (write.payload ? { deleted: false, payload: write.payload } : { deleted: true }));
    const joined = this.withSessionWrite.filter((entry) => sessionWrites.some((write) => entry.when(write)));
    this.withSessionWrite = this.withSessionWrite.filter((entry) => !joined.includes(entry));
    const consumption = this.consumption;
    this.consumption = undefined;
    if (!this.db || (!writes.length && !consumption)) return;
    if (!joined.length) {
      if (!(await this.write(this.db, writes, consumption))) await consumption?.lost();
      return;
    }
    let won = true;
    await this.db.transaction(async (trx) => {
      won = await this.write(trx, writes, consumption);
      // A lost consumption writes nothing: neither does the work that was to commit with it.
      if (won) for (const { work } of joined) await work(trx);
    });
    if (!won) await consumption?.lost();
  }

  /** Sends the writes (with the consumption, when there is one); false when the consumption was lost and nothing was written. */
  private async write(db: Database, writes: PendingWrite[], consumption?: PendingConsumption): Promise<boolean> {
    if (!writes.length && !consumption) return true;
    const values: unknown[] = [];
    const placeholders = (row: readonly unknown[], casts?: readonly string[]) => `(${row.map((value, index) => `$${values.push(value)}${casts ? `::${casts[index]}` : ''}`).join(', ')})`;
    const consumed = consumption
      ? `consumed as (${consumeStatement(`$${values.push(consumption.model)}`, `$${values.push(consumption.idHash)}`)} returning 1)`
      : '';
    const gone = writes.filter((write) => !write.values);
    const kept = writes.filter((write) => write.values);
    const onlyIfConsumed = consumption ? ' and exists (select 1 from consumed)' : '';
    const deletion = gone.length ? `delete from ${TABLE} where (model, id_hash) in (${gone.map((write) => placeholders([write.model, write.idHash])).join(', ')})${onlyIfConsumed}` : '';
    let text: string;
    if (!consumption) {
      const rows = kept.map((write) => placeholders(write.values as unknown[])).join(', ');
      // A key is either deleted or written here (the map keeps one operation per key), so the two parts never meet.
      text = kept.length ? `${deletion ? `with gone as (${deletion}) ` : ''}${UPSERT_INTO} values ${rows} ${UPSERT_CONFLICT}` : deletion;
    } else {
      // The rows come from a VALUES list in a subquery (so that a condition can gate them): typed, as a plain VALUES would be by its target.
      const rows = kept.map((write) => placeholders(write.values as unknown[], UPSERT_TYPES)).join(', ');
      const insertion = kept.length ? `written as (${UPSERT_INTO} select * from (values ${rows}) as v where exists (select 1 from consumed) ${UPSERT_CONFLICT} returning 1)` : '';
      text = `with ${[consumed, deletion && `gone as (${deletion} returning 1)`, insertion].filter(Boolean).join(', ')} select count(*)::int as consumed from consumed`;
    }
    // The text depends on the counts only: the usual shapes (a login's resumption deletes one
    // and writes three, a code exchange writes two) are prepared once per connection under a
    // name that says them; an unusually large batch is parsed each time.
    const name = `oidc_${consumption ? 'consume_and_write' : 'write'}_${gone.length}_${kept.length}`;
    const run = gone.length <= MAX_NAMED_DELETES && kept.length <= MAX_NAMED_ROWS ? namedShape<{ consumed: number }>(db, name, text, values) : unnamed<{ consumed: number }>(db, text, values);
    const { rows } = await run;
    return !consumption || (rows[0]?.consumed ?? 0) > 0;
  }
}

/** A consumption that waits for the writes after it: the artefact, and what follows when another request won it. */
interface PendingConsumption {
  model: string;
  idHash: string;
  lost(): Promise<never>;
}

/** The largest batches prepared by name (see WriteBehind#write): at most 5 × 9 statements per connection. */
const MAX_NAMED_DELETES = 4;
const MAX_NAMED_ROWS = 8;

const writeBehind = new AsyncLocalStorage<WriteBehind>();

/** Runs one oidc-provider request with its adapter writes sent together at its end (see WriteBehind). */
export async function withBatchedOidcWrites<T>(request: () => Promise<T>): Promise<T> {
  const batch = new WriteBehind();
  let result: T;
  try {
    result = await writeBehind.run(batch, request);
  } catch (error) {
    // What the request wrote before it failed is written, as it would have been one by one.
    await batch.flush().catch(() => undefined);
    throw error;
  }
  await batch.flush();
  return result;
}

/** A session write of a request: the session deleted, or the payload it is saved with. */
export type SessionWrite = { deleted: true } | { deleted: false; payload: AdapterPayload };

type PendingWrite = { model: string; idHash: string; values?: unknown[]; payload?: AdapterPayload };

/**
 * Runs `work` in the transaction of this oidc-provider request's session write that `when`
 * accepts (e.g. the session deleted, or saved without a client's authorization): what a
 * session's ending causes commits with the ending, and a request that fails before it ends the
 * session — oidc-provider then saves it unchanged — does none of it. Outside a provider request
 * (no batch) it runs at once on `db`.
 */
export async function commitWithSessionWrite(db: Database, work: (trx: Database) => Promise<void>, when: (write: SessionWrite) => boolean): Promise<void> {
  const batch = writeBehind.getStore();
  if (batch) batch.joinSessionWrite(db, work, when);
  else await work(db);
}

const capturedRows = new AsyncLocalStorage<OidcRow[]>();

/**
 * Runs `save` (an oidc-provider model's save) without writing anything: the row it would have
 * written is returned instead, for a statement of ours that writes it with its own work, all
 * or nothing (a login's completion and its interaction's result: login-progress.ts).
 */
export async function rowOfSave(save: () => Promise<unknown>): Promise<OidcRow> {
  const rows: OidcRow[] = [];
  await capturedRows.run(rows, save);
  const [row] = rows;
  if (!row || rows.length !== 1) throw new Error(`a save wrote ${rows.length} rows where one was expected`);
  return row;
}

/** Sends the current request's waiting writes now (before a statement that must see them). */
export async function flushOidcWrites(): Promise<void> {
  await writeBehind.getStore()?.flush();
}

const grantKey = (idHash: string) => `Grant\u0000${idHash}`;
const sessionKey = (uid: string) => `Session\u0000${uid}`;
const accountKey = (id: string) => `Account\u0000${id}`;

export class PostgresAdapter implements Adapter {
  constructor(
    private readonly sql: Statements,
    private readonly model: string,
    private readonly relatives?: Relatives,
  ) {}

  async upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
    const idHash = hashId(id);
    this.forgetKept(idHash, payload.uid);
    const { jti: _jti, ...stored } = payload;
    // A parameter PostgreSQL cannot store (a NUL, a lone surrogate) is the client's bad request,
    // answered as oidc-provider answers any (redirected to the client where that is safe).
    if (problemIn(stored)) throw new errors.InvalidRequest('a parameter contains a NUL character or a lone surrogate, which cannot be stored');
    const expiresAt = expiresIn ? new Date(Date.now() + expiresIn * 1000) : null;
    const values = [
      this.model,
      idHash,
      JSON.stringify(stored),
      GRANT_MEMBERS.has(this.model) && payload.grantId ? hashId(payload.grantId) : null,
      payload.userCode ?? null,
      payload.uid ?? null,
      accountIdOf(payload),
      expiresAt,
    ];
    const captured = capturedRows.getStore();
    const batch = writeBehind.getStore();
    if (captured) captured.push(values);
    else if (batch) batch.upsert(this.sql.db, this.model, idHash, values, stored);
    else await this.sql.upsert(values);
    // Again: a token found meanwhile in this request may have kept the version before this write.
    this.forgetKept(idHash, payload.uid);
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    await flushOidcWrites();
    const idHash = hashId(id);
    if (this.model === 'Grant') {
      const kept = this.relatives?.take(grantKey(idHash));
      if (kept) return { ...kept, jti: id };
    }
    if (this.relatives?.inRequest() && GRANT_MEMBERS.has(this.model)) {
      const [row] = (await this.sql.findWithRelatives([this.model, idHash])).rows;
      if (!row) return undefined;
      if (row.grant_id_hash && row.grant_payload) this.relatives.keep(grantKey(row.grant_id_hash), row.grant_payload);
      if (row.account) this.relatives.keep(accountKey(row.account.id), row.account as unknown as AdapterPayload);
      const sessionUid = row.payload.sessionUid;
      if (typeof sessionUid === 'string' && row.session_payload) {
        this.relatives.keep(sessionKey(sessionUid), withState({ payload: row.session_payload, consumed_at: row.session_consumed_at, expires_at: null }));
      }
      return withState(row, id);
    }
    const ahead = this.model === 'Interaction' && !this.relatives?.inRequest() ? progressLookahead() : undefined;
    if (ahead) {
      // A login page's request: its login's progress comes with the interaction (see ProgressLookahead).
      const { candidate } = ahead;
      const [row] = candidate
        ? (await this.sql.findInteractionWithCandidate([idHash, ahead.now, candidate.participantId, candidate.userId])).rows
        : (await this.sql.findInteractionWithProgress([idHash, ahead.now])).rows;
      if (!row) return undefined;
      const { payload, consumed_at, expires_at, ...rest } = row;
      if (candidate) ahead.keepCandidate(candidateOf(rest));
      // The progress row is the rest without the candidate's columns.
      const progress = candidate ? (Object.fromEntries(Object.entries(rest).filter(([column]) => !column.startsWith('cu_'))) as typeof rest) : rest;
      ahead.keep(idHash, progress.lp_user_id !== null && progress.id !== null ? (progress as ProgressWithUserRow) : undefined);
      return withState({ payload, consumed_at, expires_at }, id);
    }
    if (this.relatives?.inRequest() && this.model === 'Interaction') {
      // A finished interaction is resumed: the account of its login is asked for next.
      const [row] = (await this.sql.findWithAccount([this.model, idHash])).rows;
      if (row?.account) this.relatives.keep(accountKey(row.account.id), row.account as unknown as AdapterPayload);
      return row ? withState(row, id) : undefined;
    }
    const [row] = (await this.sql.find([this.model, idHash])).rows;
    return row ? withState(row, id) : undefined;
  }

  async findByUid(uid: string): Promise<AdapterPayload | undefined> {
    await flushOidcWrites();
    if (this.model === 'Session') {
      const kept = this.relatives?.take(sessionKey(uid));
      if (kept) return kept;
    }
    const [row] = (await this.sql.findByUid([this.model, uid])).rows;
    return row ? withState(row) : undefined;
  }

  async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
    await flushOidcWrites();
    const [row] = (await this.sql.findByUserCode([this.model, userCode])).rows;
    return row ? withState(row) : undefined;
  }

  /**
   * Marks a code or refresh token used — once. oidc-provider checks `consumed` on what it
   * found and then consumes: two requests redeeming the same code at the same moment both
   * pass the check, but only one update can change the row. The other is refused like any
   * reuse, and the grant it came from ends with everything issued from it (RFC 6749 §4.1.2).
   */
  async consume(id: string): Promise<void> {
    await flushOidcWrites();
    const idHash = hashId(id);
    // Another request consumed it first: a replay, or a race. The grant ends (RFC 6749 §4.1.2, RFC 9700 §4.14.2).
    const lost = async (): Promise<never> => {
      await this.sql.revokeGrantOf([this.model, idHash]);
      throw new errors.InvalidGrant(`${this.model} already consumed`);
    };
    // In an oidc-provider request it goes with the writes that follow it (see WriteBehind).
    const batch = writeBehind.getStore();
    if (batch) return batch.consume(this.sql.db, { model: this.model, idHash, lost });
    const { rowCount } = await this.sql.consume([this.model, idHash]);
    if (rowCount === 0) await lost();
  }

  async destroy(id: string): Promise<void> {
    const idHash = hashId(id);
    this.forgetKept(idHash);
    const batch = writeBehind.getStore();
    if (batch) batch.destroy(this.sql.db, this.model, idHash);
    else await this.sql.destroy([this.model, idHash]);
    this.forgetKept(idHash);
  }

  /** A grant or session this request writes or deletes is read from the database from now on. */
  private forgetKept(idHash: string, uid?: unknown): void {
    if (this.model === 'Grant') this.relatives?.drop(grantKey(idHash));
    if (this.model === 'Session') {
      if (typeof uid === 'string') this.relatives?.drop(sessionKey(uid));
      else this.relatives?.dropSessions();
    }
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    // Every artefact of the grant, whatever its model: one adapter instance is asked per model
    // by oidc-provider, but a single statement is cheaper and leaves nothing behind.
    await flushOidcWrites();
    await this.sql.revokeByGrant([hashId(grantId)]);
  }
}

/**
 * Whose artefact this is: tokens, codes, grants and sessions name the account; an interaction
 * names it in the session it started from or, once a login finished, in its result.
 */
function accountIdOf(payload: AdapterPayload): string | null {
  const session = payload.session as { accountId?: unknown } | undefined;
  const result = payload.result as { login?: { accountId?: unknown } } | undefined;
  const accountId = payload.accountId ?? session?.accountId ?? result?.login?.accountId;
  return typeof accountId === 'string' ? accountId : null;
}

function withState(row: Row, id?: string): AdapterPayload {
  const payload: AdapterPayload = { ...row.payload };
  if (id !== undefined) payload.jti = id;
  if (row.consumed_at) payload.consumed = Math.floor(row.consumed_at.getTime() / 1000);
  return payload;
}

/**
 * The adapter class oidc-provider instantiates once per model name. With `requestScope`,
 * a token's grant and session come with it (see the top of this file); without, every
 * lookup is its own statement.
 */
export interface PostgresAdapterClass {
  new (model: string): Adapter;
  /** The account this request's code, token or interaction lookup brought along, once (then it is read again). */
  keptAccount(id: string): KeptAccount | undefined;
}

export function postgresAdapterFactory(db: Database, requestScope?: RequestScope): PostgresAdapterClass {
  const sql = statements(db);
  const relatives = requestScope ? new Relatives(requestScope) : undefined;
  return class extends PostgresAdapter {
    constructor(model: string) {
      super(sql, model, relatives);
    }

    static keptAccount(id: string): KeptAccount | undefined {
      return relatives?.take(accountKey(id)) as unknown as KeptAccount | undefined;
    }
  };
}

/** Deletes artefacts that expired more than `graceSeconds` ago; returns how many. */
export async function purgeExpiredOidcPayloads(db: Database, graceSeconds = 60): Promise<number> {
  return db(TABLE)
    .where('expires_at', '<', db.raw(`now() - make_interval(secs => ?)`, [graceSeconds]))
    .delete();
}

/**
 * What a revocation spares: the interaction making the change (a login changing its user's
 * second factor), or the provider session of the login making it (the security page's "sign
 * out everywhere else"), with the grants it holds and everything issued from them.
 */
export interface KeptOidcAccess {
  interaction?: string | undefined;
  sessionUid?: string | undefined;
}

/** The hashes of the grants a live session of `accountId` holds (one per client it logged in to). */
async function grantsOfSession(db: Database, accountId: string, sessionUid: string): Promise<string[] | undefined> {
  const row = (await db(TABLE).where({ model: 'Session', uid: sessionUid, account_id: accountId }).andWhereRaw(LIVE).first('payload')) as { payload: AdapterPayload } | undefined;
  if (!row) return undefined;
  const authorizations = (row.payload['authorizations'] ?? {}) as Record<string, { grantId?: unknown }>;
  return Object.values(authorizations).flatMap((authorization) => (typeof authorization.grantId === 'string' ? [hashId(authorization.grantId)] : []));
}

/**
 * Ends everything oidc-provider holds for one account: sessions (the browser's single
 * sign-on), grants, authorization codes, access and refresh tokens, and interactions in
 * flight — but what `keep` names (a bare string: the interaction making the change). Returns
 * how many of each model went.
 */
export async function revokeOidcArtefactsOf(db: Database, accountId: string, keep?: string | KeptOidcAccess, ended?: EndedArtefact[]): Promise<Record<string, number>> {
  await flushOidcWrites(); // nothing this request wrote for the account survives its revocation
  const kept: KeptOidcAccess = typeof keep === 'string' ? { interaction: keep } : (keep ?? {});
  const keptGrants = kept.sessionUid ? ((await grantsOfSession(db, accountId, kept.sessionUid)) ?? []) : [];
  const query = db(TABLE).where({ account_id: accountId });
  if (kept.interaction) query.whereNot((spared) => spared.where({ model: 'Interaction', uid: kept.interaction }));
  if (kept.sessionUid) {
    query.whereNot((spared) => spared.where({ model: 'Session', uid: kept.sessionUid }));
    if (keptGrants.length) {
      query.where((other) => other.whereNull('grant_id_hash').orWhereNotIn('grant_id_hash', keptGrants));
      query.whereNot((spared) => spared.where({ model: 'Grant' }).whereIn('id_hash', keptGrants));
    }
  }
  return countEnded(await query.delete().returning(DELETED), ended);
}

/** What a revocation reads back from the rows it deletes. */
const DELETED = ['model', 'payload', 'expires_at', 'consumed_at'];
type DeletedRow = { model: string; payload: AdapterPayload; expires_at: Date | null; consumed_at: Date | null };
/** Tokens a relying party may still hold when they are deleted (a consumed refresh token was replaced by its successor). */
const HELD_TOKENS = new Set(['AccessToken', 'RefreshToken']);

/** Counts deleted artefacts by model; sessions and live tokens go to `ended` (their back-channel logouts). */
function countEnded(rows: DeletedRow[], ended?: EndedArtefact[]): Record<string, number> {
  const counts: Record<string, number> = {};
  const now = Date.now();
  for (const { model, payload, expires_at, consumed_at } of rows) {
    counts[model] = (counts[model] ?? 0) + 1;
    const live = (!expires_at || expires_at.getTime() > now) && !consumed_at;
    if (model === 'Session' || (HELD_TOKENS.has(model) && live)) ended?.push({ model, payload });
  }
  return counts;
}

/** A live provider session of an account, as its owner sees it on the security page. */
export interface OidcSessionSummary {
  uid: string;
  /** When the login that opened it happened (oidc-provider's loginTs). */
  loginAt: Date | null;
  /** The clients logged in to through it. */
  clientIds: string[];
  /** The latest code or token issued in it (a relying party refreshing), else the login. */
  lastActiveAt: Date | null;
  expiresAt: Date | null;
}

/** The account's live provider sessions, newest login first, with their latest activity: one statement. */
export async function oidcSessionsOf(db: Database, accountId: string): Promise<OidcSessionSummary[]> {
  await flushOidcWrites();
  const { rows } = (await db.raw(
    `select s.uid, s.payload, s.expires_at,
            (select max((t.payload->>'iat')::bigint) from ${TABLE} t
              where t.account_id = s.account_id and t.model in ('AccessToken', 'RefreshToken', 'AuthorizationCode')
                and t.payload->>'sessionUid' = s.uid) as last_issued
       from ${TABLE} s
      where s.model = 'Session' and s.account_id = ? and (s.expires_at is null or s.expires_at > now()) and s.uid is not null`,
    [accountId],
  )) as { rows: { uid: string; payload: AdapterPayload; expires_at: Date | null; last_issued: string | null }[] };
  const epoch = (value: unknown) => (typeof value === 'number' || (typeof value === 'string' && /^\d+$/.test(value)) ? new Date(Number(value) * 1000) : null);
  return rows
    .map((row) => {
      const loginAt = epoch(row.payload['loginTs']);
      const lastIssued = epoch(row.last_issued);
      return {
        uid: row.uid,
        loginAt,
        clientIds: Object.keys((row.payload['authorizations'] ?? {}) as Record<string, unknown>).sort(),
        lastActiveAt: lastIssued && (!loginAt || lastIssued > loginAt) ? lastIssued : loginAt,
        expiresAt: row.expires_at,
      };
    })
    .sort((a, b) => (b.loginAt?.getTime() ?? 0) - (a.loginAt?.getTime() ?? 0));
}

/**
 * Ends one live provider session of an account: the session, the grants it holds and every
 * code and token issued from them or with it. False when the account has no such session.
 */
export async function endOidcSession(db: Database, accountId: string, sessionUid: string, ended?: EndedArtefact[]): Promise<Record<string, number> | undefined> {
  await flushOidcWrites();
  const grants = await grantsOfSession(db, accountId, sessionUid);
  if (!grants) return undefined;
  const rows = (await db(TABLE)
    .where({ account_id: accountId })
    .andWhere((of) => {
      of.where({ model: 'Session', uid: sessionUid }).orWhereRaw(`payload->>'sessionUid' = ?`, [sessionUid]);
      if (grants.length) of.orWhereIn('grant_id_hash', grants).orWhere((grant) => grant.where({ model: 'Grant' }).whereIn('id_hash', grants));
    })
    .delete()
    .returning(DELETED)) as DeletedRow[];
  return countEnded(rows, ended);
}

/** The uid of the live provider session a browser's session cookie names, when it is `accountId`'s. */
export async function oidcSessionUidOf(db: Database, sessionId: string, accountId: string): Promise<string | undefined> {
  await flushOidcWrites();
  const row = (await db(TABLE).where({ model: 'Session', id_hash: hashId(sessionId), account_id: accountId }).andWhereRaw(LIVE).first('uid')) as { uid: string | null } | undefined;
  return row?.uid ?? undefined;
}

/**
 * Moves a session's expiry (used when a relying party refreshes tokens that live with the
 * session: the user is active there). Sessions are found by uid; only the expiry changes.
 */
export async function extendOidcSession(db: Database, sessionUid: string, expiresAt: Date): Promise<boolean> {
  await flushOidcWrites(); // a session this request wrote is written before its expiry moves
  const exp = Math.floor(expiresAt.getTime() / 1000);
  const updated = await db(TABLE)
    .where({ model: 'Session', uid: sessionUid })
    .andWhere('expires_at', '>', db.fn.now())
    .update({ expires_at: expiresAt, payload: db.raw(`jsonb_set(payload, '{exp}', to_jsonb(?::bigint))`, [exp]) });
  return updated > 0;
}
