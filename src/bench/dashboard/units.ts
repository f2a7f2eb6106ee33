/**
 * Grafana's value units, for the ones the dashboard uses: each is a ladder of scales, the
 * largest scale not above a value's magnitude wins (300 ms, not 0.3 s; 1.2 MiB, not 1258291 B).
 * An unknown unit is shown as a plain number followed by the unit's name, as Grafana shows a
 * custom unit.
 */

interface Scale {
  /** The scale applies from this magnitude up. */
  from: number;
  divisor: number;
  suffix: string;
}

const count = (suffix: string): Scale[] => [
  { from: 0, divisor: 1, suffix },
  { from: 1e3, divisor: 1e3, suffix: `K${suffix}` },
  { from: 1e6, divisor: 1e6, suffix: `M${suffix}` },
  { from: 1e9, divisor: 1e9, suffix: `B${suffix}` },
];

const UNITS: Readonly<Record<string, readonly Scale[]>> = {
  short: [
    { from: 0, divisor: 1, suffix: '' },
    { from: 1e3, divisor: 1e3, suffix: ' K' },
    { from: 1e6, divisor: 1e6, suffix: ' Mil' },
    { from: 1e9, divisor: 1e9, suffix: ' Bil' },
  ],
  none: [{ from: 0, divisor: 1, suffix: '' }],
  reqps: count(' req/s'),
  ops: count(' ops/s'),
  pps: [
    { from: 0, divisor: 1, suffix: ' p/s' },
    { from: 1e3, divisor: 1e3, suffix: ' kp/s' },
    { from: 1e6, divisor: 1e6, suffix: ' Mp/s' },
  ],
  s: [
    { from: 0, divisor: 1e-6, suffix: ' µs' },
    { from: 1e-3, divisor: 1e-3, suffix: ' ms' },
    { from: 1, divisor: 1, suffix: ' s' },
    { from: 60, divisor: 60, suffix: ' min' },
    { from: 3600, divisor: 3600, suffix: ' hour' },
  ],
  percentunit: [{ from: 0, divisor: 0.01, suffix: '%' }],
  bytes: [
    { from: 0, divisor: 1, suffix: ' B' },
    { from: 1024, divisor: 1024, suffix: ' KiB' },
    { from: 1024 ** 2, divisor: 1024 ** 2, suffix: ' MiB' },
    { from: 1024 ** 3, divisor: 1024 ** 3, suffix: ' GiB' },
    { from: 1024 ** 4, divisor: 1024 ** 4, suffix: ' TiB' },
  ],
};

function scalesOf(unit: string | undefined): readonly Scale[] {
  if (unit === undefined || unit === '') return UNITS['short']!;
  return UNITS[unit] ?? UNITS['short']!.map((s) => ({ ...s, suffix: `${s.suffix} ${unit}` }));
}

function scaleFor(unit: string | undefined, magnitude: number): Scale {
  const scales = scalesOf(unit);
  // Zero reads best in the unit itself: 0 s, not 0 µs.
  if (magnitude === 0) return scales.find((s) => s.divisor === 1) ?? scales[0]!;
  let chosen = scales[0]!;
  for (const scale of scales) if (Math.abs(magnitude) >= scale.from) chosen = scale;
  return chosen;
}

function special(value: number): string | undefined {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  return undefined;
}

/** One value on its own (a stat, a legend): about three significant digits in its best scale. */
export function formatValue(unit: string | undefined, value: number): string {
  const odd = special(value);
  if (odd !== undefined) return odd;
  const scale = scaleFor(unit, value);
  const scaled = value / scale.divisor;
  let decimals = 0;
  if (scaled !== 0 && !Number.isInteger(scaled)) decimals = Math.min(3, Math.max(0, 2 - Math.floor(Math.log10(Math.abs(scaled)))));
  return `${trimZeros(scaled.toFixed(decimals))}${scale.suffix}`;
}

/** A unit's scale for values up to `magnitude`: divide by `divisor`, then append `suffix`. */
export interface UnitScale {
  divisor: number;
  suffix: string;
  /** Zero is written in the unit itself (0 ops/s, not 0K ops/s). */
  zeroSuffix: string;
}

/**
 * The scale an axis uses for all its ticks: that of its largest value, so ticks can be chosen
 * as round numbers in that scale (0, 200, 400 ms rather than 0, 0.2, 0.4 s).
 */
export function axisScale(unit: string | undefined, magnitude: number): UnitScale {
  const { divisor, suffix } = scaleFor(unit, magnitude);
  return { divisor, suffix, zeroSuffix: scaleFor(unit, 0).suffix };
}

/** A tick value already divided by its scale, with the decimals the step between ticks needs. */
export function formatTick(scaledValue: number, scaledStep: number, scale: UnitScale): string {
  const decimals = scaledStep > 0 ? Math.min(6, Math.max(0, Math.ceil(-Math.log10(scaledStep) - 1e-9))) : 0;
  if (scaledValue === 0) return `0${scale.zeroSuffix}`;
  return `${scaledValue.toFixed(decimals)}${scale.suffix}`;
}

function trimZeros(text: string): string {
  return text.includes('.') ? text.replace(/\.?0+$/, '') : text;
}
