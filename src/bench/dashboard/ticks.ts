/** Axis ticks: round numbers for values, round clock times for time. */

export interface Ticks {
  values: number[];
  step: number;
}

/**
 * At most `maxCount` ticks that cover [min, max], spaced 1, 2 or 5 times a power of ten, the
 * first at or below min and the last at or above max.
 */
export function niceTicks(min: number, max: number, maxCount: number): Ticks {
  if (!Number.isFinite(min) || !Number.isFinite(max) || max < min) throw new RangeError(`invalid range ${min}..${max}`);
  if (max === min) max = min + 1;
  const count = Math.max(2, Math.floor(maxCount));
  const rough = (max - min) / (count - 1);
  const power = 10 ** Math.floor(Math.log10(rough));
  let step = power * 10;
  for (const m of [1, 2, 5, 10]) {
    const candidate = m * power;
    if (Math.ceil(max / candidate - 1e-9) - Math.floor(min / candidate + 1e-9) + 1 <= count) {
      step = candidate;
      break;
    }
  }
  const first = Math.floor(min / step + 1e-9);
  const last = Math.ceil(max / step - 1e-9);
  const values: number[] = [];
  // Multiplying rather than adding keeps 0.1 * 3 from drifting to 0.30000000000000004 in labels.
  for (let i = first; i <= last; i++) values.push(Number((i * step).toPrecision(12)));
  return { values, step };
}

const TIME_STEPS_MS = [1, 2, 5, 10, 15, 30].map((s) => s * 1_000).concat([1, 2, 5, 10, 15, 30].map((m) => m * 60_000), [1, 2, 3, 6, 12, 24].map((h) => h * 3_600_000));

/** Clock-aligned times within [start, end], no more than `maxCount`. */
export function timeTicks(start: number, end: number, maxCount: number): Ticks {
  const span = Math.max(1, end - start);
  const step = TIME_STEPS_MS.find((s) => span / s <= Math.max(1, maxCount)) ?? TIME_STEPS_MS[TIME_STEPS_MS.length - 1]!;
  const values: number[] = [];
  for (let t = Math.ceil(start / step) * step; t <= end; t += step) values.push(t);
  return { values, step };
}

/** HH:MM:SS in UTC, or HH:MM when ticks are whole minutes apart. */
export function clockLabel(t: number, stepMs: number): string {
  const iso = new Date(t).toISOString();
  return stepMs % 60_000 === 0 ? iso.slice(11, 16) : iso.slice(11, 19);
}
