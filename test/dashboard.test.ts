import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { footerLines } from '../src/bench/dashboard/footer.js';
import { DashboardError, formatLegend, interpolate, queryIntervals, readDashboard, type Dashboard } from '../src/bench/dashboard/grafana.js';
import { gridRect } from '../src/bench/dashboard/layout.js';
import { evaluateDashboard } from '../src/bench/dashboard/panels.js';
import { parsePrometheusText, PromTextError, samplesOf, type PromSample } from '../src/bench/dashboard/prom-text.js';
import { PromqlError } from '../src/bench/dashboard/promql-ast.js';
import { evaluateInstant, evaluateRange, type InstantValue } from '../src/bench/dashboard/promql-eval.js';
import { bucketQuantile, extrapolatedRate } from '../src/bench/dashboard/promql-functions.js';
import { parseDuration, parsePromql } from '../src/bench/dashboard/promql-parse.js';
import { renderDashboardSvg } from '../src/bench/dashboard/render.js';
import { renderRun } from '../src/bench/dashboard/render-run.js';
import type { DashboardRunInfo } from '../src/bench/dashboard/run.js';
import { SampleStore } from '../src/bench/dashboard/sample-store.js';
import { fetchMetrics, ScrapeError, Scraper, storeScrapes } from '../src/bench/dashboard/scrape.js';
import { niceTicks, timeTicks } from '../src/bench/dashboard/ticks.js';
import { formatValue } from '../src/bench/dashboard/units.js';

const T0 = Date.UTC(2025, 0, 1, 12, 0, 0);
const S = 1_000;

function sample(name: string, labels: Record<string, string>, value: number): PromSample {
  return { name, labels, value, timestampMs: undefined };
}

function vector(value: InstantValue): { labels: Record<string, string>; value: number }[] {
  if (value.type !== 'vector') throw new Error('expected a vector');
  return value.samples.map((s) => ({ labels: { ...s.labels }, value: s.value })).sort((a, b) => JSON.stringify(a.labels).localeCompare(JSON.stringify(b.labels)));
}

function instant(query: string, t: number, store: SampleStore) {
  return vector(evaluateInstant(parsePromql(query), t, store));
}

describe('Prometheus text format', () => {
  it('reads HELP, TYPE, counters and gauges, with and without labels and timestamps', () => {
    const families = parsePrometheusText(
      [
        '# HELP smpp_pdus_total PDUs by side.\\nSecond line with a \\\\ backslash.',
        '# TYPE smpp_pdus_total counter',
        'smpp_pdus_total{side="esme",direction="in"} 1027',
        'smpp_pdus_total{side="carrier" , direction="out",} 3e3 1735732800000',
        '# an ordinary comment',
        '',
        '# TYPE smpp_ready gauge',
        'smpp_ready 1',
        'untyped_thing -0.5',
      ].join('\n'),
    );
    expect(families.map((f) => [f.name, f.type])).toEqual([
      ['smpp_pdus_total', 'counter'],
      ['smpp_ready', 'gauge'],
      ['untyped_thing', 'untyped'],
    ]);
    expect(families[0]!.help).toBe('PDUs by side.\nSecond line with a \\ backslash.');
    expect(families[0]!.samples).toEqual([
      { name: 'smpp_pdus_total', labels: { side: 'esme', direction: 'in' }, value: 1027, timestampMs: undefined },
      { name: 'smpp_pdus_total', labels: { side: 'carrier', direction: 'out' }, value: 3000, timestampMs: 1735732800000 },
    ]);
    expect(families[1]!.samples[0]!.value).toBe(1);
    expect(families[2]!.samples[0]!.value).toBe(-0.5);
  });

  it('groups histogram buckets, sum and count under their family and reads +Inf and NaN', () => {
    const families = parsePrometheusText(
      [
        '# TYPE lat_seconds histogram',
        'lat_seconds_bucket{le="0.1"} 3',
        'lat_seconds_bucket{le="+Inf"} 5',
        'lat_seconds_sum 0.75',
        'lat_seconds_count 5',
        '# TYPE odd gauge',
        'odd{k="a"} NaN',
        'odd{k="b"} -Inf',
      ].join('\n'),
    );
    expect(families).toHaveLength(2);
    expect(families[0]!.samples.map((s) => s.name)).toEqual(['lat_seconds_bucket', 'lat_seconds_bucket', 'lat_seconds_sum', 'lat_seconds_count']);
    expect(families[0]!.samples[1]!.labels).toEqual({ le: '+Inf' });
    expect(families[1]!.samples[0]!.value).toBeNaN();
    expect(families[1]!.samples[1]!.value).toBe(Number.NEGATIVE_INFINITY);
  });

  it('unescapes label values: backslash, quote and newline; keeps other escapes as written', () => {
    const [family] = parsePrometheusText('m{a="say \\"hi\\"",b="c:\\\\dir",c="two\\nlines",d="tab\\t"} 1');
    expect(family!.samples[0]!.labels).toEqual({ a: 'say "hi"', b: 'c:\\dir', c: 'two\nlines', d: 'tab\\t' });
  });

  it('reads what prom-client writes, label escapes included', async () => {
    const registry = new Registry();
    const counter = new Counter({ name: 'c_total', help: 'a "quoted" help', labelNames: ['peer'], registers: [registry] });
    const gauge = new Gauge({ name: 'g', help: 'g', registers: [registry] });
    const histogram = new Histogram({ name: 'h_seconds', help: 'h', labelNames: ['carrier'], buckets: [0.01, 0.1], registers: [registry] });
    counter.labels('a "b"\\c\nd').inc(7);
    gauge.set(-3.25);
    histogram.labels('alpha').observe(0.05);
    histogram.labels('alpha').observe(5);
    const samples = samplesOf(parsePrometheusText(await registry.metrics()));
    expect(samples).toContainEqual(sample('c_total', { peer: 'a "b"\\c\nd' }, 7));
    expect(samples).toContainEqual(sample('g', {}, -3.25));
    expect(samples).toContainEqual(sample('h_seconds_bucket', { le: '0.01', carrier: 'alpha' }, 0));
    expect(samples).toContainEqual(sample('h_seconds_bucket', { le: '0.1', carrier: 'alpha' }, 1));
    expect(samples).toContainEqual(sample('h_seconds_bucket', { le: '+Inf', carrier: 'alpha' }, 2));
    expect(samples).toContainEqual(sample('h_seconds_count', { carrier: 'alpha' }, 2));
  });

  it.each([
    ['m', 'SYNTAX', 'expected a value'],
    ['m{a="1"', 'SYNTAX', 'expected , or }'],
    ['m{a="unterminated} 1', 'SYNTAX', 'unterminated'],
    ['m{a=1} 1', 'SYNTAX', 'quoted value'],
    ['m{a="1",a="2"} 1', 'DUPLICATE_LABEL', 'twice'],
    ['m twelve', 'BAD_VALUE', 'invalid sample value'],
    ['m 1 soon', 'BAD_VALUE', 'invalid timestamp'],
    ['m 1 2 3', 'SYNTAX', 'unexpected text'],
    ['9m 1', 'SYNTAX', 'metric name'],
    ['# TYPE m meter', 'SYNTAX', 'unknown metric type'],
    ['m 1\n# TYPE m gauge', 'SYNTAX', 'after its samples'],
  ])('refuses %j with a typed error', (text, code, message) => {
    let error: unknown;
    try {
      parsePrometheusText(`ok 1\n${text}`);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(PromTextError);
    expect((error as PromTextError).code).toBe(code);
    expect((error as PromTextError).message).toContain(message);
    expect((error as PromTextError).line).toBeGreaterThanOrEqual(2);
  });
});

describe('sample store', () => {
  it('adds the target labels, keeps a clashing exported label as exported_<name>, and marks vanished series stale', () => {
    const store = new SampleStore();
    store.appendScrape(T0, [sample('g', { instance: 'inner' }, 1), sample('h', {}, 5)], { job: 'j', instance: 'proxy:9090' });
    store.appendScrape(T0 + S, [sample('h', {}, 6)], { job: 'j', instance: 'proxy:9090' });
    expect(instant('g', T0, store)).toEqual([{ labels: { __name__: 'g', exported_instance: 'inner', instance: 'proxy:9090', job: 'j' }, value: 1 }]);
    // Without the staleness marker the 1 would still be seen here (the lookback is five minutes).
    expect(instant('g', T0 + S, store)).toEqual([]);
    expect(instant('h', T0 + 1.5 * S, store)).toEqual([{ labels: { __name__: 'h', instance: 'proxy:9090', job: 'j' }, value: 6 }]);
  });

  it('makes every series stale at a failed scrape and refuses scrapes out of order', () => {
    const store = new SampleStore();
    store.appendScrape(T0, [sample('g', {}, 1)]);
    store.appendFailedScrape(T0 + S);
    expect(instant('g', T0 + S, store)).toEqual([]);
    expect(() => store.appendScrape(T0, [])).toThrow(RangeError);
  });
});

describe('rate()', () => {
  const points = (values: [number, number][]) => values.map(([t, v]) => ({ t: t * S, v }));

  it('is the per-second increase when samples cover the window', () => {
    // Four samples at 1..4 s in the window (0, 4 s]: Prometheus extrapolates to the start, since
    // the counter would reach zero exactly there, so 30 over 3 s becomes 40 over 4 s.
    expect(extrapolatedRate(points([[1, 10], [2, 20], [3, 30], [4, 40]]), 0, 4 * S)).toBeCloseTo(10, 10);
  });

  it('does not extrapolate back past where the counter was zero', () => {
    // 20 over 2 s; toStart is 2 s but the counter was zero 0.5 s before the first sample.
    expect(extrapolatedRate(points([[2, 5], [3, 15], [4, 25]]), 0, 4 * S)).toBeCloseTo((20 * (2.5 / 2)) / 4, 10);
  });

  it('extrapolates only half an interval where the window reaches well beyond the samples', () => {
    // Samples at 5..7 s in (0, 10 s]: the start and end gaps exceed 1.1 intervals, so each side adds 0.5 s.
    expect(extrapolatedRate(points([[5, 100], [6, 110], [7, 120]]), 0, 10 * S)).toBeCloseTo((20 * (3 / 2)) / 10, 10);
  });

  it('adds a counter reset back: a drop means the counter restarted from zero', () => {
    // 0, 10, 20, restart, 5, 15: the increase is 20 before the restart plus 15 after it.
    expect(extrapolatedRate(points([[1, 0], [2, 10], [3, 20], [4, 5], [5, 15]]), 1 * S - 1, 5 * S)).toBeCloseTo(35 / 4, 2);
    const store = new SampleStore();
    [0, 10, 20, 5, 15].forEach((v, i) => store.appendScrape(T0 + i * S, [sample('c_total', {}, v)]));
    // Window (-1 s, 4 s]: the first sample is 0, so nothing is extrapolated before it: 35 / 5 s.
    const [r] = instant('rate(c_total[5s])', T0 + 4 * S, store);
    expect(r!.labels).toEqual({});
    expect(r!.value).toBeCloseTo(7, 10);
  });

  it('gives no value with fewer than two samples in the window', () => {
    expect(extrapolatedRate(points([[1, 10]]), 0, 4 * S)).toBeUndefined();
    const store = new SampleStore();
    store.appendScrape(T0, [sample('c_total', {}, 1)]);
    store.appendScrape(T0 + 10 * S, [sample('c_total', {}, 2)]);
    expect(instant('rate(c_total[4s])', T0 + 10 * S, store)).toEqual([]);
  });
});

describe('histogram_quantile()', () => {
  const buckets = [
    { upperBound: 0.1, count: 10 },
    { upperBound: 0.5, count: 60 },
    { upperBound: 1, count: 90 },
    { upperBound: Number.POSITIVE_INFINITY, count: 100 },
  ];

  it('interpolates within the bucket that holds the rank', () => {
    expect(bucketQuantile(0.5, buckets)).toBeCloseTo(0.1 + 0.4 * (40 / 50), 12);
    expect(bucketQuantile(0.05, buckets)).toBeCloseTo(0.05, 12);
    expect(bucketQuantile(0.9, buckets)).toBeCloseTo(1, 12);
  });

  it('answers the highest finite bound for a rank in the +Inf bucket, and sorts buckets first', () => {
    expect(bucketQuantile(0.99, [...buckets].reverse())).toBe(1);
  });

  it('is NaN without a +Inf bucket or without observations, and +-Inf for quantiles outside 0..1', () => {
    expect(bucketQuantile(0.5, buckets.slice(0, 3))).toBeNaN();
    expect(bucketQuantile(0.5, buckets.map((b) => ({ ...b, count: 0 })))).toBeNaN();
    expect(bucketQuantile(1.5, buckets)).toBe(Number.POSITIVE_INFINITY);
    expect(bucketQuantile(-1, buckets)).toBe(Number.NEGATIVE_INFINITY);
  });

  it('evaluates the dashboard shape: quantile over sum by (le, carrier) of bucket rates', () => {
    const store = new SampleStore();
    for (let i = 0; i <= 4; i++) {
      const k = i * 10; // each second: 10 observations per instance, 2 of them over 0.1 s
      const scrape: PromSample[] = [];
      for (const [instance, carrier] of [['a', 'alpha'], ['b', 'alpha'], ['a', 'beta']] as const) {
        scrape.push(sample('rtt_bucket', { carrier, instance, le: '0.1' }, k * 0.8));
        scrape.push(sample('rtt_bucket', { carrier, instance, le: '0.5' }, k));
        scrape.push(sample('rtt_bucket', { carrier, instance, le: '+Inf' }, k));
      }
      store.appendScrape(T0 + i * S, scrape);
    }
    const result = instant('histogram_quantile(0.9, sum by (le, carrier) (rate(rtt_bucket[4s])))', T0 + 4 * S, store);
    expect(result.map((r) => r.labels)).toEqual([{ carrier: 'alpha' }, { carrier: 'beta' }]);
    // 80% at or below 0.1, the rest in (0.1, 0.5]: the 0.9 rank is half way into the second bucket.
    for (const r of result) expect(r.value).toBeCloseTo(0.3, 9);
  });
});

describe('PromQL subset', () => {
  function storeOf(): SampleStore {
    const store = new SampleStore();
    for (let i = 0; i <= 4; i++) {
      store.appendScrape(T0 + i * S, [
        sample('pdus_total', { side: 'esme', direction: 'in', peer: 'shop' }, 1_000 + 100 * i),
        sample('pdus_total', { side: 'esme', direction: 'in', peer: 'bank' }, 1_000 + 50 * i),
        sample('pdus_total', { side: 'carrier', direction: 'out', peer: 'alpha' }, 1_000 + 150 * i),
        sample('in_flight', { carrier: 'alpha' }, 30),
        sample('in_flight', { carrier: 'beta' }, 0),
        sample('window', { carrier: 'alpha' }, 120),
        sample('window', { carrier: 'beta' }, 0),
      ]);
    }
    return store;
  }

  it('sums rates by the given labels and drops the others', () => {
    const result = instant('sum by (side, direction) (rate(pdus_total{side=~"esme|carrier"}[4s]))', T0 + 4 * S, storeOf());
    expect(result).toHaveLength(2);
    expect(result[0]!.labels).toEqual({ direction: 'out', side: 'carrier' });
    expect(result[0]!.value).toBeCloseTo(150, 9);
    expect(result[1]!.labels).toEqual({ direction: 'in', side: 'esme' });
    expect(result[1]!.value).toBeCloseTo(150, 9);
  });

  it('aggregates with sum, min, max, avg and count, the grouping written before or after', () => {
    const store = storeOf();
    const at = T0 + 2 * S;
    expect(instant('sum(in_flight)', at, store)).toEqual([{ labels: {}, value: 30 }]);
    expect(instant('min(in_flight)', at, store)).toEqual([{ labels: {}, value: 0 }]);
    expect(instant('max(in_flight)', at, store)).toEqual([{ labels: {}, value: 30 }]);
    expect(instant('avg(in_flight)', at, store)).toEqual([{ labels: {}, value: 15 }]);
    expect(instant('count(in_flight)', at, store)).toEqual([{ labels: {}, value: 2 }]);
    expect(instant('sum(in_flight) by (carrier)', at, store)).toEqual(instant('sum by (carrier) (in_flight)', at, store));
  });

  it('divides vectors one-to-one on their labels; 0/0 is NaN as in Prometheus', () => {
    const result = instant('sum by (carrier) (in_flight) / sum by (carrier) (window)', T0, storeOf());
    expect(result[0]).toEqual({ labels: { carrier: 'alpha' }, value: 0.25 });
    expect(result[1]!.labels).toEqual({ carrier: 'beta' });
    expect(result[1]!.value).toBeNaN();
    expect(instant('in_flight / 2', T0, storeOf())[0]).toEqual({ labels: { carrier: 'alpha' }, value: 15 });
  });

  it('refuses many-to-many division as Prometheus does', () => {
    expect(() => instant('pdus_total / in_flight', T0, storeOf())).not.toThrow();
    const store = new SampleStore();
    store.appendScrape(T0, [sample('a', { x: '1' }, 1), sample('b', { x: '1' }, 1), sample('c', { x: '1' }, 1)]);
    expect(() => evaluateInstant(parsePromql('{__name__=~"a|b"} / c'), T0, store)).toThrow(PromqlError);
  });

  it('evaluates a range query at every step, leaving out steps without a value', () => {
    const series = evaluateRange(parsePromql('sum(rate(pdus_total[2s]))'), { start: T0, end: T0 + 4 * S, stepMs: S }, storeOf());
    expect(series).toHaveLength(1);
    expect(series[0]!.points.map((p) => p.t)).toEqual([T0 + S, T0 + 2 * S, T0 + 3 * S, T0 + 4 * S]);
    for (const p of series[0]!.points) expect(p.v).toBeCloseTo(300, 9);
  });

  it.each([
    ['increase(x[1m])', 'UNSUPPORTED'],
    ['x + y', 'UNSUPPORTED'],
    ['sum without (a) (x)', 'UNSUPPORTED'],
    ['x offset 5m', 'UNSUPPORTED'],
    ['rate(x[5m:1m])', 'UNSUPPORTED'],
    ['x / on (a) y', 'UNSUPPORTED'],
    ['topk(3, x)', 'UNSUPPORTED'],
    ['rate(x)', 'SYNTAX'],
    ['x[1m]', 'SYNTAX'],
    ['sum(x', 'SYNTAX'],
    ['{a=""}', 'SYNTAX'],
    ['x{a=~"("}', 'SYNTAX'],
    ['x[$__rate_interval]', 'SYNTAX'],
  ])('refuses %j with %s', (query, code) => {
    expect(() => parsePromql(query)).toThrow(PromqlError);
    try {
      parsePromql(query);
    } catch (error) {
      expect((error as PromqlError).code).toBe(code);
    }
  });

  it('reads durations', () => {
    expect(parseDuration('4s')).toBe(4_000);
    expect(parseDuration('1m30s')).toBe(90_000);
    expect(parseDuration('250ms')).toBe(250);
    expect(() => parseDuration('1.5m')).toThrow(PromqlError);
  });

  it('parses every query of deploy/grafana/dashboard.json once its variables are filled in', () => {
    const dashboard = readDashboard(JSON.parse(readFileSync(new URL('../deploy/grafana/dashboard.json', import.meta.url), 'utf8')));
    const targets = dashboard.panels.flatMap((p) => p.targets);
    expect(targets.length).toBeGreaterThan(10);
    for (const t of targets) expect(() => parsePromql(interpolate(t.expr, { instance: '.*', __rate_interval: '4s' })), t.expr).not.toThrow();
  });
});

describe('Grafana dashboard reading', () => {
  it('fills in $var, ${var} and [[var]] once, and leaves unknown variables as written', () => {
    expect(interpolate('x{i=~"$instance"}[$__rate_interval] ${instance} [[instance]] $other', { instance: '$x.*', __rate_interval: '4s' })).toBe(
      'x{i=~"$x.*"}[4s] $x.* $x.* $other',
    );
  });

  it('formats legends from labels; an absent label is empty', () => {
    expect(formatLegend('{{route}} → {{carrier}} {{missing}}', { route: 'uk', carrier: 'alpha' })).toBe('uk → alpha');
  });

  it('computes $__interval and $__rate_interval as Grafana does for a 1 s scrape interval', () => {
    expect(queryIntervals(60_000, 700, 1_000)).toEqual({ intervalMs: 1_000, rateIntervalMs: 4_000 });
    expect(queryIntervals(3_600_000, 700, 1_000)).toEqual({ intervalMs: 10_000, rateIntervalMs: 11_000 });
  });

  it('names the JSON path of a malformed panel', () => {
    expect(() => readDashboard({ title: 't', panels: [{ type: 'stat', gridPos: { x: 0, y: 0, w: 30, h: 2 } }] })).toThrow(DashboardError);
    expect(() => readDashboard({ title: 't', panels: [{ type: 'stat', gridPos: { x: 0, y: 0, w: 3, h: 2 }, targets: [{}] }] })).toThrow(/panels\[0\]\.targets\[0\]\.expr/);
  });

  it('places panels on the 24-column grid', () => {
    expect(gridRect({ x: 0, y: 0, w: 24, h: 1 }, 1560)).toEqual({ x: 0, y: 0, width: 1560, height: 30 });
    const half = gridRect({ x: 12, y: 6, w: 12, h: 8 }, 1560);
    expect(half.x + half.width).toBe(1560);
    expect(half.y).toBe(6 * 38);
    expect(half.height).toBe(8 * 30 + 7 * 8);
  });
});

describe('units and ticks', () => {
  it.each([
    ['reqps', 314.2, '314 req/s'],
    ['pps', 1234, '1.23 kp/s'],
    ['s', 0.0123, '12.3 ms'],
    ['s', 0.0000042, '4.2 µs'],
    ['s', 2.5, '2.5 s'],
    ['s', 0, '0 s'],
    ['percentunit', 0.25, '25%'],
    ['bytes', 1536, '1.5 KiB'],
    ['', 3, '3'],
    ['', 2_500_000, '2.5 Mil'],
    ['widgets', 7, '7 widgets'],
  ])('formats %s %d as %j', (unit, value, expected) => {
    expect(formatValue(unit, value)).toBe(expected);
  });

  it('picks round ticks covering the range and clock-aligned times', () => {
    expect(niceTicks(0, 314, 6)).toEqual({ values: [0, 100, 200, 300, 400], step: 100 });
    expect(niceTicks(0, 0.3, 4).values).toEqual([0, 0.1, 0.2, 0.3]);
    expect(timeTicks(T0 + 500, T0 + 60_500, 7)).toEqual({ values: [10, 20, 30, 40, 50, 60].map((s) => T0 + s * S), step: 10_000 });
  });
});

/** Tags in order, open and close matched: enough to catch a broken SVG without an XML library. */
function expectBalancedXml(xml: string): void {
  const stack: string[] = [];
  for (const m of xml.matchAll(/<(\/?)([a-zA-Z][\w:-]*)[^>]*?(\/?)>/g)) {
    const [, closing, name, selfClosing] = m;
    if (selfClosing === '/') continue;
    if (closing === '/') expect(stack.pop()).toBe(name);
    else stack.push(name!);
  }
  expect(stack).toEqual([]);
}

describe('SVG rendering', () => {
  const dashboard: Dashboard = readDashboard({
    title: 'Synthetic <board>',
    templating: { list: [{ name: 'instance', type: 'query', current: { value: '$__all' }, allValue: '.*' }] },
    panels: [
      { type: 'row', title: 'Overview', gridPos: { x: 0, y: 0, w: 24, h: 1 } },
      {
        type: 'stat',
        title: 'Bound sessions',
        gridPos: { x: 0, y: 1, w: 6, h: 4 },
        targets: [{ expr: 'sum(binds{instance=~"$instance"})' }],
        fieldConfig: { defaults: { thresholds: { mode: 'absolute', steps: [{ color: 'red', value: null }, { color: 'green', value: 1 }] } } },
      },
      { type: 'stat', title: 'Nothing here', gridPos: { x: 6, y: 1, w: 6, h: 4 }, targets: [{ expr: 'sum(absent_metric)' }] },
      { type: 'text', title: 'Notes', gridPos: { x: 12, y: 1, w: 12, h: 4 } },
      {
        type: 'timeseries',
        title: 'Submits by carrier',
        gridPos: { x: 0, y: 5, w: 12, h: 8 },
        fieldConfig: { defaults: { unit: 'reqps' } },
        targets: [
          { expr: 'sum by (carrier) (rate(submits_total{instance=~"$instance"}[$__rate_interval]))', legendFormat: 'via {{carrier}}' },
          { expr: 'deriv(submits_total[1m])', legendFormat: 'slope' },
          { expr: 'sum(submits_total{carrier=~"$carrier"})', legendFormat: 'unfiltered' },
        ],
      },
    ],
  });

  function run(): { store: SampleStore; start: number; end: number } {
    const store = new SampleStore();
    for (let i = 0; i <= 20; i++) {
      store.appendScrape(
        T0 + i * S,
        [sample('binds', {}, 42), sample('submits_total', { carrier: 'alpha' }, 250 * i), sample('submits_total', { carrier: 'beta' }, 50 * i)],
        { job: 'smpp-proxy', instance: 'proxy:9090' },
      );
    }
    return { store, start: T0, end: T0 + 20 * S };
  }

  it('draws every panel with its title, the values from the samples, legends and what it left out', () => {
    const { store, start, end } = run();
    const evaluated = evaluateDashboard(dashboard, { store, start, end, scrapeIntervalMs: S, dataPointsFor: () => 600 });
    expect(evaluated.rateIntervals).toEqual(['4s']);
    const svg = renderDashboardSvg(dashboard, evaluated, { width: 1200, range: { start, end }, footer: ['rendered from synthetic samples'] });
    expect(svg.startsWith('<?xml')).toBe(true);
    expectBalancedXml(svg);
    expect(svg).toContain('Synthetic &lt;board&gt;');
    for (const title of ['Overview', 'Bound sessions', 'Nothing here', 'Notes', 'Submits by carrier']) expect(svg).toContain(`>${title}<`);
    expect(svg).toContain('>42<'); // the stat's last value
    expect(svg).toContain('fill="#73bf69"'); // 42 is past the green threshold
    expect(svg).toContain('>No data<');
    expect(svg).toContain('>via alpha<');
    expect(svg).toContain('>via beta<');
    // alpha's 250 req/s is the top of the axis; beta's 50 req/s a tick on the way.
    expect(svg).toContain('>250 req/s<');
    expect(svg).toContain('>50 req/s<');
    expect(svg).toContain('not rendered: deriv(submits_total[1m])');
    expect(svg).toContain('not rendered: panel type &quot;text&quot;');
    // A variable without a value would match nothing in a label value; the panel says so instead.
    expect(svg).toContain('template variable $carrier has no value here');
    expect(svg).not.toContain('>unfiltered<');
    expect(svg).toContain('>12:00:10<');
    expect(svg).toContain('rendered from synthetic samples');
    expect(svg.match(/<path /g)?.length).toBe(2);
  });

  it('renders a saved run end to end, footer included', () => {
    const registry = new Registry();
    const counter = new Counter({ name: 'smpp_submit_duration_seconds_count', help: 'h', labelNames: ['status'], registers: [registry] });
    const scrapes: { t: number; text: string }[] = [];
    return (async () => {
      for (let i = 0; i < 8; i++) {
        counter.labels('ESME_ROK').inc(100);
        scrapes.push({ t: T0 + i * S, text: await registry.metrics() });
      }
      const info: DashboardRunInfo = {
        startedAt: new Date(T0).toISOString(),
        seconds: 8,
        rate: 100,
        scrapeIntervalMs: S,
        target: { job: 'smpp-proxy', instance: '127.0.0.1:9999' },
        accounts: [{ name: 'shop', sessions: 1, share: 1 }],
        carriers: [{ name: 'alpha', behaviour: 'accepts everything' }],
        routes: ['all: alpha'],
        receiptDelayMs: 100,
        nats: 'off',
        submitted: 800,
        accepted: 800,
        refused: 0,
        receipts: 800,
        node: 'v20',
      };
      const board = readDashboard({
        title: 'b',
        panels: [
          {
            type: 'stat',
            title: 'Submits/s',
            gridPos: { x: 0, y: 0, w: 6, h: 4 },
            fieldConfig: { defaults: { unit: 'reqps' } },
            targets: [{ expr: 'sum(rate(smpp_submit_duration_seconds_count{instance=~".*"}[$__rate_interval]))' }],
          },
        ],
      });
      const { svg, notRendered, failedScrapes } = renderRun(board, { info, scrapes });
      expect(notRendered).toEqual([]);
      expect(failedScrapes).toBe(0);
      expect(svg).toContain('>100 req/s<');
      expect(svg).toContain('100 msg/s for 8 s');
      expect(svg).toContain('8 scrapes, 0 failed');
      expect(footerLines({ info, scrapes: 8, failedScrapes: 0, rateIntervals: ['4s'], notRendered: 0 }).join('\n')).toContain('$__rate_interval = 4s');
    })();
  });
});

describe('scraping /metrics over HTTP', () => {
  let server: Server | undefined;
  afterEach(async () => {
    await new Promise<void>((resolve) => (server === undefined ? resolve() : server.close(() => resolve())));
    server = undefined;
  });

  async function serve(handler: (count: number) => { status: number; body: string }): Promise<string> {
    let count = 0;
    server = createServer((_req, res) => {
      const { status, body } = handler(++count);
      res.writeHead(status, { 'content-type': 'text/plain; version=0.0.4' });
      res.end(body);
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`;
  }

  it('scrapes on a schedule and stores each scrape; a failed or unreadable scrape makes the series stale', async () => {
    const url = await serve((n) => (n === 3 ? { status: 500, body: 'oops' } : n === 4 ? { status: 200, body: 'broken{ 1' } : { status: 200, body: `# TYPE c_total counter\nc_total ${n * 10}\n` }));
    const scraper = new Scraper(url, 40);
    scraper.start();
    await scraper.waitForScrapes(5);
    await scraper.stop();
    const scrapes = scraper.scrapes.slice(0, 5);
    expect(scrapes.map((s) => 'error' in s)).toEqual([false, false, true, false, false]);
    for (let i = 1; i < scrapes.length; i++) expect(scrapes[i]!.t).toBeGreaterThan(scrapes[i - 1]!.t);
    const store = new SampleStore();
    const { failed } = storeScrapes(store, scrapes, { instance: 'x' });
    expect(failed).toHaveLength(2);
    expect(failed[1]!.error).toContain('line 1');
    expect(instant('c_total', scrapes[1]!.t, store)).toEqual([{ labels: { __name__: 'c_total', instance: 'x' }, value: 20 }]);
    expect(instant('c_total', scrapes[3]!.t, store)).toEqual([]);
    expect(instant('c_total', scrapes[4]!.t, store)[0]!.value).toBe(50);
  });

  it('reports HTTP errors, oversized answers and refused connections as ScrapeError', async () => {
    const url = await serve(() => ({ status: 200, body: 'x'.repeat(4096) }));
    await expect(fetchMetrics(url, 2_000, 1_000)).rejects.toMatchObject({ code: 'TOO_LARGE' });
    const missing = url.replace('/metrics', '/nothing');
    server!.removeAllListeners('request');
    server!.on('request', (_req, res) => {
      res.writeHead(404);
      res.end();
    });
    await expect(fetchMetrics(missing)).rejects.toMatchObject({ code: 'HTTP_STATUS' });
    const port = (server!.address() as AddressInfo).port;
    await new Promise<void>((resolve) => server!.close(() => resolve()));
    server = undefined;
    await expect(fetchMetrics(`http://127.0.0.1:${port}/metrics`)).rejects.toBeInstanceOf(ScrapeError);
  });
});
