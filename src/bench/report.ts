/** What every benchmark scenario reports: named figures, printed as a table or as JSON. */

export interface BenchMetric {
  name: string;
  /** null when the figure could not be measured (see note). */
  value: number | null;
  unit: string;
  note?: string;
}

export interface BenchReport {
  scenario: string;
  title: string;
  metrics: BenchMetric[];
  /** Settings and caveats a reader needs to interpret the figures. */
  notes: string[];
}

export interface BenchRunOptions {
  /** Much shorter runs, for smoke tests; the figures are rough. */
  quick: boolean;
}

export interface BenchScenario {
  name: string;
  title: string;
  run(options: BenchRunOptions): Promise<BenchReport>;
}

function formatValue(value: number | null): string {
  if (value === null) return '-';
  if (Number.isInteger(value)) return value.toLocaleString('en-US');
  if (Math.abs(value) >= 100) return Math.round(value).toLocaleString('en-US');
  return value.toFixed(value >= 10 ? 1 : 2);
}

/** A plain-text table: one row per metric, grouped by scenario, then each scenario's notes. */
export function renderTable(reports: readonly BenchReport[]): string {
  const rows: string[][] = [['scenario', 'metric', 'value', 'unit', 'note']];
  for (const report of reports) {
    for (const metric of report.metrics) {
      rows.push([report.scenario, metric.name, formatValue(metric.value), metric.unit, metric.note ?? '']);
    }
  }
  const widths = rows[0]!.map((_, col) => Math.max(...rows.map((row) => row[col]!.length)));
  const line = (row: string[]): string =>
    row
      .map((cell, col) => (col === 2 ? cell.padStart(widths[col]!) : cell.padEnd(widths[col]!)))
      .join('  ')
      .trimEnd();
  const out = [line(rows[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)];
  for (const report of reports) {
    if (report.notes.length === 0) continue;
    out.push('', `${report.scenario}: ${report.title}`);
    for (const note of report.notes) out.push(`  - ${note}`);
  }
  return `${out.join('\n')}\n`;
}
