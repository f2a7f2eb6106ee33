/**
 * Token bucket for per-account and per-carrier throughput limits.
 *
 * Capacity equals one second of rate, so a customer may burst up to its per-second allowance
 * but never sustain more. Refill is computed lazily from the clock on each take, so idle
 * buckets cost nothing and no timer runs per account.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly ratePerSecond: number,
    private readonly now: () => number = () => performance.now(),
    private readonly capacity = Math.max(1, ratePerSecond),
  ) {
    this.tokens = this.capacity;
    this.last = this.now();
  }

  /** Takes one token when available. `false` means over the limit (the caller answers ESME_RTHROTTLED). */
  tryTake(count = 1): boolean {
    if (this.ratePerSecond <= 0) return true; // 0 = unlimited
    this.refill();
    if (this.tokens < count) return false;
    this.tokens -= count;
    return true;
  }

  /** Milliseconds until `count` tokens are available (0 when they are now). */
  waitMs(count = 1): number {
    if (this.ratePerSecond <= 0) return 0;
    this.refill();
    const missing = count - this.tokens;
    return missing <= 0 ? 0 : Math.ceil((missing * 1000) / this.ratePerSecond);
  }

  private refill(): void {
    const t = this.now();
    const elapsed = t - this.last;
    if (elapsed > 0) {
      this.tokens = Math.min(this.capacity, this.tokens + (elapsed * this.ratePerSecond) / 1000);
      this.last = t;
    }
  }
}
