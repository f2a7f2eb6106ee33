import { describe, expect, it } from 'vitest';
import { FakeTimers, realTimers } from '../../src/session/timers.js';

describe('FakeTimers', () => {
  it('fires nothing until the clock passes the due time', () => {
    const timers = new FakeTimers();
    const fired: string[] = [];
    timers.setTimeout(() => fired.push('a'), 100);
    timers.advance(99);
    expect(fired).toEqual([]);
    timers.advance(1);
    expect(fired).toEqual(['a']);
    expect(timers.now()).toBe(100);
  });

  it('fires in due order with the clock at each due time, including timers set while advancing', () => {
    const timers = new FakeTimers(1000);
    const seen: Array<[string, number]> = [];
    timers.setTimeout(() => seen.push(['late', timers.now()]), 50);
    timers.setTimeout(() => {
      seen.push(['early', timers.now()]);
      timers.setTimeout(() => seen.push(['chained', timers.now()]), 10);
    }, 20);
    timers.setTimeout(() => seen.push(['same-as-early', timers.now()]), 20);
    timers.advance(100);
    expect(seen).toEqual([
      ['early', 1020],
      ['same-as-early', 1020],
      ['chained', 1030],
      ['late', 1050],
    ]);
    expect(timers.now()).toBe(1100);
    expect(timers.pending).toBe(0);
  });

  it('cleared timers never fire', () => {
    const timers = new FakeTimers();
    let fired = false;
    const handle = timers.setTimeout(() => {
      fired = true;
    }, 5);
    timers.clearTimeout(handle);
    timers.advance(10);
    expect(fired).toBe(false);
  });
});

describe('realTimers', () => {
  it('runs a callback after the delay and can be cancelled', async () => {
    const start = realTimers.now();
    await new Promise<void>((resolve) => realTimers.setTimeout(resolve, 5));
    expect(realTimers.now()).toBeGreaterThan(start);
    let fired = false;
    const handle = realTimers.setTimeout(() => {
      fired = true;
    }, 1);
    realTimers.clearTimeout(handle);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(fired).toBe(false);
  });
});
