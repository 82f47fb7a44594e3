/** What commands return: text for people, or a value printed as JSON for scripts. */
export interface CommandOutput {
  /** Lines for standard output. */
  readonly text?: string;
  /** Printed as JSON instead of `text` when the command ran with --json. */
  readonly json?: unknown;
  /** Process exit code; 0 unless the command found a problem (e.g. a failed check). */
  readonly exitCode?: number;
}

/** Pads columns so a table reads well in a terminal. */
export function formatTable(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, cell.length);
    });
  }
  return rows
    .map((row) =>
      row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  '),
    )
    .join('\n');
}
