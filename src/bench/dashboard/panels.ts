import { formatLegend, interpolate, promDuration, queryIntervals, type Dashboard, type DashboardPanel } from './grafana.js';
import { formatSeries } from './labels.js';
import { PromqlError } from './promql-ast.js';
import { evaluateRange } from './promql-eval.js';
import { parsePromql } from './promql-parse.js';
import type { SampleStore } from './sample-store.js';

export interface PanelSeries {
  name: string;
  points: { t: number; v: number }[];
}

/** A query the renderer could not evaluate, shown on its panel instead of a line. */
export interface SkippedQuery {
  expr: string;
  reason: string;
}

interface ViewBase {
  panel: DashboardPanel;
  skipped: SkippedQuery[];
}

export type PanelView =
  | ({ kind: 'row' } & ViewBase)
  | ({ kind: 'stat'; values: { name: string; value: number | undefined }[] } & ViewBase)
  /** `stepMs` is the query step: a longer distance between two points is a gap in the line. */
  | ({ kind: 'timeseries'; series: PanelSeries[]; stepMs: number } & ViewBase)
  /** A panel type this renderer does not draw (text, table, ...). */
  | ({ kind: 'unsupported' } & ViewBase);

export interface EvaluationOptions {
  store: SampleStore;
  /** The time range (ms), first and last scrape. */
  start: number;
  end: number;
  scrapeIntervalMs: number;
  /** Pixel width a panel's graph gets, which Grafana uses as its maxDataPoints. */
  dataPointsFor: (panel: DashboardPanel) => number;
}

export interface EvaluatedDashboard {
  views: PanelView[];
  /** The distinct $__rate_interval values the panels were evaluated with. */
  rateIntervals: string[];
}

/** Runs every panel's queries over the stored scrapes as Grafana would over Prometheus. */
export function evaluateDashboard(dashboard: Dashboard, options: EvaluationOptions): EvaluatedDashboard {
  const variables: Record<string, string> = {};
  for (const v of dashboard.variables) {
    if (v.type !== 'datasource' && v.current !== undefined) variables[v.name] = v.current;
  }
  const rateIntervals = new Set<string>();
  const views = dashboard.panels.map((panel): PanelView => {
    if (panel.type === 'row') return { kind: 'row', panel, skipped: [] };
    if (panel.type !== 'stat' && panel.type !== 'timeseries') return { kind: 'unsupported', panel, skipped: [] };
    const { intervalMs, rateIntervalMs } = queryIntervals(options.end - options.start, options.dataPointsFor(panel), options.scrapeIntervalMs);
    const builtins = {
      __interval: promDuration(intervalMs),
      __interval_ms: String(intervalMs),
      __rate_interval: promDuration(rateIntervalMs),
      __range: promDuration(options.end - options.start),
    };
    const series: PanelSeries[] = [];
    const skipped: SkippedQuery[] = [];
    for (const target of panel.targets) {
      if (target.expr.includes('__rate_interval')) rateIntervals.add(builtins.__rate_interval);
      const expr = interpolate(target.expr, { ...variables, ...builtins });
      const unresolved = /\$\{?\w+/.exec(expr);
      if (unresolved !== null) {
        // Inside a label value it would still parse, and quietly match nothing.
        skipped.push({ expr: target.expr, reason: `template variable ${unresolved[0]} has no value here` });
        continue;
      }
      try {
        const result = evaluateRange(parsePromql(expr), { start: options.start, end: options.end, stepMs: intervalMs }, options.store);
        for (const s of result) {
          const name = target.legendFormat !== undefined && target.legendFormat !== '' ? formatLegend(target.legendFormat, s.labels) : formatSeries(s.labels);
          series.push({ name: name === '' ? expr : name, points: s.points });
        }
      } catch (error) {
        if (!(error instanceof PromqlError)) throw error;
        skipped.push({ expr: target.expr, reason: error.message });
      }
    }
    if (panel.type === 'stat') return { kind: 'stat', panel, skipped, values: series.map((s) => ({ name: s.name, value: lastNotNull(s.points) })) };
    return { kind: 'timeseries', panel, skipped, series, stepMs: intervalMs };
  });
  return { views, rateIntervals: [...rateIntervals].sort() };
}

/** Grafana's lastNotNull reduction; NaN counts as null, as a gap in the graph. */
export function lastNotNull(points: readonly { v: number }[]): number | undefined {
  for (let i = points.length - 1; i >= 0; i--) {
    const v = points[i]!.v;
    if (!Number.isNaN(v)) return v;
  }
  return undefined;
}
