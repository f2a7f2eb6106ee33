/**
 * Timing for micro-benchmarks: warm up, then several timed rounds, reported as the median
 * (robust against one round that a GC pause or the other core's load slowed down).
 */

export interface RoundsOptions {
  /** Timed rounds. Default 7. */
  rounds: number;
  /** Length of each round. Default 400 ms. */
  roundMs: number;
  /** Untimed run first, so the JIT has compiled the hot path. Default 500 ms. */
  warmupMs: number;
}

export const ROUNDS_DEFAULTS: RoundsOptions = { rounds: 7, roundMs: 400, warmupMs: 500 };

/** Operations per second of each round, and their median. */
export interface Throughput {
  median: number;
  rounds: number[];
}

/** Calls between two looks at the clock; reading it every call would be measured too. */
const BATCH = 256;

/** Runs `op` for about `ms` milliseconds; returns operations per second. */
export function opsPerSecond(op: () => void, ms: number): number {
  let count = 0;
  const start = performance.now();
  let elapsed = 0;
  do {
    for (let i = 0; i < BATCH; i++) op();
    count += BATCH;
    elapsed = performance.now() - start;
  } while (elapsed < ms);
  return (count * 1000) / elapsed;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * Measures several operations in interleaved rounds (A B A B ...), so a slow phase of the
 * machine affects each of them alike and their ratio stays meaningful.
 */
export function interleavedRounds(ops: Record<string, () => void>, options: RoundsOptions): Record<string, Throughput> {
  const names = Object.keys(ops);
  for (const name of names) opsPerSecond(ops[name]!, options.warmupMs);
  const rounds: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (let r = 0; r < options.rounds; r++) {
    for (const name of names) rounds[name]!.push(opsPerSecond(ops[name]!, options.roundMs));
  }
  return Object.fromEntries(names.map((n) => [n, { median: median(rounds[n]!), rounds: rounds[n]! }]));
}
