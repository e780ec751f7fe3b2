/**
 * Reading an uploaded CSV file as a table, with the whole-file checks every upload needs:
 * size, UTF-8 (a file saved in Big5 or Latin-1 is refused, not mangled), a header row with
 * exactly the expected columns, well-formed CSV, and a row limit. csv-parse does the
 * parsing; each record keeps the line it starts on, for reports people can act on. A refused
 * file comes back as a code with its values (csv-problems.ts), never as a sentence.
 */
import { parse } from 'csv-parse/sync';
import type { CsvFileProblem, CsvSyntaxCause } from './csv-problems.js';

export type { CsvFileProblem } from './csv-problems.js';

export interface CsvLimits {
  maxBytes: number;
  maxRows: number;
}

export interface CsvColumns {
  required: readonly string[];
  optional: readonly string[];
}

export interface CsvRecord {
  /** 1-based line of the file where the record starts (the header is line 1). */
  line: number;
  cells: Record<string, string>;
}

export type CsvTable =
  | { ok: true; columns: string[]; records: CsvRecord[] }
  | { ok: false; status: 413 | 415 | 422; problem: CsvFileProblem };

const BOM = '\uFEFF';

/** csv-parse's error codes (CsvError.code), by what a person can do about them. */
const SYNTAX_CAUSES: Readonly<Record<string, CsvSyntaxCause>> = {
  CSV_QUOTE_NOT_CLOSED: 'unclosed_quote',
  INVALID_OPENING_QUOTE: 'bad_quote',
  CSV_INVALID_CLOSING_QUOTE: 'bad_quote',
  CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE: 'bad_quote',
  CSV_RECORD_INCONSISTENT_FIELDS_LENGTH: 'cell_count',
  CSV_RECORD_INCONSISTENT_COLUMNS: 'cell_count',
};

export function readCsvTable(bytes: Uint8Array, columns: CsvColumns, limits: CsvLimits): CsvTable {
  if (bytes.length > limits.maxBytes) return { ok: false, status: 413, problem: { code: 'too_large', maxKb: Math.floor(limits.maxBytes / 1024) } };
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return { ok: false, status: 415, problem: { code: 'not_utf8' } };
  }
  if (text.startsWith(BOM)) text = text.slice(1);
  // One kind of line break, so that line numbers count as people do (csv-parse would count
  // a CRLF inside a quoted cell twice).
  text = text.replace(/\r\n?/g, '\n');

  let rows: Array<{ record: string[]; raw: string; info: { lines: number } }>;
  try {
    rows = parse(text, { info: true, raw: true, skip_empty_lines: true, relax_column_count: false, trim: true, bom: false }) as unknown as typeof rows;
  } catch (error) {
    const { lines, code } = error as { lines?: number; code?: string };
    return { ok: false, status: 422, problem: { code: 'malformed', cause: (code && SYNTAX_CAUSES[code]) || 'other', ...(lines ? { line: lines } : {}) } };
  }
  // Rows whose cells are all empty (",,") are as good as blank lines.
  const nonEmpty = rows.filter((row) => row.record.some((cell) => cell !== ''));
  const [header, ...data] = nonEmpty;
  if (!header || data.length === 0) return { ok: false, status: 422, problem: { code: 'no_rows', required: columns.required, optional: columns.optional } };

  const names = header.record.map((cell) => cell.toLowerCase());
  const allowed = new Set([...columns.required, ...columns.optional]);
  const missing = columns.required.filter((name) => !names.includes(name));
  const unknown = names.filter((name) => !allowed.has(name));
  const repeated = names.filter((name, index) => names.indexOf(name) !== index);
  if (missing.length || unknown.length || repeated.length) {
    return {
      ok: false,
      status: 422,
      problem: { code: 'bad_header', required: columns.required, optional: columns.optional, found: header.record, missing, unknown, repeated },
    };
  }
  if (data.length > limits.maxRows) return { ok: false, status: 413, problem: { code: 'too_many_rows', rows: data.length, maxRows: limits.maxRows } };

  // info.lines is the line a record ends on; it starts as many lines earlier as its own text
  // (without the blank lines before it and its final line break) has line breaks.
  const records = data.map((row) => {
    const own = row.raw.replace(/^\n+/, '').replace(/\n$/, '');
    const line = row.info.lines - (own.match(/\n/g)?.length ?? 0);
    return { line, cells: Object.fromEntries(names.map((name, index) => [name, row.record[index] ?? ''])) };
  });
  return { ok: true, columns: names, records };
}

/** For each value seen on more than one record, the lines it is on. */
export function repeatedValues(records: ReadonlyArray<{ line: number; key: string | null }>): Map<string, number[]> {
  const lines = new Map<string, number[]>();
  for (const record of records) {
    if (record.key === null) continue;
    lines.set(record.key, [...(lines.get(record.key) ?? []), record.line]);
  }
  return new Map([...lines].filter(([, found]) => found.length > 1));
}
