/**
 * The session's only view of time. Every timeout in this folder goes through this interface so
 * tests can drive hours of keepalive and expiry logic in microseconds with FakeTimers.
 */
export interface TimerHandle {
  /** Brand only: handles are opaque and may be used solely with the Timers that made them. */
  readonly __timerHandle: unique symbol;
}

export interface Timers {
  /** Monotonic milliseconds; only differences between two calls are meaningful. */
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/**
 * Node timers with a monotonic clock. performance.now() rather than Date.now() so that a wall
 * clock step (NTP, manual change) cannot expire every pending request at once.
 */
export const realTimers: Timers = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, Math.max(0, ms)) as unknown as TimerHandle,
  clearTimeout: (handle) => clearTimeout(handle as unknown as NodeJS.Timeout),
};

interface FakeTimer {
  id: number;
  due: number;
  fn: () => void;
}

/**
 * Deterministic timers for tests: nothing fires until advance() moves the clock past a timer's
 * due time. Timers due at the same instant fire in the order they were set, as Node's do.
 */
export class FakeTimers implements Timers {
  private clock: number;
  private nextId = 1;
  private readonly timers = new Map<number, FakeTimer>();

  constructor(start = 0) {
    this.clock = start;
  }

  now(): number {
    return this.clock;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const timer: FakeTimer = { id: this.nextId++, due: this.clock + Math.max(0, ms), fn };
    this.timers.set(timer.id, timer);
    return timer.id as unknown as TimerHandle;
  }

  clearTimeout(handle: TimerHandle): void {
    this.timers.delete(handle as unknown as number);
  }

  /** Timers set and not yet fired or cleared. */
  get pending(): number {
    return this.timers.size;
  }

  /**
   * Moves the clock forward by ms, firing every timer that falls due on the way, including ones
   * set by callbacks during the advance, each with the clock at its own due time.
   */
  advance(ms: number): void {
    const target = this.clock + Math.max(0, ms);
    for (;;) {
      const next = this.earliestDueBy(target);
      if (next === undefined) break;
      this.timers.delete(next.id);
      this.clock = Math.max(this.clock, next.due);
      next.fn();
    }
    this.clock = target;
  }

  private earliestDueBy(limit: number): FakeTimer | undefined {
    let best: FakeTimer | undefined;
    for (const timer of this.timers.values()) {
      if (timer.due > limit) continue;
      if (best === undefined || timer.due < best.due || (timer.due === best.due && timer.id < best.id)) {
        best = timer;
      }
    }
    return best;
  }
}
