import type { Point } from './sample-store.js';

/**
 * rate() as Prometheus computes it: the increase over the window, with counter resets added back
 * (a drop means the counter restarted from zero), extrapolated to the window's edges unless the
 * first or last sample is more than 1.1 average intervals from the edge, and never extrapolated
 * below zero at the start. Returns undefined with fewer than two samples, as Prometheus returns
 * no value then.
 *
 * `points` must be the window's samples in time order (from < t <= to).
 */
export function extrapolatedRate(points: readonly Point[], from: number, to: number): number | undefined {
  if (points.length < 2) return undefined;
  const first = points[0]!;
  const last = points[points.length - 1]!;
  let increase = last.v - first.v;
  let previous = first.v;
  for (let i = 1; i < points.length; i++) {
    const v = points[i]!.v;
    if (v < previous) increase += previous;
    previous = v;
  }
  const sampled = (last.t - first.t) / 1000;
  if (sampled <= 0) return undefined;
  let toStart = (first.t - from) / 1000;
  const toEnd = (to - last.t) / 1000;
  const averageGap = sampled / (points.length - 1);
  // A counter cannot have been below zero: do not extrapolate back past the point it was zero.
  if (increase > 0 && first.v >= 0) {
    const toZero = sampled * (first.v / increase);
    if (toZero < toStart) toStart = toZero;
  }
  const threshold = averageGap * 1.1;
  let span = sampled;
  span += toStart < threshold ? toStart : averageGap / 2;
  span += toEnd < threshold ? toEnd : averageGap / 2;
  return (increase * (span / sampled)) / ((to - from) / 1000);
}

export interface Bucket {
  upperBound: number;
  count: number;
}

/**
 * histogram_quantile over classic buckets, as Prometheus computes it: linear interpolation
 * within the bucket that holds the rank; the +Inf bucket answers with the highest finite bound.
 * NaN when there is nothing to say (no +Inf bucket, fewer than two buckets, no observations).
 */
export function bucketQuantile(q: number, input: readonly Bucket[]): number {
  if (Number.isNaN(q)) return Number.NaN;
  if (q < 0) return Number.NEGATIVE_INFINITY;
  if (q > 1) return Number.POSITIVE_INFINITY;
  const buckets = coalesce(input);
  if (buckets.length < 2) return Number.NaN;
  if (buckets[buckets.length - 1]!.upperBound !== Number.POSITIVE_INFINITY) return Number.NaN;
  // Counts of a scrape are cumulative; rates taken at slightly different moments may not be.
  for (let i = 1; i < buckets.length; i++) {
    if (buckets[i]!.count < buckets[i - 1]!.count) buckets[i]!.count = buckets[i - 1]!.count;
  }
  const observations = buckets[buckets.length - 1]!.count;
  if (!(observations > 0)) return Number.NaN;
  let rank = q * observations;
  let b = buckets.findIndex((bucket, i) => i < buckets.length - 1 && bucket.count >= rank);
  if (b < 0) b = buckets.length - 1;
  if (b === buckets.length - 1) return buckets[buckets.length - 2]!.upperBound;
  if (b === 0 && buckets[0]!.upperBound <= 0) return buckets[0]!.upperBound;
  let start = 0;
  const end = buckets[b]!.upperBound;
  let count = buckets[b]!.count;
  if (b > 0) {
    start = buckets[b - 1]!.upperBound;
    count -= buckets[b - 1]!.count;
    rank -= buckets[b - 1]!.count;
  }
  return start + (end - start) * (rank / count);
}

/** Sorted by bound, with buckets of the same bound added together. */
function coalesce(input: readonly Bucket[]): Bucket[] {
  const sorted = [...input].sort((a, b) => a.upperBound - b.upperBound);
  const out: Bucket[] = [];
  for (const bucket of sorted) {
    const last = out[out.length - 1];
    if (last !== undefined && last.upperBound === bucket.upperBound) last.count += bucket.count;
    else out.push({ ...bucket });
  }
  return out;
}
