/**
 * The words DMS gives to what its domain code reports as codes: every CSV file problem, row
 * problem, upload problem, refusal and audit event is a catalogue message in both languages,
 * fully filled in, and the Chinese has no English sentence left in it.
 */
import type { CsvFileProblem, RowProblem } from '../../../src/directory/csv-problems.js';
import { auditDetails, auditEventView, authorWords, AUDIT_EVENT_WORDS } from '../../../src/dms/audit-words.js';
import { csvFileProblemMessage, rowProblemMessage, uploadProblemMessage } from '../../../src/dms/messages.js';
import { DMS_REFUSAL_CODES, dmsRefusal, refusalOf } from '../../../src/dms/refusals.js';
import { ForbiddenError, NotFoundError, TooManyRequestsError } from '../../../src/kernel/errors.js';
import { translator, type Translatable } from '../../../src/i18n/translate.js';
import { latinSentences } from '../../support/latin-sentences.js';

const en = translator('en');
const zh = translator('zh-Hant');
/** Names and values the Chinese may carry as they are. */
const ALLOW = ['CSV', 'UTF-8', 'DMS', 'HKSCC', 'NUL', 'KB', 'JSON', 'GET', 'X-CSRF-Token', 'Content-Type', 'text/csv', 'participant_id', 'user_id', 'email', 'participant add'];

function bothLanguages(text: Translatable): { en: string; zh: string } {
  const words = { en: en(text), zh: zh(text) };
  expect(words.en).not.toMatch(/\{\w+\}/);
  expect(words.zh).not.toMatch(/\{\w+\}/);
  expect(latinSentences(words.zh, ALLOW)).toEqual([]);
  return words;
}

const FILE_PROBLEMS: CsvFileProblem[] = [
  { code: 'too_large', maxKb: 4 },
  { code: 'not_utf8' },
  { code: 'malformed', cause: 'unclosed_quote', line: 3 },
  { code: 'malformed', cause: 'bad_quote', line: 3 },
  { code: 'malformed', cause: 'cell_count', line: 3 },
  { code: 'malformed', cause: 'other' },
  { code: 'no_rows', required: ['user_id', 'email'], optional: ['participant_id'] },
  // What the file's header says is the file's (data): in a Chinese sentence it may not be two English words in a row.
  { code: 'bad_header', required: ['user_id', 'email'], optional: ['participant_id'], found: ['user', 'mail', 'mail'], missing: ['user_id', 'email'], unknown: ['user2', 'mail'], repeated: ['mail'] },
  { code: 'bad_header', required: ['participant_id', 'user_id'], optional: [], found: ['x'], missing: ['participant_id'], unknown: ['x'], repeated: [] },
  { code: 'too_many_rows', rows: 21, maxRows: 20 },
];

const ROW_PROBLEMS: RowProblem[] = [
  { code: 'bad_text', column: 'email' },
  { code: 'invalid_user_id', value: 'bad!id' },
  { code: 'invalid_participant_id', value: '!!' },
  { code: 'invalid_email', value: 'broken' },
  { code: 'formula_email', value: '=1@example.com' },
  { code: 'other_participant', participant: 'D00002', own: 'C00001' },
  { code: 'duplicate_user', user: 'U05', lines: [4, 5] },
  { code: 'no_such_user', user: 'U09', participant: 'C00001' },
  { code: 'no_such_participant', participant: 'Z99999' },
  { code: 'invalid_display_name', problem: 'bad_text' },
  { code: 'invalid_display_name', problem: 'length' },
  { code: 'invalid_display_name', problem: 'formula' },
  { code: 'enrolment_closed' },
  { code: 'not_applied', cause: 'user_exists' },
  { code: 'not_applied', cause: 'user_gone' },
  { code: 'not_applied', cause: 'refused' },
];

describe('DMS words for CSV problems', () => {
  it.each(FILE_PROBLEMS.map((problem) => [problem.code, problem] as const))('words a file refused for %s in both languages', (_code, problem) => {
    bothLanguages(csvFileProblemMessage(problem));
  });

  it('says what is wrong with a header row, and where a file is not CSV', () => {
    expect(en(csvFileProblemMessage(FILE_PROBLEMS[7] as CsvFileProblem))).toBe(
      'The header row must name the columns user_id,email (optional: participant_id); found "user,mail,mail". Missing: user_id, email. Unknown: "user2", "mail". Repeated: mail.',
    );
    expect(zh(csvFileProblemMessage(FILE_PROBLEMS[7] as CsvFileProblem))).toBe('標題列須列明欄位 user_id,email（可選：participant_id）；現為「user,mail,mail」。缺少：user_id, email。不明欄位："user2", "mail"。重複：mail。');
    expect(zh(csvFileProblemMessage({ code: 'malformed', cause: 'unclosed_quote', line: 3 }))).toBe('檔案第 3 行附近並非有效的 CSV。有以引號開始的儲存格沒有結束引號。');
    expect(zh(csvFileProblemMessage({ code: 'not_utf8' }))).toBe('檔案並非 UTF-8 文字。請另存為「CSV UTF-8」格式後再上載。');
  });

  it.each(ROW_PROBLEMS.map((problem) => [problem.code, problem] as const))('words a row problem %s in both languages', (_code, problem) => {
    bothLanguages(rowProblemMessage(problem));
  });

  it('names the lines of a user listed twice', () => {
    const duplicate = rowProblemMessage({ code: 'duplicate_user', user: 'U05', lines: [4, 5] });
    expect(en(duplicate)).toBe('user U05 appears on lines 4, 5: list each user once');
    expect(zh(duplicate)).toBe('用戶 U05 出現於第 4, 5 行：每名用戶只可列出一次');
  });

  it.each(['not_a_form', 'interrupted', 'one_file', 'no_file'] as const)('words an upload that could not be read (%s)', (code) => {
    bothLanguages(uploadProblemMessage({ code }));
  });
});

describe('DMS refusals', () => {
  it.each(DMS_REFUSAL_CODES)('words %s in both languages', (code) => {
    const refusal = refusalOf(dmsRefusal(code, { user: 'U01', participant: 'C00001', seconds: 42 }));
    expect(refusal?.code).toBe(code);
    bothLanguages(refusal?.reason as Translatable);
  });

  it('keeps the class of the error, and so its status (and Retry-After)', () => {
    expect(dmsRefusal('no_such_user', { user: 'U1', participant: 'C1' })).toBeInstanceOf(NotFoundError);
    expect(dmsRefusal('no_dms_access')).toBeInstanceOf(ForbiddenError);
    const tooSoon = dmsRefusal('resend_too_soon', { seconds: 42 });
    expect(tooSoon).toBeInstanceOf(TooManyRequestsError);
    expect((tooSoon as TooManyRequestsError).retryAfterSeconds).toBe(42);
    expect(zh(tooSoon.reason)).toBe('啟用電郵剛剛已發送。請等候 42 秒後再發送。');
  });

  it('refuses an error of another module by its class, with the reason it brings', () => {
    expect(refusalOf(new ForbiddenError('problem.enrolmentClosed'))).toEqual({ code: 'not_allowed', reason: 'problem.enrolmentClosed', status: 403 });
    expect(refusalOf(new Error('a bug'))).toBeUndefined();
  });
});

describe('the audit trail in words', () => {
  const at = '2026-12-01T08:38:00.000Z';
  const event = (type: string, outcome: string, details: Record<string, unknown>, actor: string | null = 'da:C00001/ADMIN') =>
    auditEventView({ id: 1, occurredAt: at, type, outcome, actor, userId: 'U01', ip: '203.0.113.9', details });

  it.each(Object.keys(AUDIT_EVENT_WORDS))('names the event %s in both languages', (type) => {
    const view = event(type, 'success', {});
    bothLanguages(view.event);
    bothLanguages(view.outcome);
  });

  it('names an event it does not know by its code, in a sentence of the reader', () => {
    expect(zh(event('some.future_event', 'failure', {}).event)).toBe('其他事件（some.future_event）');
    expect(zh(event('login', 'failure', {}).outcome)).toBe('失敗');
  });

  it('shows the details of each kind of event as labelled values, never as JSON keys', () => {
    const samples: Array<[string, Record<string, unknown>]> = [
      ['login', { method: 'password+totp', amr: ['pwd'], acr: 'x', phase: 'parallel-run' }],
      ['login', { method: 'password', reason: 'two_factor_not_open', phase: 'email-registration' }],
      ['login.password', { method: 'password', reason: 'wrong_password', locked: true, phase: '2fa-only' }],
      ['login.totp', { reason: 'replayed', locked: false, phase: 'parallel-run' }],
      ['login.smartcard', { method: 'smartcard', reason: 'untrusted_issuer', certificate: { fingerprint: 'AB:CD', serial: '01' }, phase: 'smartcard-only' }],
      ['email_otp.send', { reason: 'mail_unavailable', queued: true, purpose: 'enrolment' }],
      ['email_otp.send', { delivery: 'sent', phase: 'parallel-run' }],
      ['account.lock', { after: 'email_otp', phase: 'parallel-run' }],
      ['account.lock', { by: 'da' }],
      ['account.access_revoked', { cause: 'lock', oidc: { Session: 1, RefreshToken: 2 }, dmsSessions: 1, loginsInProgress: 0, enrolmentSessions: 0, emailCodes: 1 }],
      ['second_factor.enrol', { method: 'totp', previous: null, during: 'activation' }],
      ['second_factor.reset', { previous: 'email' }],
      ['activation.send', { email: 'u01@example.com', expiresAt: '2026-12-04T08:38:00.000Z', queued: true }],
      ['email.change', { email: 'new@example.com', previous: 'old@example.com' }],
      ['dms.login', { reason: 'not_a_da' }],
      ['dms.csv_upload', { bytes: 120, registered: 2, changed: 1, unchanged: 3, resent: 0, rejected: 4 }],
      ['da.add', { change: 'promoted' }],
      ['participant.add', { name: 'Example Securities Ltd' }],
      ['smartcard.unbind', { fingerprints: ['AB:CD', 'EF:01'] }],
      // As the login records them: the password's short name, and a key's flags that are no method.
      ['login', { method: 'pwd+webauthn+user-verified+device-bound', amr: ['pwd', 'hwk'], acr: 'phrh', phase: 'parallel-run' }],
      ['login', { method: 'smartcard', acr: 'x', amr: ['sc'], securityKey: 'not_now', phase: 'parallel-run' }],
      ['login.webauthn', { reason: 'counter_regressed', locked: false, phase: 'parallel-run' }],
      ['login.webauthn', { credential: 'uuid', userVerified: true, deviceBound: false, phase: 'parallel-run' }],
      ['login.recovery_code', { left: 9, phase: 'parallel-run' }],
      ['login.smartcard', { method: 'smartcard', certificate: { fingerprint: 'AB:CD' }, offered: 'security_key', phase: 'parallel-run' }],
      ['webauthn.register', { credential: 'uuid', name: 'YubiKey', vouchedBy: 'smartcard', deviceType: 'singleDevice', phase: 'parallel-run' }],
      ['webauthn.register', { reason: 'too_many_keys', vouchedBy: 'smartcard' }],
      ['second_factor.reset', { previous: null, securityKeys: 2 }],
    ];
    for (const [type, details] of samples) {
      const shown = auditDetails(type, details);
      for (const detail of shown) {
        bothLanguages(detail.label);
        if ('words' in detail.value) bothLanguages(detail.value.words);
      }
      // Nothing fell through to "More": every key of these events has its words.
      expect({ type, other: shown.filter((detail) => detail.label === 'dms.audit.detail.other') }).toEqual({ type, other: [] });
    }
    const upload = auditDetails('dms.csv_upload', { bytes: 120, registered: 2, changed: 1, unchanged: 3, resent: 0, rejected: 4 });
    expect(zh((upload[0]?.value as { words: Translatable }).words)).toBe('已登記 2、已更改 1、沒有更改 3、再次發送 0、不獲接納 4');
    const login = auditDetails('login', { method: 'password+totp', phase: 'parallel-run' });
    expect(zh((login[0]?.value as { words: Translatable }).words)).toBe('密碼＋驗證器應用程式');
    expect(en((login[0]?.value as { words: Translatable }).words)).toBe('Password + Authenticator app');
    const keyLogin = auditDetails('login', { method: 'pwd+webauthn+user-verified', phase: 'parallel-run' });
    expect(zh((keyLogin[0]?.value as { words: Translatable }).words)).toBe('密碼＋安全密鑰');
    const bridged = auditDetails('webauthn.register', { vouchedBy: 'smartcard' });
    expect(en((bridged[0]?.value as { words: Translatable }).words)).toBe('Vouched for by the smartcard login');
    expect(auditDetails('activation.send', { expiresAt: '2026-12-04T08:38:00.000Z' })).toEqual([{ label: 'dms.audit.detail.expiresAt', value: { time: new Date('2026-12-04T08:38:00.000Z') } }]);
  });

  it('keeps what it does not know, under "More"', () => {
    expect(auditDetails('login', { newKey: 'x', count: 2 })).toEqual([{ label: 'dms.audit.detail.other', value: { literal: 'newKey=x count=2' } }]);
  });

  it('says who did it', () => {
    expect(zh((authorWords('da:C00001/ADMIN') as { words: Translatable }).words)).toBe('授權管理員 ADMIN');
    expect(zh((authorWords('user:C00001/U01') as { words: Translatable }).words)).toBe('用戶 U01 本人');
    expect(zh((authorWords('operator:alice') as { words: Translatable }).words)).toBe('香港結算操作員 alice');
    expect(zh((authorWords('system:lockout') as { words: Translatable }).words)).toBe('系統');
    expect(authorWords('test')).toEqual({ literal: 'test' });
    expect(authorWords(null)).toBeNull();
  });
});

describe('the checker of Latin sentences', () => {
  it('finds English runs of two words or more in the text of a page, not in its markup', () => {
    expect(latinSentences('<p class="two words">檔案未獲套用：The file is not UTF-8 text.</p>', [])).toEqual(['The file is not']);
    expect(latinSentences('<p>中文 English 中文</p><a href="/x?lang=en" title="Some title">中文</a>', [])).toEqual([]);
    // Tags separate nothing: words left in cells side by side are found as the reader sees them.
    expect(latinSentences('<td>unchanged</td><td>rejected</td>', [])).toEqual(['unchanged rejected']);
    expect(latinSentences('<td>U08</td><td>rejected</td><td>中文</td>', ['U08'])).toEqual([]);
    expect(latinSentences('<p>user X appears on lines 4, 5</p>', [])).toEqual(['user X appears on lines']);
  });

  it('lets names, IDs, addresses and links through', () => {
    expect(latinSentences('<p>CCASS DMS 用戶 ADMIN ONE, a.b@example.com http://x.example/a b</p>', ['CCASS', 'DMS', 'ADMIN ONE'])).toEqual([]);
    expect(latinSentences('<p>Log in to CCASS</p>', ['CCASS'])).toEqual(['Log in to']);
    expect(latinSentences('<p>a &amp; b &lt;tag&gt; c</p>', [])).toEqual([]);
    expect(latinSentences('<p>中文 don&#39;t stop 中文</p>', [])).toEqual(["don't stop"]);
  });
});
