/**
 * Text for a terminal: aligned columns (Chinese characters take two columns, so widths are
 * counted as a terminal draws them) and label/value lists.
 */

// East Asian Wide and Fullwidth ranges (Unicode UAX #11) that Chinese text uses.
const WIDE = /[\u1100-\u115F\u2E80-\u303E\u3041-\u33FF\u3400-\u4DBF\u4E00-\u9FFF\uA000-\uA4CF\uAC00-\uD7A3\uF900-\uFAFF\uFE30-\uFE4F\uFF00-\uFF60\uFFE0-\uFFE6\u{20000}-\u{3FFFD}]/u;

/** How many terminal columns `text` takes. */
export function displayWidth(text: string): number {
  let width = 0;
  for (const character of text) width += WIDE.test(character) ? 2 : 1;
  return width;
}

export function padEnd(text: string, width: number): string {
  return text + ' '.repeat(Math.max(0, width - displayWidth(text)));
}

export function padStart(text: string, width: number): string {
  return ' '.repeat(Math.max(0, width - displayWidth(text))) + text;
}

export interface TableOptions {
  /** Columns aligned right (numbers); the others are aligned left. */
  right?: ReadonlySet<number>;
}

/** Rows under a header, columns two spaces apart, no trailing spaces; ends with a newline. */
export function table(header: readonly string[], rows: ReadonlyArray<readonly string[]>, options: TableOptions = {}): string {
  const widths = header.map((title, column) => Math.max(displayWidth(title), ...rows.map((row) => displayWidth(row[column] ?? ''))));
  const format = (row: readonly string[]) =>
    row
      .map((cell, column) => (options.right?.has(column) ? padStart(cell, widths[column] ?? 0) : padEnd(cell, widths[column] ?? 0)))
      .join('  ')
      .trimEnd();
  return `${[header, ...rows].map(format).join('\n')}\n`;
}

/** "label   value" lines with the values in one column. */
export function labelled(lines: ReadonlyArray<readonly [label: string, value: string]>): string {
  const width = Math.max(...lines.map(([label]) => displayWidth(label)));
  return `${lines.map(([label, value]) => `${padEnd(label, width)}  ${value}`).join('\n')}\n`;
}
