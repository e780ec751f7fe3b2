import { parseEmailRegistrations } from '../../../src/dms/csv-registrations.js';

const limits = { maxBytes: 2048, maxRows: 5 };
const parse = (text: string | Buffer) => parseEmailRegistrations(typeof text === 'string' ? Buffer.from(text) : text, 'B01234', limits);

describe('CSV of designated emails', () => {
  it('reads valid rows, normalised, with the line each starts on', () => {
    const result = parse('\uFEFFUser_ID , Email\r\n\r\nu1,A@Example.com\r\n"u2","b@example.com"\r\n');
    expect(result).toEqual({
      ok: true,
      rows: [
        { line: 3, userId: 'U1', email: 'a@example.com' },
        { line: 4, userId: 'U2', email: 'b@example.com' },
      ],
      rejected: [],
    });
  });

  it('counts lines of a quoted cell that spans lines, and skips blank and empty rows', () => {
    const result = parse('user_id,email\n"u\n1",x@example.com\n,\n\nu2,y@example.com\n');
    expect(result.ok && result.rows.map((row) => row.line)).toEqual([6]);
    expect(result.ok && result.rejected).toEqual([{ line: 2, userId: null, problems: [{ code: 'bad_text', column: 'user_id' }] }]);
  });

  it('accepts the own participant in an optional column and rejects others without looking them up', () => {
    const result = parse('participant_id,user_id,email\nb01234,U1,a@example.com\nC99999,U2,b@example.com\n!!,U3,c@example.com\n');
    expect(result.ok && result.rows).toEqual([{ line: 2, userId: 'U1', email: 'a@example.com' }]);
    expect(result.ok && result.rejected.map((row) => row.problems[0])).toEqual([
      { code: 'other_participant', participant: 'C99999', own: 'B01234' },
      { code: 'invalid_participant_id', value: '!!' },
    ]);
  });

  it('rejects every row of a user listed twice', () => {
    const result = parse('user_id,email\nU1,a@example.com\nU2,b@example.com\nu1,a@example.com\n');
    expect(result.ok && result.rows.map((row) => row.userId)).toEqual(['U2']);
    expect(result.ok && result.rejected).toEqual([
      { line: 2, userId: 'U1', problems: [{ code: 'duplicate_user', user: 'U1', lines: [2, 4] }] },
      { line: 4, userId: 'U1', problems: [{ code: 'duplicate_user', user: 'U1', lines: [2, 4] }] },
    ]);
  });

  it.each([
    ['an empty file', '', 422],
    ['a header without rows', 'user_id,email\n', 422],
    ['a missing column', 'user_id\nU1\n', 422],
    ['an unknown column', 'user_id,email,phone\nU1,a@example.com,1\n', 422],
    ['a repeated column', 'user_id,email,EMAIL\nU1,a@example.com,b@example.com\n', 422],
    ['an unclosed quote', 'user_id,email\n"U1,a@example.com\n', 422],
    ['too many rows', `user_id,email\n${'U1,a@example.com\n'.repeat(6)}`, 413],
    ['too many bytes', `user_id,email\nU1,${'a'.repeat(2100)}@example.com\n`, 413],
  ])('refuses %s as a whole', (_name, text, status) => {
    expect(parse(text)).toMatchObject({ ok: false, status });
  });

  it('says why a file is refused whole as a code with its values', () => {
    expect(parse('')).toEqual({ ok: false, status: 422, problem: { code: 'no_rows', required: ['user_id', 'email'], optional: ['participant_id'] } });
    expect(parse('user_id,email,EMAIL,phone\nU1,a@example.com,b@example.com,1\n')).toEqual({
      ok: false,
      status: 422,
      problem: { code: 'bad_header', required: ['user_id', 'email'], optional: ['participant_id'], found: ['user_id', 'email', 'EMAIL', 'phone'], missing: [], unknown: ['phone'], repeated: ['email'] },
    });
    expect(parse('user_id,email\n"U1,a@example.com\n')).toEqual({ ok: false, status: 422, problem: { code: 'malformed', cause: 'unclosed_quote', line: 2 } });
    expect(parse('user_id,email\nU1,a@example.com,x\n')).toEqual({ ok: false, status: 422, problem: { code: 'malformed', cause: 'cell_count', line: 2 } });
    expect(parse(`user_id,email\n${'U1,a@example.com\n'.repeat(6)}`)).toEqual({ ok: false, status: 413, problem: { code: 'too_many_rows', rows: 6, maxRows: 5 } });
    expect(parse(`user_id,email\nU1,${'a'.repeat(2100)}@example.com\n`)).toEqual({ ok: false, status: 413, problem: { code: 'too_large', maxKb: 2 } });
  });

  it('refuses text that is not UTF-8 instead of guessing', () => {
    expect(parse(Buffer.from([...Buffer.from('user_id,email\nU1,'), 0xa4, 0xa4, ...Buffer.from('@example.com\n')]))).toEqual({ ok: false, status: 415, problem: { code: 'not_utf8' } });
  });

  it('rejects bad user IDs and addresses with the value found', () => {
    const result = parse('user_id,email\nbad id!,a@example.com\nU2,not-an-email\nU3,=cmd@example.com\n');
    expect(result.ok && result.rejected.map((row) => row.problems)).toEqual([
      [{ code: 'invalid_user_id', value: 'bad id!' }],
      [{ code: 'invalid_email', value: 'not-an-email' }],
      [{ code: 'formula_email', value: '=cmd@example.com' }],
    ]);
  });
});
