/**
 * The text tables every command prints: each column padded to its widest cell (the header's included),
 * two spaces between columns, the last column never padded (no trailing blanks).
 */
export interface TextTable {
  readonly widths: readonly number[];
  /** Width of a full row. */
  readonly width: number;
  /** Continuation lines of a row start here, under the last column. */
  readonly lastColumnIndent: string;
  line(cells: readonly string[]): string;
}

const GAP = 2;

export function textTable(header: readonly string[], rows: readonly (readonly string[])[]): TextTable {
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => row[i].length)));
  return {
    widths,
    width: widths.reduce((sum, w) => sum + w, 0) + GAP * (widths.length - 1),
    lastColumnIndent: " ".repeat(widths.slice(0, -1).reduce((sum, w) => sum + w + GAP, 0)),
    line: (cells) =>
      cells
        .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i])))
        .join(" ".repeat(GAP))
        .trimEnd(),
  };
}

/** Header and rows as lines, ending with a newline. */
export function formatTextTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const { line } = textTable(header, rows);
  return `${[line(header), ...rows.map(line)].join("\n")}\n`;
}
