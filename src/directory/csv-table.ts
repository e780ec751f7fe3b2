/**
 * Reading an uploaded CSV file as a table, with the whole-file checks every upload needs:
 * size, UTF-8 (a file saved in Big5 or Latin-1 is refused, not mangled), a header row with
 * exactly the expected columns, well-formed CSV, and a row limit. csv-parse does the
 * parsing; each record keeps the line it starts on, for reports people can act on.
 */
import { parse } from 'csv-parse/sync';

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
  | { ok: false; status: 413 | 415 | 422; problem: string };

const BOM = '\uFEFF';

function describeColumns(columns: CsvColumns): string {
  const optional = columns.optional.length ? ` (optional: ${columns.optional.join(', ')})` : '';
  return `${columns.required.join(',')}${optional}`;
}

export function readCsvTable(bytes: Uint8Array, columns: CsvColumns, limits: CsvLimits): CsvTable {
  if (bytes.length > limits.maxBytes) {
    return { ok: false, status: 413, problem: `The file is larger than ${Math.floor(limits.maxBytes / 1024)} KB; split it into smaller files.` };
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return { ok: false, status: 415, problem: "The file is not UTF-8 text. Save it as 'CSV UTF-8' and upload it again." };
  }
  if (text.startsWith(BOM)) text = text.slice(1);
  // One kind of line break, so that line numbers count as people do (csv-parse would count
  // a CRLF inside a quoted cell twice).
  text = text.replace(/\r\n?/g, '\n');

  let rows: Array<{ record: string[]; raw: string; info: { lines: number } }>;
  try {
    rows = parse(text, { info: true, raw: true, skip_empty_lines: true, relax_column_count: false, trim: true, bom: false }) as unknown as typeof rows;
  } catch (error) {
    const line = (error as { lines?: number }).lines;
    return { ok: false, status: 422, problem: `The file is not valid CSV${line ? ` near line ${line}` : ''}: ${(error as Error).message.replace(/^Invalid [^:]*: /, '')}` };
  }
  // Rows whose cells are all empty (",,") are as good as blank lines.
  const nonEmpty = rows.filter((row) => row.record.some((cell) => cell !== ''));
  const [header, ...data] = nonEmpty;
  if (!header || data.length === 0) {
    return { ok: false, status: 422, problem: `The file has no rows. Give a header row (${describeColumns(columns)}) and one row per user.` };
  }

  const names = header.record.map((cell) => cell.toLowerCase());
  const allowed = new Set([...columns.required, ...columns.optional]);
  const missing = columns.required.filter((name) => !names.includes(name));
  const unknown = names.filter((name) => !allowed.has(name));
  const repeated = names.filter((name, index) => names.indexOf(name) !== index);
  if (missing.length || unknown.length || repeated.length) {
    const problems = [
      missing.length ? `missing ${missing.join(', ')}` : '',
      unknown.length ? `unknown ${unknown.map((name) => `"${name}"`).join(', ')}` : '',
      repeated.length ? `repeated ${repeated.join(', ')}` : '',
    ].filter(Boolean);
    return {
      ok: false,
      status: 422,
      problem: `The header row must name the columns ${describeColumns(columns)}; found "${header.record.join(',')}" (${problems.join('; ')}).`,
    };
  }
  if (data.length > limits.maxRows) {
    return { ok: false, status: 413, problem: `The file has ${data.length} rows; at most ${limits.maxRows} per upload. Split it into smaller files.` };
  }

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
