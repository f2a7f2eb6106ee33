/**
 * Per-carrier circuit breaker (outlier detection): after `failures` consecutive temporary
 * failures the carrier is skipped for `cooldownMs`; then one request is let through
 * (half-open) and its outcome closes or re-opens the circuit. Routing stays cheap because
 * open/closed is a comparison against the clock, not a timer.
 */
export class CircuitBreaker {
  private consecutive = 0;
  private openUntil = 0;
  private probing = false;

  constructor(
    private readonly failures: number,
    private readonly cooldownMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** True while new traffic should go elsewhere. */
  get isOpen(): boolean {
    if (this.failures <= 0) return false;
    if (this.openUntil === 0) return false;
    if (this.now() < this.openUntil) return true;
    // Cooldown over: half-open, one probe at a time.
    return this.probing;
  }

  /** Called when a request is sent while half-open, so only one probe is in flight. */
  noteAttempt(): void {
    if (this.openUntil !== 0 && this.now() >= this.openUntil) this.probing = true;
  }

  recordSuccess(): void {
    this.consecutive = 0;
    this.openUntil = 0;
    this.probing = false;
  }

  /** Returns true when this failure opened the circuit. */
  recordFailure(): boolean {
    this.consecutive++;
    this.probing = false;
    if (this.failures > 0 && this.consecutive >= this.failures) {
      const wasOpen = this.openUntil !== 0;
      this.openUntil = this.now() + this.cooldownMs;
      return !wasOpen;
    }
    return false;
  }
}
