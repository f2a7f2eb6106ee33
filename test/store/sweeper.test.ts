import { afterEach, describe, expect, it } from 'vitest';
import { openMemoryStore, startSweeper, type Store, type SweepResult, type SweepTimers } from '../../src/store/index.js';
import { item, record } from './contract.js';
import { ManualClock } from './helpers.js';

const START = Date.UTC(2026, 10, 1);

/** Timers that fire only when the test says so. */
class StepTimers implements SweepTimers {
  private next = 1;
  readonly pending = new Map<number, { fn: () => void; ms: number }>();

  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.next++;
    this.pending.set(id, { fn, ms });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.pending.delete(handle as number);
  }

  /** Delays of the timers now pending. */
  delays(): number[] {
    return [...this.pending.values()].map((timer) => timer.ms);
  }

  /** Fires every pending timer and lets the sweeps they start finish. */
  async fire(): Promise<void> {
    const due = [...this.pending.values()];
    this.pending.clear();
    for (const timer of due) timer.fn();
    for (let turn = 0; turn < 10; turn++) await new Promise((resolve) => setImmediate(resolve));
  }
}

describe('startSweeper', () => {
  let store: Store;
  afterEach(async () => {
    await store.close();
  });

  it('sweeps every interval, and at once again while a sweep stops at its limit', async () => {
    const clock = new ManualClock(START);
    store = openMemoryStore({ clock, idMapTtlMs: 1000 });
    for (let i = 0; i < 5; i++) await store.messages.putMessage(record(`P${i}`), [`k${i}`]);
    await store.queues.enqueue('acme', item('a', { expiresAt: START + 10 }));
    clock.advance(1000);
    const timers = new StepTimers();
    const results: SweepResult[] = [];
    const sweeper = startSweeper(store, { intervalMs: 30_000, limit: 2, timers, onResult: (r) => results.push(r) });
    expect(timers.delays()).toEqual([30_000]);
    await timers.fire();
    expect(results.map((r) => [r.messages.removed, r.queues.expired])).toEqual([[2, 1]]);
    expect(timers.delays()).toEqual([0]);
    await timers.fire();
    await timers.fire();
    expect(results.map((r) => r.messages.removed)).toEqual([2, 2, 1]);
    expect(timers.delays()).toEqual([30_000]);
    expect(store.messages.count()).toBe(0);
    await sweeper.stop();
    expect(timers.delays()).toEqual([]);
  });

  it('reports a failed sweep and tries again at the next interval', async () => {
    store = openMemoryStore();
    const timers = new StepTimers();
    const errors: unknown[] = [];
    const sweeper = startSweeper(store, { intervalMs: 5000, timers, onError: (error) => errors.push(error) });
    await store.close();
    await timers.fire();
    expect(errors).toEqual([expect.objectContaining({ code: 'STORE_CLOSED' })]);
    expect(timers.delays()).toEqual([5000]);
    await sweeper.stop();
    expect(timers.delays()).toEqual([]);
  });
});
