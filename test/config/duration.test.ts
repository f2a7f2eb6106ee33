import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from '../../src/config/index.js';

describe('durations', () => {
  it.each([
    [250, 250],
    [0, 0],
    ['200ms', 200],
    ['5s', 5_000],
    ['1.5s', 1_500],
    ['1m', 60_000],
    ['72h', 259_200_000],
    ['7d', 604_800_000],
    ['1h30m', 5_400_000],
    ['1m30s500ms', 90_500],
  ] as const)('reads %s as %d ms', (input, ms) => {
    expect(parseDuration(input)).toEqual({ ok: true, ms });
  });

  it.each([-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, '5', '5 s', '5sec', 's', '-5s', '5S', '', '1e3ms'] as const)('refuses %s', (input) => {
    expect(parseDuration(input).ok).toBe(false);
  });

  it('formats milliseconds back into the units people write', () => {
    expect([0, 200, 1_500, 30_000, 90_000, 60_000, 259_200_000, 86_400_000 * 3 + 3_600_000].map(formatDuration)).toEqual([
      '0ms', '200ms', '1.5s', '30s', '90s', '1m', '3d', '73h',
    ]);
  });
});
