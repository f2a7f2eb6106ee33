import { LRUCache } from 'lru-cache';

/** Identifies one concatenated message: its parts share all four (UDH 8/16-bit reference or sar_msg_ref_num). */
export interface ConcatKey {
  readonly account: string;
  /** source_addr as submitted (before any sender rewrite). */
  readonly source: string;
  /** destination_addr as submitted; pass it the same way (raw or normalised) for every part. */
  readonly destination: string;
  readonly reference: number;
}

export interface StickinessOptions {
  /** How long after the last part was placed a later part still follows it. Default 10 minutes. */
  readonly ttlMs?: number;
  /** Messages remembered at once; the least recently used is forgotten first. Default 100,000. */
  readonly maxEntries?: number;
  /** Clock for the TTL, in milliseconds; tests pass a fake one. */
  readonly now?: () => number;
}

export const STICKINESS_DEFAULTS = { ttlMs: 10 * 60_000, maxEntries: 100_000 } as const;

/**
 * Remembers which carrier took the parts of each concatenated message, so that every part leaves
 * through the same carrier: handsets can only join parts that arrive through one SMSC, and the
 * receipts of all parts then come back from the same place.
 *
 * Use: before routing a part, `get` the carrier for its key and pass it to orderCandidates as
 * `sticky`; when a carrier accepts a part, `set` it. Setting on acceptance rather than on choice
 * means a failover on the first part moves the whole message with it. The TTL is refreshed on
 * every `set`, so a message whose parts trickle in stays together; after the TTL (or once the
 * cache is full) a late part is routed afresh.
 *
 * Memory: an entry is roughly 150 bytes plus its key, so the default maximum stays near 20 MB.
 */
export class ConcatStickiness {
  private readonly cache: LRUCache<string, string>;

  constructor(options: StickinessOptions = {}) {
    const ttl = options.ttlMs ?? STICKINESS_DEFAULTS.ttlMs;
    const max = options.maxEntries ?? STICKINESS_DEFAULTS.maxEntries;
    if (!Number.isSafeInteger(ttl) || ttl < 1) throw new RangeError(`ttlMs must be a positive integer, got ${ttl}`);
    if (!Number.isSafeInteger(max) || max < 1) throw new RangeError(`maxEntries must be a positive integer, got ${max}`);
    const now = options.now;
    this.cache = new LRUCache<string, string>({
      max,
      ttl,
      // Expired entries are dropped when touched or evicted by size; no timer per entry.
      ttlAutopurge: false,
      updateAgeOnGet: false,
      // Read the clock on every check: cheaper than the timer lru-cache arms to cache it, and exact.
      ttlResolution: 0,
      ...(now ? { perf: { now } } : {}),
    });
  }

  /** The carrier earlier parts of this message went through, if any and not expired. */
  get(key: ConcatKey): string | undefined {
    return this.cache.get(keyOf(key));
  }

  set(key: ConcatKey, carrier: string): void {
    this.cache.set(keyOf(key), carrier);
  }

  delete(key: ConcatKey): void {
    this.cache.delete(keyOf(key));
  }

  clear(): void {
    this.cache.clear();
  }

  /** Entries held, expired ones included until they are touched. */
  get size(): number {
    return this.cache.size;
  }
}

/** NUL cannot occur inside SMPP C-octet strings, so it separates the parts unambiguously. */
function keyOf(key: ConcatKey): string {
  return `${key.account}\u0000${key.source}\u0000${key.destination}\u0000${key.reference}`;
}
