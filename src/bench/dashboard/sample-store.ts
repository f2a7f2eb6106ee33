import { labelsKey, NAME_LABEL, type Labels } from './labels.js';
import type { PromSample } from './prom-text.js';

/** One stored value; `stale` marks the scrape at which the series disappeared. */
export interface Point {
  t: number;
  v: number;
  stale?: true;
}

export interface StoredSeries {
  labels: Labels;
  /** In time order. */
  points: Point[];
}

export type MatchOp = '=' | '!=' | '=~' | '!~';

export interface LabelMatcher {
  name: string;
  op: MatchOp;
  value: string;
}

/**
 * The samples of every scrape, per series, as Prometheus keeps them: a series missing from a
 * scrape (or every series, when a scrape fails) gets a staleness marker there, so a gauge that
 * went away stops showing instead of repeating its last value.
 */
export class SampleStore {
  private readonly byKey = new Map<string, StoredSeries>();
  private live = new Set<string>();
  private lastT = Number.NEGATIVE_INFINITY;

  /**
   * Adds one scrape taken at `t` (ms). `target` labels are attached to every sample as a
   * Prometheus scrape attaches job and instance; a sample's own label of that name is kept as
   * exported_<name>, as Prometheus does without honor_labels.
   */
  appendScrape(t: number, samples: readonly PromSample[], target: Labels = {}): void {
    if (!(t > this.lastT)) throw new RangeError(`scrapes must be appended in time order (${t} after ${this.lastT})`);
    this.lastT = t;
    const seen = new Set<string>();
    for (const sample of samples) {
      const labels: Record<string, string> = {};
      for (const [name, value] of Object.entries(sample.labels)) {
        if (value === '') continue; // an empty label is the same as no label
        labels[Object.hasOwn(target, name) ? `exported_${name}` : name] = value;
      }
      Object.assign(labels, target);
      labels[NAME_LABEL] = sample.name;
      const key = labelsKey(labels);
      if (seen.has(key)) continue; // a duplicate series in one scrape: Prometheus keeps the first
      seen.add(key);
      let series = this.byKey.get(key);
      if (series === undefined) {
        series = { labels, points: [] };
        this.byKey.set(key, series);
      }
      series.points.push({ t, v: sample.value });
    }
    for (const key of this.live) {
      if (!seen.has(key)) this.byKey.get(key)?.points.push({ t, v: Number.NaN, stale: true });
    }
    this.live = seen;
  }

  /** A failed scrape: every series goes stale at `t`. */
  appendFailedScrape(t: number): void {
    this.appendScrape(t, []);
  }

  /** Series whose labels satisfy every matcher (anchored regular expressions, as in PromQL). */
  select(matchers: readonly LabelMatcher[]): StoredSeries[] {
    const tests = matchers.map(compileMatcher);
    const out: StoredSeries[] = [];
    for (const series of this.byKey.values()) {
      if (tests.every((test) => test(series.labels))) out.push(series);
    }
    return out;
  }

  get seriesCount(): number {
    return this.byKey.size;
  }
}

function compileMatcher(m: LabelMatcher): (labels: Labels) => boolean {
  const valueOf = (labels: Labels): string => labels[m.name] ?? '';
  switch (m.op) {
    case '=':
      return (labels) => valueOf(labels) === m.value;
    case '!=':
      return (labels) => valueOf(labels) !== m.value;
    case '=~': {
      const re = anchored(m.value);
      return (labels) => re.test(valueOf(labels));
    }
    case '!~': {
      const re = anchored(m.value);
      return (labels) => !re.test(valueOf(labels));
    }
  }
}

/** PromQL regular expressions match the whole value. */
export function anchored(source: string): RegExp {
  return new RegExp(`^(?:${source})$`, 's');
}

/** The newest non-stale point at or before `t` within `lookbackMs`, as an instant selector sees it. */
export function pointAt(series: StoredSeries, t: number, lookbackMs: number): Point | undefined {
  const i = lastIndexAtOrBefore(series.points, t);
  if (i < 0) return undefined;
  const p = series.points[i]!;
  if (p.stale === true || p.t <= t - lookbackMs) return undefined;
  return p;
}

/** Non-stale points with from < t <= to (a left-open range, as Prometheus 3 selects). */
export function pointsIn(series: StoredSeries, from: number, to: number): Point[] {
  const end = lastIndexAtOrBefore(series.points, to);
  const out: Point[] = [];
  for (let i = end; i >= 0; i--) {
    const p = series.points[i]!;
    if (p.t <= from) break;
    if (p.stale !== true) out.push(p);
  }
  return out.reverse();
}

function lastIndexAtOrBefore(points: readonly Point[], t: number): number {
  let lo = 0;
  let hi = points.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (points[mid]!.t <= t) {
      found = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return found;
}
