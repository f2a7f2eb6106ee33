/**
 * Durations in the configuration: a plain number is milliseconds; a string is one or more
 * `<number><unit>` parts with units ms, s, m, h, d (`200ms`, `5s`, `1h30m`, `1.5s`, `7d`).
 * A unitless string is refused rather than guessed, because `"30"` could mean seconds to a reader.
 */

export type DurationResult = { ok: true; ms: number } | { ok: false; message: string };

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
type Unit = keyof typeof UNIT_MS;

const WHOLE = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h|d))+$/;
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/g;

/** Largest delay a Node.js timer honours; longer ones fire immediately, so timeouts are capped here. */
export const MAX_TIMER_MS = 2_147_483_647;

export function parseDuration(input: string | number): DurationResult {
  if (typeof input === 'number') {
    if (!Number.isFinite(input) || input < 0 || !Number.isInteger(input)) {
      return { ok: false, message: `expected a duration (a whole number of milliseconds, or text like "5s"), got ${input}` };
    }
    return { ok: true, ms: input };
  }
  const text = input.trim();
  if (!WHOLE.test(text)) {
    const hint = /^\d+(?:\.\d+)?$/.test(text) ? ' (add a unit: ms, s, m, h or d, or write a plain number for milliseconds)' : '';
    return { ok: false, message: `expected a duration like "200ms", "5s", "1m", "72h" or "7d", got ${JSON.stringify(input)}${hint}` };
  }
  let total = 0;
  for (const match of text.matchAll(PART)) {
    const amount = Number(match[1]);
    const unit = match[2] as Unit;
    total += amount * UNIT_MS[unit];
  }
  const ms = Math.round(total);
  if (!Number.isSafeInteger(ms)) return { ok: false, message: `duration ${JSON.stringify(input)} is too large` };
  return { ok: true, ms };
}

/** Compact human form for messages and CLI output: 1500 -> "1.5s", 259200000 -> "3d", 90000 -> "90s". */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0ms';
  for (const [unit, size] of [['d', UNIT_MS.d], ['h', UNIT_MS.h], ['m', UNIT_MS.m], ['s', UNIT_MS.s]] as const) {
    if (ms >= size && (ms % size === 0 || ms / size >= 10 || unit === 's')) {
      const value = ms / size;
      return `${Number.isInteger(value) ? value : Number(value.toFixed(3))}${unit}`;
    }
  }
  return `${ms}ms`;
}
