/**
 * A box-drawn text table in the style Trivy prints (github.com/aquasecurity/table): borders and row lines,
 * headers centred, multi-line cells, and optional auto-merge where a cell repeating the one above it in the
 * same column is left blank and the line between them is not drawn.
 */

export type Alignment = 'left' | 'center' | 'right';

export interface BoxTableOptions {
  headers: readonly string[];
  rows: readonly (readonly string[])[];
  /** Per column, for data rows (default left); headers are always centred. */
  alignments?: readonly Alignment[];
  autoMerge?: boolean;
  /** Wraps the border characters (e.g. to dim them on a terminal). */
  styleLine?: (text: string) => string;
}

const ANSI = /\u001b\[[0-9;]*m/g;

/** Display width: ANSI colour codes take no room; every code point takes one column. */
export function displayWidth(text: string): number {
  return [...text.replace(ANSI, '')].length;
}

function pad(text: string, width: number, alignment: Alignment): string {
  const room = width - displayWidth(text);
  if (room <= 0) return text;
  if (alignment === 'right') return ' '.repeat(room) + text;
  if (alignment === 'center') {
    const left = Math.floor(room / 2);
    return ' '.repeat(left) + text + ' '.repeat(room - left);
  }
  return text + ' '.repeat(room);
}

export function renderBoxTable(options: BoxTableOptions): string {
  const { headers, autoMerge = false } = options;
  const line = options.styleLine ?? ((t: string) => t);
  const columns = headers.length;
  const rows = options.rows.map((r) => Array.from({ length: columns }, (_, i) => r[i] ?? ''));

  // merged[r][c]: row r's cell repeats row r-1's, so it is blank and joined to the cell above.
  const merged = rows.map((row, r) =>
    row.map((cell, c) => autoMerge && r > 0 && cell !== '' && cell === rows[r - 1]?.[c]),
  );
  const shown = rows.map((row, r) => row.map((cell, c) => (merged[r]?.[c] ? '' : cell)));

  const widths = headers.map((h, c) =>
    Math.max(
      displayWidth(h),
      ...shown.map((row) => Math.max(...(row[c] ?? '').split('\n').map(displayWidth))),
    ),
  );

  const rule = (left: string, join: string, right: string) =>
    line(left + widths.map((w) => '─'.repeat(w + 2)).join(join) + right);

  const textLines = (cells: readonly string[], align: (c: number) => Alignment): string[] => {
    const split = cells.map((cell) => cell.split('\n'));
    const height = Math.max(1, ...split.map((s) => s.length));
    const out: string[] = [];
    for (let i = 0; i < height; i++) {
      const parts = split.map((s, c) => ` ${pad(s[i] ?? '', widths[c] ?? 0, align(c))} `);
      out.push(line('│') + parts.join(line('│')) + line('│'));
    }
    return out;
  };

  /** The line above row r: a rule segment where the cell starts anew, blanks where it continues. */
  const separator = (r: number): string => {
    const open = widths.map((_, c) => !merged[r]?.[c]);
    let out = open[0] ? '├' : '│';
    widths.forEach((w, c) => {
      out += open[c] ? '─'.repeat(w + 2) : ' '.repeat(w + 2);
      if (c === columns - 1) return;
      const a = open[c];
      const b = open[c + 1];
      out += a && b ? '┼' : a ? '┤' : b ? '├' : '│';
    });
    out += open[columns - 1] ? '┤' : '│';
    return line(out);
  };

  const out: string[] = [rule('┌', '┬', '┐'), ...textLines(headers, () => 'center')];
  out.push(rule('├', '┼', '┤'));
  shown.forEach((row, r) => {
    if (r > 0) out.push(separator(r));
    out.push(...textLines(row, (c) => options.alignments?.[c] ?? 'left'));
  });
  out.push(rule('└', '┴', '┘'));
  return `${out.join('\n')}\n`;
}
