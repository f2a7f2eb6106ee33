import { Counter, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { FastCounter, FastHistogram } from '../../src/observability/accumulators.js';

const BUCKETS = [0.001, 0.01, 0.1, 1, 10];
const VALUES = [0, 0.0005, 0.001, 0.0011, 0.01, 0.05, 0.1, 0.5, 1, 7.5, 10, 11, 1e6];

describe('hot-path accumulators', () => {
  it('expose a histogram exactly as prom-client does', async () => {
    const reference = new Registry();
    const fast = new Registry();
    const ref = new Histogram({ name: 'h_seconds', help: 'help text', labelNames: ['carrier', 'stat'], buckets: BUCKETS, registers: [reference] });
    const mine = new FastHistogram({ name: 'h_seconds', help: 'help text', labelNames: ['carrier', 'stat'], buckets: BUCKETS, registers: [fast] });
    for (const [i, value] of VALUES.entries()) {
      const carrier = i % 2 === 0 ? 'alpha' : 'beta';
      ref.labels(carrier, 'DELIVRD').observe(value);
      mine.series(`${carrier}|raw${i}`, () => [carrier, 'DELIVRD']).observe(value);
    }
    expect(await fast.metrics()).toBe(await reference.metrics());
    // Exemplars are a prom-client feature these metrics do not use; everything else is the same.
    const withoutExemplars = (metrics: Awaited<ReturnType<Registry['getMetricsAsJSON']>>) =>
      metrics.map((m) => ({ ...m, values: m.values.map((value) => {
        const { exemplar: _e, ...rest } = value as typeof value & { exemplar?: unknown };
        return rest;
      }) }));
    expect(await fast.getMetricsAsJSON()).toEqual(withoutExemplars(await reference.getMetricsAsJSON()));
  });

  it('expose a counter exactly as prom-client does, catching up at every scrape', async () => {
    const reference = new Registry();
    const fast = new Registry();
    const ref = new Counter({ name: 'c_total', help: 'help text', labelNames: ['route', 'carrier'], registers: [reference] });
    const mine = new FastCounter({ name: 'c_total', help: 'help text', labelNames: ['route', 'carrier'], registers: [fast] });
    const bump = (route: string, carrier: string, times: number): void => {
      for (let i = 0; i < times; i++) {
        ref.labels(route, carrier).inc();
        mine.series(`${route}|${carrier}`, () => [route, carrier]).value++;
      }
    };
    bump('uk', 'alpha', 3);
    expect(await fast.metrics()).toBe(await reference.metrics());
    bump('uk', 'alpha', 2);
    bump('us', 'beta', 1);
    expect(await fast.metrics()).toBe(await reference.metrics());
  });

  it('keeps one series per label set however many raw keys map to it', async () => {
    const registry = new Registry();
    const counter = new FastCounter({ name: 'k_total', help: 'h', labelNames: ['status'], registers: [registry] });
    for (let i = 0; i < 20_000; i++) counter.series(`raw${i}`, () => [i % 3 === 0 ? 'ESME_ROK' : 'other']).value++;
    const json = await registry.getMetricsAsJSON();
    expect(json[0]!.values.map((v) => [v.labels.status, v.value]).sort()).toEqual([
      ['ESME_ROK', 6_667],
      ['other', 13_333],
    ]);
  });

  it('refuses bad histogram definitions', () => {
    const registers = [new Registry()];
    expect(() => new FastHistogram({ name: 'bad name', help: 'h', labelNames: [], buckets: [1], registers })).toThrow();
    expect(() => new FastHistogram({ name: 'h', help: 'h', labelNames: ['le'], buckets: [1], registers })).toThrow();
    expect(() => new FastHistogram({ name: 'h', help: 'h', labelNames: [], buckets: [2, 1], registers })).toThrow();
  });
});
