import { invalidArgument } from './errors.js';
import { batchLimit } from './validate.js';
import type { Clock, StoreOptions } from './types.js';

const HOUR_MS = 3_600_000;

export const STORE_DEFAULTS = {
  /** Carriers may send a receipt days after submission; 72 h covers the usual validity periods. */
  idMapTtlMs: 72 * HOUR_MS,
  deadLetterTtlMs: 7 * 24 * HOUR_MS,
  outboxMaxEvents: 1_000_000,
  /** Per sweep call and per kind of entry, so one sweep never stalls the event loop for long. */
  sweepLimit: 10_000,
} as const;

export const systemClock: Clock = { now: () => Date.now() };

export interface ResolvedStoreOptions {
  idMapTtlMs: number;
  deadLetterTtlMs: number;
  outboxMaxEvents: number;
  /** Infinity when no byte limit is configured. */
  outboxMaxBytes: number;
  clock: Clock;
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) throw invalidArgument(`${name} must be a positive integer`);
  return value;
}

export function resolveStoreOptions(options: StoreOptions): ResolvedStoreOptions {
  const idMapTtlMs = positiveInteger('idMapTtlMs', options.idMapTtlMs ?? STORE_DEFAULTS.idMapTtlMs);
  const deadLetterTtlMs = options.deadLetterTtlMs ?? STORE_DEFAULTS.deadLetterTtlMs;
  if (!Number.isSafeInteger(deadLetterTtlMs) || deadLetterTtlMs < 0) {
    throw invalidArgument('deadLetterTtlMs must be a non-negative integer');
  }
  const outboxMaxEvents = positiveInteger('outboxMaxEvents', options.outboxMaxEvents ?? STORE_DEFAULTS.outboxMaxEvents);
  const outboxMaxBytes =
    options.outboxMaxBytes === undefined ? Infinity : positiveInteger('outboxMaxBytes', options.outboxMaxBytes);
  const clock = options.clock ?? systemClock;
  if (typeof clock.now !== 'function') throw invalidArgument('clock must have a now() method');
  return { idMapTtlMs, deadLetterTtlMs, outboxMaxEvents, outboxMaxBytes, clock };
}

export function sweepLimit(limit: number | undefined): number {
  return batchLimit('sweep limit', limit ?? STORE_DEFAULTS.sweepLimit);
}
