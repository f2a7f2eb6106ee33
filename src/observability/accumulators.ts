import { Counter, validateMetricName, type Metric, type Registry } from 'prom-client';

/**
 * Hot-path accumulation for metrics updated once per PDU or per message.
 *
 * A prom-client labelled child hashes and validates its labels on every inc() or observe():
 * about 1.5 µs each on the project's machine, which per PDU would cost a few per cent of a core
 * at full load. Here a series is found by a string key in a Map and updated as plain numbers
 * (tens of nanoseconds); prom-client only sees the totals when scraped.
 */

type Labels = Record<string, string>;

/**
 * Series found by a key the caller builds from raw event fields (cheap), mapped once to label
 * values (dearer). Raw keys that peers control (codes, statuses) may be unbounded, so at most
 * `maxRawKeys` are remembered; beyond that the label values are computed per event and the
 * series itself is found by them, so the number of series stays bounded by the label values.
 */
class SeriesIndex<S> {
  private readonly byRawKey = new Map<string, S>();
  private readonly byLabels = new Map<string, S>();

  constructor(
    private readonly labelNames: readonly string[],
    private readonly create: (labels: Labels) => S,
    private readonly maxRawKeys = 10_000,
  ) {}

  get(rawKey: string, labelValues: () => readonly string[]): S {
    const known = this.byRawKey.get(rawKey);
    if (known !== undefined) return known;
    const values = labelValues();
    const labelKey = values.join('\u0000');
    let series = this.byLabels.get(labelKey);
    if (series === undefined) {
      const labels: Labels = {};
      this.labelNames.forEach((name, i) => (labels[name] = values[i] ?? ''));
      series = this.create(labels);
      this.byLabels.set(labelKey, series);
    }
    if (this.byRawKey.size < this.maxRawKeys) this.byRawKey.set(rawKey, series);
    return series;
  }

  all(): IterableIterator<S> {
    return this.byLabels.values();
  }

  clear(): void {
    this.byRawKey.clear();
    this.byLabels.clear();
  }
}

export interface CountingSeries {
  value: number;
}

interface CounterCell extends CountingSeries {
  readonly labels: Labels;
  reported: number;
}

export interface FastCounterOptions {
  name: string;
  help: string;
  labelNames: readonly string[];
  registers: Registry[];
}

/** A counter whose series are incremented as plain numbers: `counter.series(key, labels).value++`. */
export class FastCounter {
  private readonly index: SeriesIndex<CounterCell>;

  constructor(options: FastCounterOptions) {
    this.index = new SeriesIndex(options.labelNames, (labels) => ({ labels, value: 0, reported: 0 }));
    const index = this.index;
    // The prom-client counter is what is exposed; it catches up with the cells when collected.
    new Counter({
      name: options.name,
      help: options.help,
      labelNames: options.labelNames,
      registers: options.registers,
      collect(this: Counter<string>) {
        for (const cell of index.all()) {
          const growth = cell.value - cell.reported;
          if (growth > 0) {
            this.inc(cell.labels, growth);
            cell.reported = cell.value;
          }
        }
      },
    });
  }

  series(rawKey: string, labelValues: () => readonly string[]): CountingSeries {
    return this.index.get(rawKey, labelValues);
  }
}

export interface ObservingSeries {
  observe(value: number): void;
}

class HistogramCell implements ObservingSeries {
  /** counts[i]: observations <= bounds[i] and > bounds[i-1]; the last slot is above every bound. */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(
    readonly labels: Labels,
    private readonly bounds: readonly number[],
  ) {
    this.counts = new Float64Array(bounds.length + 1);
  }

  observe(value: number): void {
    if (!Number.isFinite(value)) return;
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && value > bounds[i]!) i++;
    this.counts[i]!++;
    this.sum += value;
    this.count++;
  }
}

interface ExportedValue {
  labels: Record<string, string | number>;
  sharedLabels?: Labels;
  value: number;
  metricName: string;
}

interface HistogramExport {
  name: string;
  help: string;
  type: string;
  aggregator: string;
  values: ExportedValue[];
}

export interface FastHistogramOptions extends FastCounterOptions {
  /** Upper bounds, ascending; +Inf is implied. */
  buckets: readonly number[];
}

/**
 * A histogram with the same exposition as prom-client's (name_bucket{le}, name_sum, name_count),
 * registered as a metric of its own. It implements the part of prom-client's metric contract a
 * registry uses: name, help, type, aggregator, get() and reset().
 */
export class FastHistogram {
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly string[];
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly bounds: readonly number[];
  private readonly index: SeriesIndex<HistogramCell>;

  constructor(options: FastHistogramOptions) {
    if (!validateMetricName(options.name)) throw new Error(`invalid metric name ${options.name}`);
    if (options.labelNames.includes('le')) throw new Error('"le" is reserved for histogram buckets');
    const bounds = [...options.buckets];
    if (bounds.some((b, i) => !Number.isFinite(b) || (i > 0 && b <= bounds[i - 1]!))) {
      throw new Error(`histogram ${options.name}: buckets must be finite and ascending`);
    }
    this.name = options.name;
    this.help = options.help;
    this.labelNames = [...options.labelNames];
    this.bounds = bounds;
    this.index = new SeriesIndex(options.labelNames, (labels) => new HistogramCell(labels, this.bounds));
    for (const registry of options.registers) registry.registerMetric(this as unknown as Metric);
  }

  series(rawKey: string, labelValues: () => readonly string[]): ObservingSeries {
    return this.index.get(rawKey, labelValues);
  }

  /** The exposition form: bucket bounds as labels, the series' labels shared (prom-client orders `le` first). */
  async getForPromString(): Promise<HistogramExport> {
    const values: ExportedValue[] = [];
    for (const cell of this.index.all()) {
      let cumulative = 0;
      this.bounds.forEach((bound, i) => {
        cumulative += cell.counts[i]!;
        values.push({ labels: { le: bound }, sharedLabels: cell.labels, value: cumulative, metricName: `${this.name}_bucket` });
      });
      values.push({ labels: { le: '+Inf' }, sharedLabels: cell.labels, value: cell.count, metricName: `${this.name}_bucket` });
      values.push({ labels: {}, sharedLabels: cell.labels, value: cell.sum, metricName: `${this.name}_sum` });
      values.push({ labels: {}, sharedLabels: cell.labels, value: cell.count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  /** The JSON form (registry.getMetricsAsJSON): every value with all its labels. */
  async get(): Promise<HistogramExport> {
    const data = await this.getForPromString();
    data.values = data.values.map(({ labels, sharedLabels, ...rest }) => ({ ...rest, labels: { ...labels, ...sharedLabels } }));
    return data;
  }

  /** Called by registry.resetMetrics(). */
  reset(): void {
    this.index.clear();
  }
}
