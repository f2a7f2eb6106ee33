import { keepOnly, labelsKey, NAME_LABEL, without, withoutName, type Labels } from './labels.js';
import { PromqlError, type Aggregation, type AggregationOp, type Expr } from './promql-ast.js';
import { bucketQuantile, extrapolatedRate, type Bucket } from './promql-functions.js';
import { pointAt, pointsIn, type SampleStore } from './sample-store.js';

export interface VectorSample {
  labels: Labels;
  value: number;
}

export type InstantValue = { type: 'scalar'; value: number } | { type: 'vector'; samples: VectorSample[] };

export interface RangeSeries {
  labels: Labels;
  /** One point per step at which the series had a value. */
  points: { t: number; v: number }[];
}

export interface RangeQuery {
  start: number;
  end: number;
  stepMs: number;
}

/** Prometheus's default: an instant selector sees the newest sample up to five minutes old. */
export const DEFAULT_LOOKBACK_MS = 5 * 60_000;

/** Evaluates at one instant `t` (ms). Throws PromqlError EVALUATION where Prometheus would fail. */
export function evaluateInstant(expr: Expr, t: number, store: SampleStore, lookbackMs = DEFAULT_LOOKBACK_MS): InstantValue {
  switch (expr.kind) {
    case 'number':
      return { type: 'scalar', value: expr.value };
    case 'selector': {
      const samples: VectorSample[] = [];
      for (const series of store.select(expr.matchers)) {
        const p = pointAt(series, t, lookbackMs);
        if (p !== undefined) samples.push({ labels: series.labels, value: p.v });
      }
      return { type: 'vector', samples };
    }
    case 'rate': {
      const samples: VectorSample[] = [];
      const from = t - expr.rangeMs;
      for (const series of store.select(expr.selector.matchers)) {
        const value = extrapolatedRate(pointsIn(series, from, t), from, t);
        if (value !== undefined) samples.push({ labels: withoutName(series.labels), value });
      }
      return { type: 'vector', samples: unique(samples, 'rate()') };
    }
    case 'aggregate':
      return { type: 'vector', samples: aggregate(expr, vectorOf(evaluateInstant(expr.expr, t, store, lookbackMs), `${expr.op}()`)) };
    case 'histogram_quantile': {
      const q = evaluateInstant(expr.quantile, t, store, lookbackMs);
      if (q.type !== 'scalar') throw new PromqlError('EVALUATION', 'the quantile of histogram_quantile() must be a number');
      return { type: 'vector', samples: quantiles(q.value, vectorOf(evaluateInstant(expr.buckets, t, store, lookbackMs), 'histogram_quantile()')) };
    }
    case 'divide':
      return divide(evaluateInstant(expr.left, t, store, lookbackMs), evaluateInstant(expr.right, t, store, lookbackMs));
  }
}

/** Evaluates at every step from start to end, as a Prometheus range query does. */
export function evaluateRange(expr: Expr, query: RangeQuery, store: SampleStore, lookbackMs = DEFAULT_LOOKBACK_MS): RangeSeries[] {
  if (!(query.stepMs > 0)) throw new RangeError('stepMs must be positive');
  const byKey = new Map<string, RangeSeries>();
  for (let t = query.start; t <= query.end; t += query.stepMs) {
    const value = evaluateInstant(expr, t, store, lookbackMs);
    const samples = value.type === 'scalar' ? [{ labels: {}, value: value.value }] : value.samples;
    for (const s of samples) {
      const key = labelsKey(s.labels);
      let series = byKey.get(key);
      if (series === undefined) {
        series = { labels: s.labels, points: [] };
        byKey.set(key, series);
      }
      series.points.push({ t, v: s.value });
    }
  }
  return [...byKey.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, s]) => s);
}

function vectorOf(value: InstantValue, where: string): VectorSample[] {
  if (value.type !== 'vector') throw new PromqlError('EVALUATION', `${where} expects an instant vector, got a number`);
  return value.samples;
}

/** Prometheus refuses a result with two series of one label set: they could not be told apart. */
function unique(samples: VectorSample[], where: string): VectorSample[] {
  const seen = new Set<string>();
  for (const s of samples) {
    const key = labelsKey(s.labels);
    if (seen.has(key)) throw new PromqlError('EVALUATION', `${where}: two series with the labels ${key} after dropping the metric name`);
    seen.add(key);
  }
  return samples;
}

const REDUCERS: Readonly<Record<AggregationOp, (values: number[]) => number>> = {
  sum: (values) => values.reduce((a, b) => a + b, 0),
  count: (values) => values.length,
  avg: (values) => values.reduce((a, b) => a + b, 0) / values.length,
  // Prometheus's min and max skip NaN unless nothing else is there.
  min: (values) => extreme(values, (a, b) => a < b),
  max: (values) => extreme(values, (a, b) => a > b),
};

function extreme(values: number[], better: (a: number, b: number) => boolean): number {
  let best = Number.NaN;
  for (const v of values) if (Number.isNaN(best) || better(v, best)) best = v;
  return best;
}

function aggregate(expr: Aggregation, samples: VectorSample[]): VectorSample[] {
  const groups = new Map<string, { labels: Labels; values: number[] }>();
  for (const s of samples) {
    const labels = keepOnly(s.labels, expr.by.filter((l) => l !== NAME_LABEL));
    const key = labelsKey(labels);
    const group = groups.get(key);
    if (group === undefined) groups.set(key, { labels, values: [s.value] });
    else group.values.push(s.value);
  }
  return [...groups.values()].map((g) => ({ labels: g.labels, value: REDUCERS[expr.op](g.values) }));
}

function quantiles(q: number, samples: VectorSample[]): VectorSample[] {
  const groups = new Map<string, { labels: Labels; buckets: Bucket[] }>();
  for (const s of samples) {
    const le = s.labels['le'];
    const upperBound = le === undefined ? Number.NaN : parseBound(le);
    if (Number.isNaN(upperBound)) continue; // not a bucket series; Prometheus ignores it too
    const labels = without(s.labels, ['le', NAME_LABEL]);
    const key = labelsKey(labels);
    let group = groups.get(key);
    if (group === undefined) {
      group = { labels, buckets: [] };
      groups.set(key, group);
    }
    group.buckets.push({ upperBound, count: s.value });
  }
  return [...groups.values()].map((g) => ({ labels: g.labels, value: bucketQuantile(q, g.buckets) }));
}

function parseBound(le: string): number {
  const lower = le.toLowerCase();
  if (lower === '+inf' || lower === 'inf') return Number.POSITIVE_INFINITY;
  if (lower === '-inf') return Number.NEGATIVE_INFINITY;
  const n = Number(le);
  return le.trim() === '' ? Number.NaN : n;
}

function divide(left: InstantValue, right: InstantValue): InstantValue {
  if (left.type === 'scalar' && right.type === 'scalar') return { type: 'scalar', value: left.value / right.value };
  if (left.type === 'scalar' && right.type === 'vector') {
    return { type: 'vector', samples: right.samples.map((s) => ({ labels: withoutName(s.labels), value: left.value / s.value })) };
  }
  if (left.type === 'vector' && right.type === 'scalar') {
    return { type: 'vector', samples: left.samples.map((s) => ({ labels: withoutName(s.labels), value: s.value / right.value })) };
  }
  const l = left as { type: 'vector'; samples: VectorSample[] };
  const r = right as { type: 'vector'; samples: VectorSample[] };
  const rightByKey = new Map<string, VectorSample>();
  for (const s of r.samples) {
    const key = labelsKey(withoutName(s.labels));
    if (rightByKey.has(key)) throw new PromqlError('EVALUATION', `many-to-many matching: the right side of / has two series with the labels ${key}`);
    rightByKey.set(key, s);
  }
  const out: VectorSample[] = [];
  const seen = new Set<string>();
  for (const s of l.samples) {
    const labels = withoutName(s.labels);
    const key = labelsKey(labels);
    if (seen.has(key)) throw new PromqlError('EVALUATION', `many-to-many matching: the left side of / has two series with the labels ${key}`);
    seen.add(key);
    const match = rightByKey.get(key);
    if (match !== undefined) out.push({ labels, value: s.value / match.value });
  }
  return { type: 'vector', samples: out };
}
