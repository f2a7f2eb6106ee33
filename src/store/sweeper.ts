import type { Store, SweepResult } from './types.js';
import { STORE_DEFAULTS } from './options.js';
import { invalidArgument } from './errors.js';

/** The scheduling the sweeper needs, injectable so tests can drive it. */
export interface SweepTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface SweeperOptions {
  /** Pause between sweeps when the previous one finished everything due (default 60 s). */
  intervalMs?: number;
  /** Entries per kind per sweep (default 10,000). */
  limit?: number;
  /** After each sweep, e.g. to count expired receipts per account. */
  onResult?: (result: SweepResult) => void;
  /** A failed sweep is reported here and retried at the next interval. */
  onError?: (error: unknown) => void;
  timers?: SweepTimers;
}

export interface Sweeper {
  /** Stops scheduling; resolves once a sweep in progress has finished. */
  stop(): Promise<void>;
}

const nodeTimers: SweepTimers = {
  // unref: a pending sweep must not keep a stopping process alive.
  setTimeout: (fn, ms) => setTimeout(fn, ms).unref(),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/**
 * Sweeps the store periodically. When a sweep stops at its limit with more due, the next one
 * runs right away (after other pending work), so a large backlog is worked off in bounded steps
 * without waiting a whole interval between them.
 */
export function startSweeper(store: Store, options: SweeperOptions = {}): Sweeper {
  const intervalMs = options.intervalMs ?? 60_000;
  if (!Number.isSafeInteger(intervalMs) || intervalMs < 1) throw invalidArgument('intervalMs must be a positive integer');
  const limit = options.limit ?? STORE_DEFAULTS.sweepLimit;
  const timers = options.timers ?? nodeTimers;
  let stopped = false;
  let handle: unknown;
  let running: Promise<void> | undefined;

  const schedule = (ms: number): void => {
    if (!stopped) handle = timers.setTimeout(run, ms);
  };
  async function sweepOnce(): Promise<void> {
    let next = intervalMs;
    try {
      const result = await store.sweep(limit);
      if (result.messages.more || result.queues.more) next = 0;
      options.onResult?.(result);
    } catch (error) {
      options.onError?.(error);
    }
    schedule(next);
  }
  function run(): void {
    handle = undefined;
    running = sweepOnce();
  }

  schedule(intervalMs);
  return {
    async stop(): Promise<void> {
      stopped = true;
      if (handle !== undefined) timers.clearTimeout(handle);
      handle = undefined;
      await running;
    },
  };
}
